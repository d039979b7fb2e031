"""Every saved figure and player is sharp on a 2x screen and its text is legible on the site.

Measured from the saved notebooks (see ``tests/figure_legibility.py``): density of at least
2 image pixels per CSS pixel, and smallest text of at least 10 CSS pixels at the site's
content width.  ``tests/browser/test_site.py`` measures the same on the rendered pages.
"""
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import figure_legibility as fl  # noqa: E402

CHAPTERS = sorted((fl.ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_figures_and_players_are_sharp_and_legible(nb):
    found = fl.problems(nb)
    assert not found, "\n".join(found)


def _png_header(width, height=200):
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + body)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_the_measure_flags_a_blurry_figure_and_small_text(tmp_path):
    import base64
    import json

    from dlnotes._png import MIN_TEXT_KEY, add_text

    def output(width_px, css_width, text_px):
        png = add_text(_png_header(width_px), MIN_TEXT_KEY, text_px)
        return {"output_type": "display_data", "data": {"image/png": base64.b64encode(png).decode()},
                "metadata": {"image/png": {"width": css_width}}}

    nb = {"cells": [{"cell_type": "code", "outputs": [
        output(600, 600, "16.0"),      # shown at 1x: blurry on a 2x screen, text 16 px: fine
        output(1600, 800, "16.0"),     # 2x, shown at 784: text 16 * 784 / 1600 = 7.8 px
        output(1200, 600, "24.0"),     # 2x, text 12 px: fine
    ]}]}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    found = fl.problems(path)
    assert len(found) == 2, found
    assert "600 image px shown at 600 CSS px (1.00x" in found[0]
    assert "smallest text 7.8 CSS px" in found[1]
