"""Sphinx extension: make every page of the book work offline.

Jupyter Book 1 pages load MathJax, RequireJS and the ipywidgets HTML manager from CDNs,
and matplotlib's ``to_jshtml`` players link Font Awesome 4 from another CDN.  That breaks
the site offline and behind restrictive networks.  This extension serves all of them from
the site itself:

* **MathJax 3** and the **ipywidgets HTML manager** are fetched from the npm registry with
  ``npm pack`` (the ordinary npm client) at build time, at pinned versions whose
  ``sha512`` integrity is checked here, unpacked once into ``_build/.offline-assets`` and
  copied into ``_static/vendor-offline/``.  Nothing large is committed.
* The widget manager is the HTML manager's standalone ``embed.js`` bundle, not
  ``embed-amd.js`` + RequireJS: it contains the base, controls and output widgets (all the
  book uses), half the size, and it cannot fall back to a CDN for an unknown widget module,
  so RequireJS is not needed on any page and is not loaded.  The manager typesets widget
  labels with the MathJax 2 API; ``book/_ext/static/vendor-offline/mathjax2-hub-shim.js`` maps
  that call onto MathJax 3.
* Font Awesome: the theme already ships Font Awesome 6 (``_static/scripts/fontawesome.js``)
  that draws the ``<i class="fa fa-play">`` icons of the animation players, so the player's
  ``<link>`` to the Font Awesome 4 CDN is dropped from the rendered pages.
* Chinese glyphs: ``dlnotes.css`` (in ``book/_ext/static``) serves the book's own subset CJK
  font (``fonts/dlnotes-cjk.woff2``, built by ``.ci/cjk_font.py``) as the last font of every
  stack, so Chinese terms render on a machine without a CJK font, with no request elsewhere.
* Scripts registered twice (sphinx-thebe's ``const THEBE_JS_URL`` is, which logs
  "Identifier 'THEBE_JS_URL' has already been declared") are registered once.

Registered in ``_config.yml`` under ``sphinx.local_extensions``.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import tarfile

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

STATIC_SUBDIR = "vendor-offline"

# name -> (version, npm sha512 integrity, {path in package: path under _static/vendor-offline})
NPM_PACKAGES = {
    "mathjax": (
        "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        {
            "LICENSE": "mathjax/LICENSE",
            "es5/tex-mml-chtml.js": "mathjax/tex-mml-chtml.js",
            # loaded on demand: TeX extensions (\require, autoload), CHTML fonts, the
            # accessibility menu's speech/explorer components
            "es5/input": "mathjax/input",
            "es5/output/chtml": "mathjax/output/chtml",
            "es5/ui": "mathjax/ui",
            "es5/a11y": "mathjax/a11y",
            "es5/sre": "mathjax/sre",
        },
    ),
    "@jupyter-widgets/html-manager": (
        "1.0.15",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        {
            # embed.js finds its fonts next to itself (webpack's automatic publicPath)
            "dist": "html-manager",
        },
    ),
}
# files of a copied folder that pages never load (embed.js is used instead of the AMD builds)
SKIP_SUFFIXES = (".map", ".d.ts", "embed-amd.js")

MATHJAX_PATH = f"{STATIC_SUBDIR}/mathjax/tex-mml-chtml.js"
WIDGETS_JS = f"{STATIC_SUBDIR}/html-manager/embed.js"
# our own small file (in book/_ext/static): the MathJax 2 call of the widget manager on MathJax 3
MATHJAX2_SHIM_JS = f"{STATIC_SUBDIR}/mathjax2-hub-shim.js"
OWN_STATIC = pathlib.Path(__file__).parent / "static"

# matplotlib's to_jshtml player: <link rel="stylesheet" href="https://.../font-awesome...css">
_FONT_AWESOME_CDN_LINK = re.compile(
    r"<link\s+rel=\"stylesheet\"\s+href=\"https?://[^\"]*font-awesome[^\"]*\"\s*/?>", re.I)


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _npm_pack(name: str, version: str, workdir: pathlib.Path) -> pathlib.Path:
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError(
            f"offline_site: npm is needed once to fetch {name}@{version} from the npm registry "
            "for the offline site; install Node.js/npm (e.g. `apt-get install npm`) and build again")
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([npm, "pack", f"{name}@{version}", "--json", "--silent"],
                          cwd=workdir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ExtensionError(f"offline_site: `npm pack {name}@{version}` failed:\n{proc.stderr[-2000:]}")
    info = json.loads(proc.stdout)[0]
    return workdir / info["filename"]


def _safe_members(tar: tarfile.TarFile):
    for m in tar.getmembers():
        p = pathlib.PurePosixPath(m.name)
        if p.is_absolute() or ".." in p.parts or not (m.isfile() or m.isdir()):
            continue
        yield m


def fetch_assets(cache: pathlib.Path) -> pathlib.Path:
    """Fetch, verify and unpack the npm packages; return the folder to add to html_static_path."""
    static_root = cache / "static"
    stamp = cache / "stamp.json"
    wanted = {n: v[:2] for n, v in NPM_PACKAGES.items()}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted and static_root.is_dir():
        return static_root
    shutil.rmtree(cache, ignore_errors=True)
    for name, (version, integrity, files) in NPM_PACKAGES.items():
        tgz = _npm_pack(name, version, cache / "tarballs")
        data = tgz.read_bytes()
        got = _integrity(data)
        if got != integrity:
            raise ExtensionError(f"offline_site: {name}@{version} integrity mismatch: "
                                 f"expected {integrity}, got {got}")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = {m.name: m for m in _safe_members(tar)}
            for src, dst in files.items():
                src_prefix = "package/" + src
                found = False
                for mname, m in members.items():
                    if not m.isfile() or mname.endswith(SKIP_SUFFIXES):
                        continue
                    if mname == src_prefix:
                        rel = ""
                    elif mname.startswith(src_prefix + "/"):
                        rel = mname[len(src_prefix) + 1:]
                    else:
                        continue
                    target = static_root / STATIC_SUBDIR / dst / rel if rel else static_root / STATIC_SUBDIR / dst
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(tar.extractfile(m).read())
                    found = True
                if not found:
                    raise ExtensionError(f"offline_site: {src} not found in {name}@{version}")
        tgz.unlink()
        logger.info(f"offline_site: {name}@{version} fetched from the npm registry")
    stamp.write_text(json.dumps(wanted))
    return static_root


def _cache_dir(app) -> pathlib.Path:
    # <build>/.doctrees -> <build>/.offline-assets (inside the ignored _build folder)
    return pathlib.Path(app.doctreedir).parent / ".offline-assets"


def on_config_inited(app, config):
    static_root = fetch_assets(_cache_dir(app))
    config.html_static_path = list(config.html_static_path) + [str(static_root), str(OWN_STATIC)]
    config.mathjax_path = MATHJAX_PATH
    # widget pages only: the shim, then the manager (no RequireJS, no CDN fallback)
    config.nb_ipywidgets_js = {MATHJAX2_SHIM_JS: {}, WIDGETS_JS: {}}


def on_html_page_context(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for js in scripts:
            # the same script is registered once as filename None and once as "" (body only)
            key = (os.fspath(getattr(js, "filename", js) or ""),
                   tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
            if key in seen:
                continue
            seen.add(key)
            unique.append(js)
        scripts[:] = unique
    body = context.get("body")
    if body and "font-awesome" in body:
        context["body"] = _FONT_AWESOME_CDN_LINK.sub("", body)


def setup(app):
    # before myst-nb reads nb_ipywidgets_js (builder-inited) and before anything else
    app.connect("config-inited", on_config_inited, priority=100)
    # after myst-nb and sphinx.ext.mathjax have added their per-page scripts
    app.connect("html-page-context", on_html_page_context, priority=900)
    app.add_css_file("dlnotes.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
