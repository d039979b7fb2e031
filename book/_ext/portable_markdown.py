"""Sphinx extension: boxes, solutions and anchors written in Markdown that every renderer reads.

The chapters are read in three places: the website (Sphinx/MyST), JupyterLab and Colab.
MyST-only syntax (``:::{admonition}``, ``(label)=``, ``{ref}``) shows as raw text in the
last two, so the notebooks use plain CommonMark + HTML that all three render, and this
extension turns it into the site's admonitions, dropdowns and labels:

* **Boxes.** A block quote whose first paragraph is a single bold phrase becomes an
  admonition with that title::

      > **Common misconception: "average pooling copies the gradient"**
      >
      > **Correct:** each position receives g/|W|.
      >
      > Note 000 §1.3 says ...

  Titles starting with "Common misconception" get the ``warning`` style, the others
  ``note``.  In JupyterLab and Colab it is a block quote with a bold title.
* **Solutions.** ``<details><summary>Solution</summary>`` … ``</details>`` (HTML blocks
  on their own, separated from the Markdown inside by blank lines) becomes a collapsed
  dropdown admonition (sphinx-togglebutton); JupyterLab and Colab collapse ``<details>``
  themselves.
* **Anchors.** ``<a id="trap-..."></a>`` on its own line becomes a label, exactly like
  MyST's ``(trap-...)=``: ``{ref}`` roles (in the Markdown appendices), ``#trap-...`` links
  and ``chapter.ipynb#trap-...`` links resolve to it; in JupyterLab it is an invisible anchor.

Registered in ``_config.yml`` under ``sphinx.local_extensions``.
"""
from __future__ import annotations

import re

from docutils import nodes
from sphinx.transforms import SphinxTransform

ANCHOR = re.compile(r'^\s*<a\s+id="([A-Za-z][\w-]*)"\s*>\s*</a>\s*$')
DETAILS_OPEN = re.compile(r"^\s*<details>\s*<summary>(.*?)</summary>\s*$", re.S)
DETAILS_CLOSE = re.compile(r"^\s*</details>\s*$")
WARNING_TITLES = ("Common misconception",)


def _is_html(node, pattern):
    return (isinstance(node, nodes.raw) and node.get("format") == "html"
            and pattern.match(node.astext()))


def box_title(quote: nodes.block_quote):
    """The bold title of a box-style block quote, or None for an ordinary quote."""
    if len(quote.children) < 2 or not isinstance(quote[0], nodes.paragraph):
        return None
    para = quote[0]
    kids = [k for k in para.children if not (isinstance(k, nodes.Text) and not k.strip())]
    if len(kids) == 1 and isinstance(kids[0], nodes.strong):
        return kids[0]
    return None


class PortableMarkdown(SphinxTransform):
    """Anchors -> labels, box quotes -> admonitions, <details> -> dropdowns."""

    # before docutils' PropagateTargets (260), which moves a label onto the next node
    default_priority = 205

    def apply(self, **kwargs):
        anchors = []
        # ``<a id="x"></a>`` alone on a line is a paragraph of two inline raw-HTML nodes
        # (CommonMark: <a> starts no HTML block); a <div id> line would be one raw block.
        for node in list(self.document.findall(lambda n: isinstance(n, (nodes.paragraph, nodes.raw)))):
            if isinstance(node, nodes.raw) and isinstance(node.parent, nodes.paragraph):
                continue
            parts = [node] if isinstance(node, nodes.raw) else list(node.children)
            if not parts or not all(isinstance(k, nodes.raw) and k.get("format") == "html"
                                    for k in parts):
                continue
            m = ANCHOR.match("".join(k.astext() for k in parts))
            if m:
                name = m.group(1)
                target = nodes.target("", "", ids=[name], names=[name])
                target.source, target.line = node.source, node.line
                self.document.note_explicit_target(target, target)
                node.replace_self(target)
                anchors.append((name, target))
        # ``[text](other_chapter.ipynb#trap-x)`` links: MyST resolves a page's anchors from
        # its heading slugs; register ours there too, titled by the box they label.
        slugs = self.env.metadata[self.env.docname].setdefault("myst_slugs", {})
        for name, target in anchors:
            nxt = target.next_node(nodes.Element, descend=False, siblings=True)
            title = nxt.astext().split("\n", 1)[0] if nxt is not None else name
            slugs.setdefault(name, (target.line or 0, name, title))
        for parent in list(self.document.findall(nodes.Element)):
            self._wrap_details(parent)
        for quote in list(self.document.findall(nodes.block_quote)):
            strong = box_title(quote)
            if strong is None:
                continue
            text = strong.astext()
            kind = "warning" if text.startswith(WARNING_TITLES) else "note"
            title = nodes.title("", "", *[c.deepcopy() for c in strong.children])
            box = nodes.admonition("", title, *[c.deepcopy() for c in quote.children[1:]],
                                   classes=[kind])
            box.source, box.line = quote.source, quote.line
            quote.replace_self(box)

    def _wrap_details(self, parent):
        i = 0
        while i < len(parent.children):
            child = parent.children[i]
            m = _is_html(child, DETAILS_OPEN)
            if not m:
                i += 1
                continue
            for j in range(i + 1, len(parent.children)):
                if _is_html(parent.children[j], DETAILS_CLOSE):
                    break
            else:
                i += 1  # an unclosed <details>: leave the HTML as it is
                continue
            inner = parent.children[i + 1:j]
            summary = re.sub(r"<[^>]+>", "", m.group(1)).strip() or "Details"
            box = nodes.admonition("", nodes.title("", summary), *[n.deepcopy() for n in inner],
                                   classes=["dropdown", "note"])
            box.source, box.line = child.source, child.line
            parent[i:j + 1] = [box]
            i += 1


def setup(app):
    app.add_transform(PortableMarkdown)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
