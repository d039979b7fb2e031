"""The built website, page by page, in headless Chromium (see conftest.py).

For every page in ``_toc.yml``: it loads (HTTP 200) without console errors, failed requests
or any request to another host; its maths is typeset by MathJax; every image loads;
embedded widgets render; animation players step when clicked.  Search finds each chapter
by a word of its title.  Run after `jupyter-book build . -W -n --keep-going`.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
from urllib.parse import urlparse

import pytest
import yaml

# DLNOTES_BOOK / DLNOTES_SITE: another book folder / built site (for developing these tests)
ROOT = pathlib.Path(os.environ.get("DLNOTES_BOOK", pathlib.Path(__file__).resolve().parents[2]))
SITE = pathlib.Path(os.environ.get("DLNOTES_SITE", ROOT / "_build" / "html"))

pytestmark = pytest.mark.browser

# pages whose static twin of a widget (a to_jshtml player) must be there and step
PAGES_WITH_PLAYERS = {"book/06_convolution", "book/09_receptive_fields"}
# largest allowed page: its HTML (animations are inline) plus its own images
MAX_PAGE_BYTES = 3_000_000


def toc_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                pages.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        walk(part.get("chapters"))
    return pages


PAGES = toc_pages()
CHAPTERS = [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()]


class PageLog:
    """Everything a page did that a reader would notice as broken."""

    def __init__(self, page, origin):
        self.origin = origin
        self.console_errors, self.page_errors = [], []
        self.failed, self.bad_status, self.external = [], [], []
        self.bytes = {}
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(
            f"{m.text} @ {m.location.get('url', '')}"))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", self._on_response)
        # Any request to another host is recorded and aborted: it never leaves the machine.
        page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if urlparse(url).scheme in ("http", "https") and not url.startswith(self.origin):
            self.external.append(url)
            route.abort()
        else:
            route.continue_()

    def _on_response(self, response):
        if response.status >= 400:
            self.bad_status.append(f"{response.status} {response.url}")
        if response.url.startswith(self.origin):
            try:
                self.bytes[response.url] = len(response.body())
            except Exception:  # redirects and aborted bodies have none
                pass

    def problems(self):
        out = {"console errors": self.console_errors, "page errors": self.page_errors,
               "failed requests": [f for f in self.failed
                                   if not any(x in f for x in self.external)],
               "HTTP errors": self.bad_status, "requests to other hosts": self.external}
        return {k: v for k, v in out.items() if v}


def open_page(browser, site_url, path):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    log = PageLog(page, site_url)
    response = page.goto(f"{site_url}/{path}", wait_until="load")
    page.wait_for_load_state("networkidle")
    return context, page, log, response


WAIT_FOR_MATHJAX = """async () => {
  if (!window.MathJax || !MathJax.startup) return false;
  await MathJax.startup.promise;
  return true;
}"""

MATH_REPORT = """() => {
  const math = [...document.querySelectorAll('main span.math, main div.math')];
  const raw = math.filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.slice(0, 80));
  const errors = [...document.querySelectorAll('mjx-merror')].map(el => el.textContent.slice(0, 80));
  // text a reader sees outside code: no raw TeX delimiters left
  const clone = document.querySelector('main').cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
  const text = clone.textContent;
  const delims = ['$$', '\\\\[', '\\\\(', '\\\\begin{'].filter(d => text.includes(d));
  return {count: math.length, raw, errors, delims};
}"""

IMAGE_REPORT = """async () => {
  const imgs = [...document.querySelectorAll('main img')];
  for (const img of imgs) { img.loading = 'eager'; if (!img.complete) { img.scrollIntoView();
      await new Promise(r => { img.onload = img.onerror = r; setTimeout(r, 5000); }); } }
  return imgs.map(img => ({src: img.currentSrc.slice(0, 100), ok: img.complete && img.naturalWidth > 0}));
}"""

WIDGET_REPORT = """() => {
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const rendered = views.filter(s => { const p = s.previousElementSibling;
      return p && p.classList.contains('widget-subarea') && p.children.length > 0; });
  return {views: views.length, rendered: rendered.length};
}"""


@pytest.mark.parametrize("docname", PAGES)
def test_page_loads_offline_and_renders(browser, site_url, docname):
    context, page, log, response = open_page(browser, site_url, f"{docname}.html")
    try:
        assert response.status == 200, f"{docname}: HTTP {response.status}"
        has_mathjax = page.evaluate(WAIT_FOR_MATHJAX)
        math = page.evaluate(MATH_REPORT)
        if math["count"]:
            assert has_mathjax, f"{docname} has maths but MathJax did not load"
        assert not math["raw"], f"{docname}: maths not typeset by MathJax: {math['raw'][:5]}"
        assert not math["errors"], f"{docname}: MathJax errors: {math['errors'][:5]}"
        assert not math["delims"], f"{docname}: raw TeX delimiters in the text: {math['delims']}"
        images = page.evaluate(IMAGE_REPORT)
        broken = [i["src"] for i in images if not i["ok"]]
        assert not broken, f"{docname}: images that did not load: {broken}"
        widgets = page.wait_for_function(
            f"(() => {{ const r = ({WIDGET_REPORT})(); return r.views === r.rendered ? r : null; }})",
            timeout=15_000).json_value() if page.evaluate(WIDGET_REPORT)["views"] else None
        if widgets:
            assert widgets["rendered"] == widgets["views"]
        page.wait_for_load_state("networkidle")
        assert not log.problems(), f"{docname}: {json.dumps(log.problems(), indent=1)}"
    finally:
        context.close()


@pytest.mark.parametrize("docname", PAGES)
def test_page_weight(site_dir, docname):
    """The page's own bytes (HTML with its inline animations, and its images) < 3 MB."""
    html_path = site_dir / f"{docname}.html"
    html = html_path.read_text(encoding="utf-8")
    total = len(html.encode())
    for src in set(re.findall(r'<img[^>]+src="([^"]+)"', html)):
        if src.startswith("data:") or "://" in src:
            continue
        img = (html_path.parent / src.split("?")[0]).resolve()
        if img.exists():
            total += img.stat().st_size
    assert total < MAX_PAGE_BYTES, f"{docname} weighs {total / 1e6:.2f} MB (limit 3 MB)"


