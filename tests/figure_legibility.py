"""How large and how sharp each saved figure and player is on the website (no browser).

Used by ``tests/test_figures.py``; run it directly for a table of one or more chapters::

    python tests/figure_legibility.py book/06_convolution.ipynb

Every figure of a chapter is a PNG made by ``dlnotes.plotting.figure_png``: drawn at twice
its display width, with the height of its smallest text recorded in the PNG
(``dlnotes:min-text-px``).  Every player (``dlnotes.animation.to_html``) records the same in
its ``data-frame-width`` and ``data-min-text-px`` attributes.  On the site a picture is shown
at its display width, or at the content width :data:`CONTENT_WIDTH` if it is wider, so

- its *density* is image pixels per CSS pixel (2 = sharp on a 2x screen), and
- its smallest text is ``min-text-px × shown width / image width`` CSS pixels.

``tests/browser/test_site.py`` measures the same two numbers on the rendered pages.
"""
from __future__ import annotations

import base64
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from dlnotes._png import MIN_TEXT_KEY, png_size, read_text  # noqa: E402

#: width of a chapter's output area on the site at a 1400-px window (measured in Chromium)
CONTENT_WIDTH = 784
#: the smallest text a reader should have to read, in CSS pixels
MIN_TEXT_CSS_PX = 10.0
#: image pixels per CSS pixel for a sharp picture on a 2x screen (a little rounding allowed)
MIN_DENSITY = 1.95


def pictures(nb_path: pathlib.Path):
    """Yield one dict per figure or player of a notebook (cell index, kind, numbers)."""
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                png = base64.b64decode(data["image/png"])
                natural = png_size(png)[0]
                meta = out.get("metadata", {}).get("image/png", {})
                css = meta.get("width", natural)
                text = read_text(png).get(MIN_TEXT_KEY)
                yield _numbers(i, "figure", natural, css, text)
            html = "".join(data.get("text/html", ""))
            for m in re.finditer(r'<div class="dlnotes-player" data-frame-width="(\d+)" '
                                 r'data-min-text-px="([\d.]+|none)">', html):
                natural = int(m.group(1))
                css = re.search(r'style="width: (\d+)px', html[m.end():])
                yield _numbers(i, "player", natural, int(css.group(1)) if css else natural, m.group(2))
            if "class=\"animation\"" in html and "dlnotes-player" not in html:
                yield {"cell": i, "kind": "player", "problem": "a to_jshtml player not made by "
                       "dlnotes.animation.to_html (no size or text measure)"}


def _numbers(cell, kind, natural, css, text):
    shown = min(css, CONTENT_WIDTH)
    out = {"cell": cell, "kind": kind, "image_px": natural, "shown_css_px": shown,
           "density": natural / shown, "min_text_css_px": None}
    if text is None:
        out["problem"] = "no dlnotes:min-text-px measure (not made by figure_png / to_html)"
    elif text != "none":
        out["min_text_css_px"] = float(text) * shown / natural
    return out


def problems(nb_path: pathlib.Path):
    """Human-readable problems of a notebook's pictures (empty when all are legible)."""
    found = []
    for p in pictures(nb_path):
        where = f"{nb_path.name} cell {p['cell']} ({p['kind']})"
        if "problem" in p:
            found.append(f"{where}: {p['problem']}")
            continue
        if p["density"] < MIN_DENSITY:
            found.append(f"{where}: {p['image_px']} image px shown at {p['shown_css_px']} CSS px "
                         f"({p['density']:.2f}x; a 2x screen needs {MIN_DENSITY:g}x)")
        if p["min_text_css_px"] is not None and p["min_text_css_px"] < MIN_TEXT_CSS_PX - 0.05:
            found.append(f"{where}: smallest text {p['min_text_css_px']:.1f} CSS px on the page "
                         f"(needs {MIN_TEXT_CSS_PX:g}); use larger fonts or a narrower figure "
                         f"(at most {CONTENT_WIDTH / 100:.2f} in at 100 dpi is shown unscaled)")
    return found


if __name__ == "__main__":
    for path in sys.argv[1:] or sorted((ROOT / "book").glob("*.ipynb")):
        path = pathlib.Path(path)
        for p in pictures(path):
            if "problem" in p:
                print(f"{path.name:34s} cell {p['cell']:3d} {p['kind']:6s} {p['problem']}")
                continue
            text = "-" if p["min_text_css_px"] is None else f"{p['min_text_css_px']:.1f}"
            flag = "" if p["density"] >= MIN_DENSITY and (p["min_text_css_px"] is None or
                                                          p["min_text_css_px"] >= MIN_TEXT_CSS_PX - 0.05) else "  <-- too small"
            print(f"{path.name:34s} cell {p['cell']:3d} {p['kind']:6s} {p['image_px']:5d} px shown "
                  f"{p['shown_css_px']:4d} css  density {p['density']:.2f}  min text {text:>5s} css px{flag}")
