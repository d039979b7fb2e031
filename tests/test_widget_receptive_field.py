"""The receptive-field widget: logic, drawing and controls driven from Python (no browser)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from dlnotes import receptive_field as R  # noqa: E402
from dlnotes.widgets import _rf_draw  # noqa: E402
from dlnotes.widgets import receptive_field as W  # noqa: E402


def _erf_support_in_box(st):
    y0, x0, y1, x1 = st["box"]
    ys, xs = np.nonzero(st["erf"])
    return (ys.min() >= max(y0, 0) and ys.max() <= y1 and xs.min() >= max(x0, 0)
            and xs.max() <= x1)


def test_state_matches_the_table_and_the_erf_lies_in_the_box():
    st = W.rf_state("VGG16 (note 001)", layer=5, unit=(3, 40))
    assert st["row"].name == "pool2" and st["row"].rf == 16 and st["map_size"] == 56
    assert st["box"] == R.rf_box(st["row"], (3, 40))
    assert _erf_support_in_box(st) and st["erf"].max() == 1.0
    # the cone of the unit's column: level 0 spans the box, the top is the unit
    cone = st["cone"]
    assert len(cone) == 7 and cone[-1].tolist() == [40]
    assert (cone[0].min(), cone[0].max()) == (st["box"][1], st["box"][3])
    assert st["sizes"][:7] == [224, 224, 224, 112, 112, 112, 56] and len(st["sizes"]) == 19
    assert st["names"][0] == "input" and st["names"][6] == "pool2"
    lo, hi = st["window"]
    assert lo < st["box"][1] and hi > st["box"][3] and hi - lo >= 19


def test_erf_is_peaked_at_the_centre_for_a_3x3_stack():
    st = W.rf_state("3x3 stack", layer=7)
    c = st["unit"][0]
    assert st["row"].rf == 17
    erf = st["erf"]
    assert erf[c, c] == erf.max() and erf[c, c - 8] < 0.01 * erf[c, c]  # Gaussian-like, not flat


def test_random_relu_erf_lies_in_the_box_and_is_seeded():
    a = W.rf_state("AlexNet (note 001)", layer=2, erf=W.ERF_MODES[1])
    assert a["erf_mode"] == W.ERF_MODES[1] and _erf_support_in_box(a)
    b = W.effective_rf("AlexNet (note 001)", 2, a["unit"], W.ERF_MODES[1], seed=0)
    np.testing.assert_array_equal(a["erf"], b)
    c = W.effective_rf("AlexNet (note 001)", 2, a["unit"], W.ERF_MODES[1], seed=1)
    u = W.rf_state("AlexNet (note 001)", layer=2)["erf"]
    assert not np.allclose(b, c) and not np.allclose(b, u)   # random, and not the linear one
    assert (b > 0).sum() > 0.3 * (u > 0).sum()               # spread over the box, not a point


def _texts(ax):
    return [t for t in ax.texts if t.get_text().strip()]


def test_draw_puts_box_marker_table_and_cone_where_the_state_says():
    st = W.rf_state("dilated 1-2-4-8", layer=3, unit=(10, 20))
    ax_img, ax_tab, ax_stack = W.draw_rf(st, np.zeros((64, 64)))
    (rect,) = [p for p in ax_img.patches if isinstance(p, Rectangle)]
    y0, x0, y1, x1 = st["box"]
    assert rect.get_xy() == (x0 - 0.5, y0 - 0.5) and rect.get_width() == x1 - x0 + 1 == 31
    (marker,) = [ln for ln in ax_img.lines if ln.get_marker() == "+"]
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (20, 10)   # the unit's centre
    assert not ax_img.child_axes                   # RF 31 of 64: no zoom inset needed
    assert ax_img.get_title() == "d=8: RF 15 + (17\u22121)\u00b71 = 31, jump 1"
    # the table: the current row (the last) is bold, the others normal
    bold = [t for t in _texts(ax_tab) if t.get_fontweight() == "bold"]
    assert any(t.get_text().split("\n")[-1] == "d=8" for t in bold)
    assert any(t.get_text().split("\n")[-1] == "31" for t in bold)
    # the stack: the unit (a star) on level 4 at its pixel, the cone's level 0 in blue
    (star,) = [ln for ln in ax_stack.lines if ln.get_marker() == "*"]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (20, 4)
    blue = [ln for ln in ax_stack.lines if ln.get_color() == _rf_draw.CONE
            and len(ln.get_ydata()) and ln.get_ydata()[0] == 0]
    xs = np.concatenate([ln.get_xdata() for ln in blue])
    assert sorted(xs) == [x for x in st["cone"][0] if 0 <= x < 64]
    plt.close("all")


def test_a_small_rf_gets_a_zoom_inset_with_the_box_visible():
    st = W.rf_state("VGG16 (note 001)", layer=0)
    ax_img, _, ax_stack = W.draw_rf(st, np.zeros((224, 224)))
    (ins,) = ax_img.child_axes
    lo, hi = sorted(ins.get_xlim())
    y0, x0, y1, x1 = st["box"]
    assert lo < x0 and x1 < hi and hi - lo < 25          # the 3-pixel box fills an eighth
    assert ax_stack.get_xlim() == st["window"]
    # redrawing a large RF on the same axes removes the inset
    W.draw_rf(W.rf_state("VGG16 (note 001)", layer=17), np.zeros((224, 224)),
              (ax_img, _, ax_stack))
    assert not ax_img.child_axes
    plt.close("all")


def test_widget_sliders_drive_the_state():
    widgets = pytest.importorskip("ipywidgets")
    box = W.rf_explorer("AlexNet (note 001)")
    c = box.controls
    assert c["layer"].max == 7 and box.state["current"]["layer"] == 0

    def sliders(w):
        if isinstance(w, widgets.IntSlider):
            yield w
        for child in getattr(w, "children", ()):
            yield from sliders(child)

    assert next(sliders(box)) is c["layer"]       # the browser test moves the first slider
    c["layer"].value = 2
    st = box.state["current"]
    assert st["row"].name == "conv2" and st["row"].rf == 51 and c["row"].max == 25
    c["row"].value, c["col"].value = 0, 25
    assert box.state["current"]["unit"] == (0, 25)
    (rect,) = [p for p in box.axes[0].patches if isinstance(p, Rectangle)]
    y0, x0, y1, x1 = box.state["current"]["box"]
    assert rect.get_xy() == (x0 - 0.5, y0 - 0.5)  # what is drawn follows the sliders
    png = box.output.outputs[-1]["data"]["image/png"]
    c["erf"].value = W.ERF_MODES[1]
    assert box.state["current"]["erf_mode"] == W.ERF_MODES[1]
    assert box.output.outputs[-1]["data"]["image/png"] != png   # redrawn
    c["network"].value = "3x3 stack"
    assert c["layer"].max == 7 and box.state["current"]["network"] == "3x3 stack"
    plt.close("all")


def test_animation_has_one_frame_per_layer_and_legible_text():
    import re

    from dlnotes.animation import MIN_TEXT_PX, to_html

    html = to_html(W.rf_animation("ZF-5 (note 001)")).data
    assert html.count("frames[6]") == 1 and "frames[7]" not in html
    m = re.search(r'data-frame-width="(\d+)" data-min-text-px="([\d.]+)"', html)
    width, text = int(m.group(1)), float(m.group(2))
    assert width <= 2 * 784                        # shown unscaled on the site
    assert text / 2 >= MIN_TEXT_PX                 # smallest text in CSS px
    html = to_html(W.rf_animation("3x3 stack", layers=[0, 7])).data
    assert "frames[1]" in html and "frames[2]" not in html


def test_bad_choices():
    with pytest.raises(ValueError, match="network='nope'"):
        W.rf_state("nope")
    with pytest.raises(ValueError, match="layer=9 is out of range"):
        W.rf_state("3x3 stack", layer=9)
    with pytest.raises(ValueError, match="outside layer"):
        W.rf_state("3x3 stack", layer=0, unit=(64, 0))
    with pytest.raises(ValueError, match="mode='flat'"):
        W.rf_state("3x3 stack", layer=0, erf="flat")