PLAYERS = """() => [...document.querySelectorAll('.animation')].map(a => a.querySelector('img').id)"""


@pytest.mark.parametrize("docname", [p for p in PAGES if p in PAGES_WITH_PLAYERS or
                                     ("class=\"animation\"" in (SITE / f"{p}.html").read_text(encoding="utf-8")
                                      if (SITE / f"{p}.html").exists() else False)])
def test_animation_players_step(browser, site_url, docname):
    context, page, log, _ = open_page(browser, site_url, f"{docname}.html")
    try:
        ids = page.evaluate(PLAYERS)
        assert ids, f"{docname} has no animation player (the static twin of its widget)"
        for img_id in ids:
            player = page.locator(f".animation:has(#{img_id})")
            player.scroll_into_view_if_needed()
            img = page.locator(f"#{img_id}")
            slider = player.locator("input.anim-slider")
            frames = int(slider.get_attribute("max")) + 1
            assert frames > 1, f"{docname}: player {img_id} has a single frame"
            player.get_by_role("button", name="First frame").click()
            before, pos0 = img.get_attribute("src"), slider.input_value()
            player.get_by_role("button", name="Next frame").click()
            after, pos1 = img.get_attribute("src"), slider.input_value()
            assert int(pos1) == int(pos0) + 1, f"{docname}: slider did not advance ({pos0} -> {pos1})"
            assert after and after != before, f"{docname}: the frame did not change on 'Next frame'"
            player.get_by_role("button", name="Previous frame").click()
            assert img.get_attribute("src") == before
            # the player's buttons draw their icons with the site's own icon font
            icon = player.locator(".anim-buttons button svg, .anim-buttons button i").first
            assert icon.bounding_box() and icon.bounding_box()["width"] > 0
        assert not log.problems(), f"{docname}: {json.dumps(log.problems(), indent=1)}"
    finally:
        context.close()


def _title_word(docname):
    """The longest word of a chapter's title (its first Markdown heading)."""
    nb = json.loads((ROOT / f"{docname}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            m = re.search(r"^#\s+(.*)$", "".join(cell["source"]), re.M)
            if m:
                words = re.findall(r"[A-Za-z]{4,}", m.group(1))
                return max(words, key=len)
    raise AssertionError(f"{docname} has no title")


@pytest.mark.parametrize("docname", CHAPTERS)
def test_search_finds_chapter(browser, site_url, docname):
    word = _title_word(docname)
    context, page, log, _ = open_page(browser, site_url, f"search.html?q={word}")
    try:
        page.wait_for_selector("#search-results .search-summary, #search-results p", timeout=20_000)
        page.wait_for_function("() => !document.querySelector('#search-results h2') || "
                               "!/Searching/.test(document.querySelector('#search-results h2').textContent)")
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
        target = f"{docname}.html"
        assert any(target in h for h in hrefs), f"search for {word!r} did not find {target}: {hrefs[:10]}"
        assert not log.problems(), f"search: {json.dumps(log.problems(), indent=1)}"
    finally:
        context.close()


def _repository():
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    repo = yaml.safe_load(text)["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


@pytest.mark.parametrize("docname", CHAPTERS)
def test_colab_and_repository_buttons(site_dir, docname):
    """Each chapter keeps its "Open in Colab" launch button and the repository button."""
    html = (site_dir / f"{docname}.html").read_text(encoding="utf-8")
    url, branch = _repository()
    path = urlparse(url).path.strip("/")
    colab = f'href="https://colab.research.google.com/github/{path}/blob/{branch}/{docname}.ipynb"'
    assert colab in html, f"{docname}: no 'Open in Colab' launch button ({colab})"
    assert f'href="{url}"' in html, f"{docname}: no repository button linking {url}"
