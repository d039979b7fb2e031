"""Pictures and Chinese glyphs as a reader sees them: a 1400-px window on a 2x screen.

For every chapter page, in headless Chromium at device scale factor 2:

* every figure (a PNG cell output) and every animation player (the static twin of a
  widget) is **sharp**: at least ~2 image pixels per CSS pixel, so a 2x screen shows no
  upscaling blur; and **legible**: its smallest text, whose height in image pixels each
  picture records (``dlnotes:min-text-px`` in the PNG, ``data-min-text-px`` on the
  player), is at least 10 CSS pixels as rendered;
* every player's weight (its frames' bytes) is measured;
* Chinese terms are drawn with real glyphs, not the fallback box ("tofu"), from the site's
  own subset font, on a machine with no CJK font (this one: Debian's chromium without
  fonts-noto-cjk);
* screenshots of chapters 6, 9, 15 and 17 (players, figures, a Chinese term) are saved in
  ``_build/screenshots/`` for a person to look at.

The measurements are written to ``_build/reports/pictures.json``.
"""
from __future__ import annotations

import json
import os
import pathlib
import sys
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(os.environ.get("DLNOTES_BOOK", pathlib.Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from dlnotes._png import MIN_TEXT_KEY, read_text  # noqa: E402
from figure_legibility import MIN_DENSITY, MIN_TEXT_CSS_PX  # noqa: E402

from test_site import CHAPTERS, SITE  # noqa: E402

REPORTS = SITE.parent / "reports"
SHOTS = SITE.parent / "screenshots"
SCREENSHOT_CHAPTERS = ["book/06_convolution", "book/09_receptive_fields", "book/15_hog", "book/17_nms"]

PICTURES = """() => {
  const out = [];
  for (const img of document.querySelectorAll('main .cell_output img, main .dlnotes-player img')) {
    const r = img.getBoundingClientRect();
    const player = img.closest('.dlnotes-player');
    out.push({
      src: player ? null : img.currentSrc,
      where: (img.closest('.cell') || img.parentElement).id || '',
      player: !!player,
      id: img.id || null,
      natural: img.naturalWidth,
      rendered: r.width,
      frame_width: player ? +player.dataset.frameWidth : null,
      min_text: player ? player.dataset.minTextPx : null,
      bytes: player ? [...player.querySelectorAll('script')].reduce((n, s) => n + s.textContent.length, 0) : null,
    });
  }
  return out;
}"""


def _page(browser, site_url, docname):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{site_url}/{docname}.html", wait_until="load")
    page.wait_for_load_state("networkidle")
    return context, page


def _figure_min_text(site_url, src):
    """The figure's dlnotes:min-text-px, read from the PNG the page loaded."""
    if src.startswith("data:image/png;base64,"):     # a widget's saved image
        import base64

        return read_text(base64.b64decode(src.split(",", 1)[1])).get(MIN_TEXT_KEY)
    path = SITE / unquote(urlparse(src).path).lstrip("/")
    if not path.exists():
        return None
    return read_text(path.read_bytes()).get(MIN_TEXT_KEY)


@pytest.fixture(scope="module")
def report():
    data = {}
    yield data
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"pictures-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.json"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


@pytest.mark.parametrize("docname", CHAPTERS)
def test_pictures_are_sharp_and_legible_on_a_2x_screen(browser, site_url, docname, report):
    context, page = _page(browser, site_url, docname)
    try:
        pics = page.evaluate(PICTURES)
    finally:
        context.close()
    problems, rows = [], []
    for i, p in enumerate(pics):
        if p["rendered"] < 1:      # a hidden output (a collapsed solution cell)
            continue
        natural = p["frame_width"] if p["player"] else p["natural"]
        text = p["min_text"] if p["player"] else _figure_min_text(site_url, p["src"])
        density = natural / p["rendered"]
        name = f"{'player' if p['player'] else 'figure'} {i} {p.get('where', '')}".strip()
        row = {"picture": name, "image_px": natural, "rendered_css_px": round(p["rendered"], 1),
               "density": round(density, 2)}
        if p["player"]:
            row["frames_bytes"] = p["bytes"]
        if text is None:
            problems.append(f"{name}: no recorded text size (not drawn by dlnotes.plotting / animation)")
        elif text != "none":
            on_screen = float(text) * p["rendered"] / natural
            row["min_text_css_px"] = round(on_screen, 1)
            if on_screen < MIN_TEXT_CSS_PX - 0.05:
                problems.append(f"{name}: smallest text {on_screen:.1f} CSS px (needs {MIN_TEXT_CSS_PX:g})")
        if density < MIN_DENSITY:
            problems.append(f"{name}: {natural} image px shown at {p['rendered']:.0f} CSS px "
                            f"({density:.2f}x; blurry on a 2x screen)")
        rows.append(row)
    report[docname] = rows
    assert not problems, f"{docname}: " + "; ".join(problems)


GLYPHS = """async (term) => {
  await document.fonts.ready;
  await document.fonts.load('32px "dlnotes CJK"', term);
  const draw = (text, family) => {
    const c = document.createElement('canvas'); c.width = 64 * text.length + 16; c.height = 48;
    const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height);
    g.fillStyle = '#000'; g.font = `32px ${family}`; g.textBaseline = 'top'; g.fillText(text, 4, 4);
    return {data: Array.from(g.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0)),
            width: g.measureText(text).width};
  };
  const el = [...document.querySelectorAll('main p, main td, main li')].find(e => e.textContent.includes(term));
  const family = getComputedStyle(el).fontFamily;
  const tofu = '\\ue000'.repeat(term.length);                  // private use: no font has it
  const same = (a, b) => a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);
  const ink = a => a.data.filter(v => v < 128).length;
  const page = draw(term, family), pageTofu = draw(tofu, family);
  const ours = draw(term, '"dlnotes CJK"');
  const system = draw(term, 'sans-serif'), systemTofu = draw(tofu, 'sans-serif');
  const first = draw(term[0], family), second = draw(term[1], family);
  return {family, loaded: [...document.fonts].some(f => f.family.replace(/"/g, '') === 'dlnotes CJK' && f.status === 'loaded'),
          ink: ink(page), page_is_tofu: same(page, pageTofu), page_equals_ours: same(page, ours),
          glyphs_differ: !same(first, second), system_has_cjk: !same(system, systemTofu)};
}"""


@pytest.mark.parametrize("docname,term", [("book/glossary", "感受野"), ("book/06_convolution", "卷积"),
                                          ("book/09_receptive_fields", "感受野"), ("book/17_nms", "非极大值抑制")])
def test_chinese_terms_are_real_glyphs_from_the_sites_font(browser, site_url, docname, term):
    context, page = _page(browser, site_url, docname)
    try:
        r = page.evaluate(GLYPHS, term)
        el = page.locator(f"main :text('{term}')").first
        el.scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        el.screenshot(path=str(SHOTS / f"cjk-{docname.split('/')[-1]}.png"))
    finally:
        context.close()
    assert "dlnotes CJK" in r["family"], f"{docname}: the page's font stack lacks the CJK font: {r['family']}"
    assert r["loaded"], f"{docname}: the dlnotes CJK web font did not load"
    assert r["ink"] > 50 and not r["page_is_tofu"], f"{docname}: {term} renders as the fallback box"
    assert r["glyphs_differ"], f"{docname}: the characters of {term} render identically (boxes)"
    if not r["system_has_cjk"]:
        # no CJK font on this machine: what the reader sees can only come from the site's font
        assert r["page_equals_ours"], f"{docname}: {term} is not drawn with the dlnotes CJK font"


@pytest.mark.parametrize("docname", SCREENSHOT_CHAPTERS)
def test_screenshots_of_pictures_for_review(browser, site_url, docname):
    """Saves the players and figures of chapters 6, 9, 15 and 17 as a 2x reader sees them."""
    context, page = _page(browser, site_url, docname)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = docname.split("/")[-1]
        shots = 0
        for i, loc in enumerate(page.locator("main .dlnotes-player, main .cell_output img").all()):
            if shots >= 12:
                break
            box = loc.bounding_box()
            if not box or box["width"] < 50:
                continue
            loc.scroll_into_view_if_needed()
            loc.screenshot(path=str(SHOTS / f"{name}-{i:02d}.png"))
            shots += 1
        assert shots > 0, f"{docname} has no figure or player to show"
    finally:
        context.close()
