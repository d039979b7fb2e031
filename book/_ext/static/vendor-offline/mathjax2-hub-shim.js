/* The ipywidgets HTML manager typesets widget labels with the MathJax 2 API
 * (MathJax.Hub.Queue(["Typeset", MathJax.Hub, element])); the book loads MathJax 3, which
 * has no Hub, so every widget page logged "Cannot read properties of undefined (reading
 * 'Queue')".  This maps that one call onto MathJax 3's typesetPromise.  Loaded before the
 * widget manager (see _ext/offline_site.py); runs once the deferred MathJax script ran. */
document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (!mj || !mj.version || mj.Hub || !mj.startup) return;
  mj.Hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var call = arguments[i];
        if (Array.isArray(call) && call[0] === "Typeset") {
          var el = call[2];
          mj.startup.promise = mj.startup.promise
            .then(function () { return mj.typesetPromise(el ? [el] : undefined); })
            .catch(function (err) { console.warn("MathJax typeset failed", err); });
        }
      }
    },
  };
});
