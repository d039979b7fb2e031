"""Fixtures for the browser tests: the built site on loopback and headless Chromium.

The tests drive Debian's Chromium (``/usr/bin/chromium``; ``.ci/run`` installs it with apt)
through Playwright's Python API.  Playwright's own browser download is not used.  Where no
Chromium can be found, or Playwright is missing, every browser test skips with a message
that says so.

The site tests need ``_build/html`` (command 1 of the README builds it; CI builds before
``pytest``).  ``DLNOTES_SITE=/path/to/html`` points them at another build.

Every fixture here is per xdist worker: each worker serves the site on its own free port
and starts its own browser.
"""
from __future__ import annotations

import functools
import http.server
import os
import pathlib
import shutil
import socketserver
import threading

import pytest

ROOT = pathlib.Path(os.environ.get("DLNOTES_BOOK", pathlib.Path(__file__).resolve().parents[2]))
SITE = pathlib.Path(os.environ.get("DLNOTES_SITE", ROOT / "_build" / "html"))

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def find_chromium():
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="session")
def site_dir():
    if not (SITE / "index.html").exists():
        pytest.skip(f"no built site at {SITE}: run `jupyter-book build . -W -n --keep-going` "
                    "first (README command 1; CI builds before pytest)")
    return SITE


@pytest.fixture(scope="session")
def site_url(site_dir):
    """The built site served on 127.0.0.1 from a thread, on a free port."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright; one per test module and worker.

    Module scope (not session): Playwright's sync API keeps an event loop of its own, and
    other test modules in the same worker (nbclient) need theirs.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -r requirements.txt)")
    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium found at /usr/bin/chromium (install it: apt-get install chromium)")
    with sync_playwright() as pw:  # Playwright gives the browser a new empty profile
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
