"""book/_ext/offline_site.py: the site loads nothing from other hosts (no browser needed).

The browser tests in tests/browser check the pages live; these check the extension's
pieces and the built HTML statically, so they also run where no browser can be had.
"""
import os
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SITE = pathlib.Path(os.environ.get("DLNOTES_SITE", ROOT / "_build" / "html"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import offline_site  # noqa: E402


def test_player_font_awesome_cdn_link_is_dropped():
    body = ('<p>x</p><link rel="stylesheet"\nhref="https://maxcdn.bootstrapcdn.com/font-awesome/'
            '4.4.0/css/font-awesome.min.css">\n<div class="animation"><i class="fa fa-play"></i></div>')
    ctx = {"body": body}
    offline_site.on_html_page_context(None, "p", "page.html", ctx, None)
    assert "bootstrapcdn" not in ctx["body"]
    assert '<div class="animation"><i class="fa fa-play"></i></div>' in ctx["body"]


def test_scripts_registered_twice_are_kept_once():
    from sphinx.builders.html._assets import _JavaScript

    thebe = 'const THEBE_JS_URL = "x"'
    scripts = [_JavaScript("a.js"), _JavaScript(None, body=thebe), _JavaScript("b.js"),
               _JavaScript("", body=thebe), _JavaScript("a.js"), _JavaScript("a.js", defer="defer")]
    ctx = {"script_files": scripts}
    offline_site.on_html_page_context(None, "p", "page.html", ctx, None)
    got = [(js.filename or "", js.attributes) for js in ctx["script_files"]]
    assert got == [("a.js", {}), ("", {"body": thebe}), ("b.js", {}), ("a.js", {"defer": "defer"})]


def test_pins_are_exact_versions_with_sha512():
    for name, (version, integrity, files) in offline_site.NPM_PACKAGES.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), name
        assert integrity.startswith("sha512-") and len(integrity) == 95, name
        assert files, name
    assert offline_site._integrity(b"") == (
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==")


def _pages():
    if not (SITE / "index.html").exists():
        pytest.skip(f"no built site at {SITE}: run `jupyter-book build . -W -n --keep-going` first")
    return sorted(SITE.rglob("*.html"))


EXTERNAL = [
    re.compile(r"<script\b[^>]*\bsrc=\"(?:https?:)?//", re.I),
    re.compile(r"<link\b[^>]*\brel=\"(?:stylesheet|preload|modulepreload)\"[^>]*\bhref=\"(?:https?:)?//", re.I),
    re.compile(r"<link\b[^>]*\bhref=\"(?:https?:)?//[^\"]*\"[^>]*\brel=\"(?:stylesheet|preload)\"", re.I),
    re.compile(r"<img\b[^>]*\bsrc=\"(?:https?:)?//", re.I),
    re.compile(r"@import\s+url\(\s*['\"]?(?:https?:)?//", re.I),
    re.compile(r"data-jupyter-widgets-cdn", re.I),
]


def test_built_pages_reference_no_other_host():
    bad = []
    for page in _pages():
        text = page.read_text(encoding="utf-8", errors="replace")
        for pat in EXTERNAL:
            m = pat.search(text)
            if m:
                bad.append(f"{page.relative_to(SITE)}: {text[m.start():m.start() + 120]!r}")
    assert not bad, "pages that load something from another host:\n" + "\n".join(bad[:20])


def test_vendored_assets_are_in_the_site():
    _pages()
    static = SITE / "_static" / offline_site.STATIC_SUBDIR
    for rel in ("mathjax/tex-mml-chtml.js", "mathjax/LICENSE", "html-manager/embed.js",
                "html-manager/embed.js.LICENSE.txt", "mathjax2-hub-shim.js"):
        assert (static / rel).is_file(), rel
    assert list((static / "mathjax/output/chtml/fonts/woff-v2").glob("*.woff")), "MathJax fonts"
    assert list((SITE / "_static" / "vendor" / "fontawesome").rglob("*.woff2")), "theme's icon fonts"
