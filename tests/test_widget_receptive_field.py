"""The receptive-field widget: logic, drawing and controls driven from Python (no browser)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from dlnotes import receptive_field as R  # noqa: E402
from dlnotes.widgets import receptive_field as W  # noqa: E402


def test_state_matches_the_table_and_the_erf_lies_in_the_box():
    st = W.rf_state("VGG16 (note 001)", layer=5, unit=(3, 40))
    assert st["row"].name == "pool2" and st["row"].rf == 16 and st["map_size"] == 56
    y0, x0, y1, x1 = st["box"]
    assert (y0, x0, y1, x1) == R.rf_box(st["row"], (3, 40))
    ys, xs = np.nonzero(st["erf"])
    assert ys.min() >= max(y0, 0) and ys.max() <= y1 and xs.min() >= x0 and xs.max() <= x1
    assert st["erf"].max() == 1.0


def test_erf_is_peaked_at_the_centre_for_a_3x3_stack():
    st = W.rf_state("3x3 stack", layer=7)
    c = st["unit"][0]
    assert st["row"].rf == 17
    erf = st["erf"]
    assert erf[c, c] == erf.max() and erf[c, c - 8] < 0.01 * erf[c, c]  # Gaussian-like, not flat


def test_draw_puts_the_box_where_the_state_says():
    st = W.rf_state("dilated 1-2-4-8", layer=3, unit=(10, 20))
    ax_img, ax_map = W.draw_rf(st, np.zeros((64, 64)))
    (rect,) = [p for p in ax_img.patches if isinstance(p, Rectangle)]
    y0, x0, y1, x1 = st["box"]
    assert rect.get_xy() == (x0 - 0.5, y0 - 0.5) and rect.get_width() == x1 - x0 + 1 == 31
    plt.close("all")


def test_widget_sliders_drive_the_state():
    pytest.importorskip("ipywidgets")
    box = W.rf_explorer("AlexNet (note 001)")
    c = box.controls
    assert c["layer"].max == 7 and box.state["current"]["layer"] == 0
    c["layer"].value = 2
    st = box.state["current"]
    assert st["row"].name == "conv2" and st["row"].rf == 51 and c["row"].max == 25
    c["row"].value, c["col"].value = 0, 25
    assert box.state["current"]["unit"] == (0, 25)
    (rect,) = [p for p in box.axes[0].patches if isinstance(p, Rectangle)]
    y0, x0, y1, x1 = box.state["current"]["box"]
    assert rect.get_xy() == (x0 - 0.5, y0 - 0.5)  # what is drawn follows the sliders
    assert box.output.outputs[-1]["data"]["image/png"]  # one PNG in the Output
    c["network"].value = "3x3 stack"
    assert c["layer"].max == 7 and box.state["current"]["network"] == "3x3 stack"
    plt.close("all")


def test_animation_has_one_frame_per_layer():
    from dlnotes.animation import to_html

    html = to_html(W.rf_animation("ZF-5 (note 001)")).data
    assert html.count("frames[6]") == 1 and "frames[7]" not in html


def test_bad_choices():
    with pytest.raises(ValueError, match="network='nope'"):
        W.rf_state("nope")
    with pytest.raises(ValueError, match="layer=9 is out of range"):
        W.rf_state("3x3 stack", layer=9)
    with pytest.raises(ValueError, match="outside layer"):
        W.rf_state("3x3 stack", layer=0, unit=(64, 0))
