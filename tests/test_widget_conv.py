"""The convolution explorer: logic, drawing and the widget driven from Python."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlnotes.widgets import conv as wconv


def torch_full(x, k, s, p, d):
    return F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(k)[None, None],
                    stride=s, padding=p, dilation=d)[0, 0].numpy()


@pytest.mark.parametrize("k,s,p,d", [(3, 1, 0, 1), (3, 2, 1, 1), (2, 1, 2, 2), (1, 3, 0, 1)])
def test_every_step_value_is_the_torch_output(k, s, p, d):
    x, kern = wconv.default_input(6), wconv.default_kernel(k)
    ref = torch_full(x, kern, s, p, d)
    first = wconv.conv_step(x, kern, 0, s, p, d)
    assert first["n_positions"] == ref.size
    for pos in range(ref.size):
        step = wconv.conv_step(x, kern, pos, s, p, d)
        assert step["value"] == pytest.approx(ref.ravel()[pos])
        filled = ~np.isnan(step["output"])
        assert filled.sum() == pos + 1
        np.testing.assert_allclose(step["output"][filled], ref[filled])
        # the window cells are exactly where the dilated kernel lands in the padded input
        i, j = step["out_index"]
        assert step["rows"][0, 0] == i * s and step["cols"][0, 0] == j * s
        assert step["rows"][-1, 0] - step["rows"][0, 0] == d * (k - 1)


def test_position_is_clipped_to_the_last_output():
    x = wconv.default_input(5)
    step = wconv.conv_step(x, wconv.default_kernel(3), position=999)
    assert step["position"] == 8 and step["out_index"] == (2, 2)


def test_conv_step_rejects_bad_input():
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        wconv.conv_step(np.zeros((1, 5, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        wconv.conv_step(np.zeros((3, 3)), np.ones((3, 3)), dilation=2)


def test_drawing_shows_products_and_output():
    x, k = wconv.default_input(5), wconv.default_kernel(3)
    step = wconv.conv_step(x, k, 4)
    ax_in, ax_prod, ax_out = wconv.draw_conv_step(step)
    assert len(ax_in.patches) == 9  # the 3x3 window
    texts = [t.get_text() for t in ax_prod.texts]
    assert texts == [f"{v:g}" for v in step["products"].ravel()]
    assert ax_prod.get_title() == f"products, sum = {step['value']:g}"
    assert len(ax_out.texts) == 5  # positions 0..4 filled
    plt.close("all")


def test_widget_sliders_drive_the_state():
    box = wconv.conv_explorer()
    c = box.controls
    assert set(c) == {"position", "kernel_size", "stride", "padding", "dilation"}
    assert box.state["n_positions"] == 16 and c["position"].max == 15
    c["position"].value = 5
    assert box.state["out_index"] == (1, 1)
    c["stride"].value = 2
    assert box.state["n_positions"] == 4 and c["position"].max == 3
    assert c["position"].value == 3  # clamped by the slider
    c["padding"].value = 1
    ref = torch_full(wconv.default_input(6), wconv.default_kernel(3), 2, 1, 1)
    np.testing.assert_allclose(box.state["full"], ref)
    products = [t.get_text() for t in box.figure.axes[1].texts]
    assert products == [f"{v:g}" for v in box.state["products"].ravel()]
    # the Output widget holds exactly one PNG of that figure
    (shown,) = box.output.outputs
    assert shown["output_type"] == "display_data"
    assert shown["data"]["image/png"]
    plt.close("all")


def test_widget_reports_configurations_torch_refuses():
    box = wconv.conv_explorer(size=4)
    box.controls["kernel_size"].value = 5
    box.controls["dilation"].value = 3
    assert box.state is None and "smaller than the dilated kernel" in box.error
    (shown,) = box.output.outputs
    assert shown["output_type"] == "stream" and "torch would refuse" in shown["text"]
    box.controls["dilation"].value = 1
    box.controls["padding"].value = 1
    assert box.error is None and box.state["n_positions"] == 4
    plt.close("all")


def test_fixed_kernel_disables_the_size_slider():
    box = wconv.conv_explorer(kernel=np.ones((2, 2)))
    assert box.controls["kernel_size"].disabled
    assert box.state["products"].shape == (2, 2)
    plt.close("all")


def test_static_twin_is_a_small_player():
    html = wconv.conv_animation().data
    assert "<script" in html and html.count("data:image/png;base64") <= 30
    assert len(html) < 1_000_000
