"""The bundled CJK font: it has every Chinese character the book uses, and draws them.

The website and the figures show Chinese terms (特征图, 感受野 ...) on machines without a CJK
font, from a subset of Noto Sans CJK SC in the repository (``.ci/cjk_font.py`` builds it;
``tests/browser/test_site.py`` checks the website's glyphs in Chromium).
"""
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dlnotes import plotting  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci"))
import cjk_font  # noqa: E402


def test_the_font_has_every_chinese_character_of_the_book():
    missing = sorted(cjk_font.needed_characters() - cjk_font.font_characters(cjk_font.OTF))
    assert not missing, (f"characters without a glyph in {cjk_font.OTF.name}: {''.join(missing)}; "
                         "rebuild it with `python .ci/cjk_font.py <NotoSansCJK-Regular.ttc>`")
    # the website's WOFF2 is the same subset
    from fontTools.ttLib import TTFont
    web = set(map(chr, TTFont(str(cjk_font.WOFF2)).getBestCmap()))
    assert web == cjk_font.font_characters(cjk_font.OTF)


def _render(text, family):
    import warnings

    warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)  # the tofu case
    fig = plt.figure(figsize=(2, 0.6), dpi=100)
    fig.text(0.05, 0.3, text, fontsize=20, fontfamily=family)
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., 0].copy()
    plt.close(fig)
    return img


def test_matplotlib_draws_chinese_glyphs_not_boxes():
    family = ["DejaVu Sans", plotting.cjk_font()]
    term = _render("特征图", family)
    tofu = _render("\ue000\ue001\ue002", family)       # private-use code points: no glyph anywhere
    assert (term < 128).sum() > 0
    assert not np.array_equal(term, tofu)
    # three different glyphs: the halves of the rendering differ (a tofu box repeats)
    assert not np.array_equal(_render("特", family), _render("征", family))


def test_bold_text_with_the_cjk_fallback_logs_nothing(caplog):
    """The subset has one weight; bold labels must not print a findfont warning on stderr
    (nbval compares stderr)."""
    import logging

    plotting.cjk_font()
    with caplog.at_level(logging.DEBUG, logger="matplotlib.font_manager"):
        fig = plt.figure(figsize=(2, 1))
        fig.text(0.1, 0.5, "bold 特征图", fontweight="bold", fontfamily=["DejaVu Sans", plotting.CJK_FAMILY])
        fig.canvas.draw()
        plt.close(fig)
    assert not [r for r in caplog.records if "Failed to find font weight" in r.getMessage()]
