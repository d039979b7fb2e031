"""The chapters' widgets respond in a real JupyterLab, driven by headless Chromium.

For each widget chapter: start JupyterLab on loopback (a random token, a temporary root
folder holding a copy of the chapter's setup, imports and widget cells, outputs cleared), open
the notebook, run all cells, move the widget's slider with the keyboard as a reader would, and assert that the
image the widget draws changes.  The site's pages only show saved widget state; this is
the test that the live widget works.
"""
from __future__ import annotations

import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse

import nbformat
import pytest

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parents[2]

# widget function -> the chapter that shows it
WIDGET_CHAPTERS = {
    "conv_explorer": ROOT / "book" / "06_convolution.ipynb",
    "rf_explorer": ROOT / "book" / "09_receptive_fields.ipynb",
}
# DLNOTES_LAB_EXTRA=/path/nb.ipynb:marker adds a notebook (to develop this test)
if os.environ.get("DLNOTES_LAB_EXTRA"):
    _path, _marker = os.environ["DLNOTES_LAB_EXTRA"].rsplit(":", 1)
    WIDGET_CHAPTERS[_marker] = pathlib.Path(_path)

RUN_TIMEOUT_MS = 240_000


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shows_widget(nb_path: pathlib.Path, name: str) -> bool:
    if not nb_path.exists():
        return False
    nb = nbformat.read(nb_path, as_version=4)
    return any(c.cell_type == "code" and name in c.source for c in nb.cells)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token; yields (base url, token, root folder)."""
    root = tmp_path_factory.mktemp("lab-root")
    home = tmp_path_factory.mktemp("lab-home")
    port, token = _free_port(), secrets.token_hex(16)
    # render every cell of an open notebook (no windowing), so the tests see all of them
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text('{"windowingMode": "none"}')
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.user_settings_dir={home / 'settings'}",
           f"--LabApp.workspaces_dir={home / 'workspaces'}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
           "--ServerApp.open_browser=False", "--allow-root"]
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text()[-3000:]}")
        time.sleep(0.5)
    try:
        yield url, token, root
    finally:
        try:  # stops the server and its kernels
            req = urllib.request.Request(f"{url}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(req, timeout=10)
            proc.wait(timeout=20)
        except Exception:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def _api(url, token, path, method="GET"):
    req = urllib.request.Request(f"{url}{path}", method=method,
                                 headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


def _shutdown_kernels(url, token):
    for kernel in _api(url, token, "/api/kernels") or []:
        _api(url, token, f"/api/kernels/{kernel['id']}", method="DELETE")


def _cleared_copy(src: pathlib.Path, root: pathlib.Path, widget: str | None = None) -> str:
    """Copy a chapter into the lab's root, outputs cleared.  With ``widget``, keep only the code
    cells up to the one that imports it (the setup cell, the chapter's imports) and the cells
    that call it: nbval already runs the whole chapter; this test is about the live widget."""
    nb = nbformat.read(src, as_version=4)
    if widget is not None:
        code = [c for c in nb.cells if c.cell_type == "code"]
        first = next(i for i, c in enumerate(code) if "import" in c.source and widget in c.source)
        nb.cells = code[:first + 1] + [c for c in code[first + 1:] if f"{widget}(" in c.source]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    # the kernel JupyterLab starts without asking (no "Select Kernel" dialog)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, root / src.name)
    return src.name


WAIT_ALL_RAN = """() => {
  // a cell whose input is collapsed (the hidden exercise checks) shows an empty prompt
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
      .filter(p => p.textContent.trim());
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


@pytest.mark.parametrize("widget", list(WIDGET_CHAPTERS))
def test_widget_responds_in_jupyterlab(browser, lab, widget, tmp_path):
    chapter = WIDGET_CHAPTERS[widget]
    if not _shows_widget(chapter, widget):
        pytest.skip(f"{chapter.name} does not show {widget} yet")
    url, token, root = lab
    name = _cleared_copy(chapter, root, widget)

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    outside = []

    def block_outside(route):
        if urlparse(route.request.url).hostname not in ("127.0.0.1", "localhost", None):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", block_outside)
    try:
        # a workspace of its own, reset: only this notebook is open
        page.goto(f"{url}/lab/workspaces/{widget}/tree/{name}?reset&token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
        select_kernel = page.locator(".jp-Dialog button", has_text="Select")
        if select_kernel.count():
            select_kernel.first.click()
        # wait for the kernel, then Run > Run All Cells
        page.wait_for_function("() => /Idle/.test(document.querySelector('#jp-main-statusbar')"
                               "?.textContent || '')", timeout=120_000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        page.wait_for_function(WAIT_ALL_RAN, timeout=RUN_TIMEOUT_MS, polling=1000)
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        tracebacks = [t for t in errors.all_text_contents() if "Traceback" in t or "Error" in t]
        assert not tracebacks, f"{name}: errors while running in JupyterLab: {tracebacks[:2]}"

        # the output that holds the widget: sliders and a drawn image
        output = page.locator(".jp-OutputArea-output",
                              has=page.locator(".widget-slider")).filter(
                                  has=page.locator("img")).first
        output.wait_for(timeout=60_000)
        output.scroll_into_view_if_needed()
        assert "Error displaying widget" not in output.inner_text()
        img = output.locator("img").first
        before = img.get_attribute("src")
        slider = output.locator(".widget-slider").first
        readout = slider.locator(".widget-readout")
        value0 = readout.inner_text()
        handle = slider.locator(".noUi-handle, .ui-slider-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")
        if readout.inner_text() == value0:  # it was at its maximum
            page.keyboard.press("ArrowLeft")
            page.keyboard.press("ArrowLeft")
        assert readout.inner_text() != value0, f"{widget}: the slider did not move"
        page.wait_for_function(
            "([el, before]) => { const img = el.querySelector('img'); return img && img.src !== before; }",
            arg=[output.element_handle(), before], timeout=60_000)
        after = output.locator("img").first.get_attribute("src")
        assert after != before, f"{widget}: the drawn output did not change after moving the slider"
    except Exception:
        shot = tmp_path / f"jupyterlab-{widget}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot of the failure: {shot}")
        raise
    finally:
        # Requests to other hosts were aborted (the to_jshtml players of matplotlib link
        # Font Awesome 4 from a CDN); JupyterLab itself made none that matter here.
        context.close()
        _shutdown_kernels(url, token)


BOX_CHAPTER = ROOT / "book" / "08_pooling.ipynb"

MARKDOWN_REPORT = """() => {
  const cells = [...document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')];
  const text = cells.map(c => c.innerText).join('\\n');
  const raw = [':::', '{admonition}', '(trap-', '<a id=', '<details>', '{ref}'].filter(t => text.includes(t));
  const boxes = [...document.querySelectorAll('.jp-RenderedMarkdown blockquote')].filter(
      b => (b.querySelector('strong')?.textContent || '').startsWith('Common misconception'));
  const style = boxes.length ? getComputedStyle(boxes[0]) : null;
  const details = [...document.querySelectorAll('.jp-RenderedMarkdown details')];
  return {cells: cells.length, raw, boxes: boxes.length,
          correct: boxes.filter(b => [...b.querySelectorAll('strong')].some(s => s.textContent.startsWith('Correct'))).length,
          border: style ? style.borderLeftWidth : null,
          details: details.length, closed: details.filter(d => !d.open).length,
          summaries: details.map(d => d.querySelector('summary')?.textContent)};
}"""


def test_boxes_and_solutions_render_in_jupyterlab(browser, lab, tmp_path):
    """A chapter opened in JupyterLab shows its misconception boxes as block quotes with a bold
    title and its solutions collapsed, with no raw MyST syntax (the site shows the same source
    as admonitions and dropdowns; see book/_ext/portable_markdown.py)."""
    url, token, root = lab
    name = _cleared_copy(BOX_CHAPTER, root)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=2)
    page = context.new_page()
    page.route("**/*", lambda route: route.abort() if urlparse(route.request.url).hostname not in
               ("127.0.0.1", "localhost", None) else route.continue_())
    try:
        page.goto(f"{url}/lab/workspaces/boxes/tree/{name}?reset&token={token}")
        page.wait_for_selector(".jp-MarkdownCell .jp-RenderedMarkdown blockquote", timeout=120_000)
        r = page.evaluate(MARKDOWN_REPORT)
        box = page.locator(".jp-RenderedMarkdown blockquote").first
        box.scroll_into_view_if_needed()
        shots = ROOT / "_build" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        box.screenshot(path=str(shots / "jupyterlab-box.png"))
        page.locator(".jp-RenderedMarkdown details").first.screenshot(
            path=str(shots / "jupyterlab-solution.png"))
    finally:
        context.close()
    assert not r["raw"], f"{name} shows raw syntax in JupyterLab: {r['raw']}"
    assert r["boxes"] >= 2 and r["correct"] == r["boxes"], r
    assert r["border"] not in (None, "0px"), "the block quote is not drawn as a box"
    assert r["details"] >= 1 and r["closed"] == r["details"], "solutions must start collapsed"
    assert all(s and s.startswith("Solution") for s in r["summaries"]), r["summaries"]
