"""The RoI explorer: logic equals the RoI ops, drawing shows it, the widget is drivable."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torchvision.ops as ops

from dlnotes.widgets import roi as wroi


@pytest.mark.parametrize("box,p,sr,aligned", [((0, 0, 665, 665), 7, 2, False),
                                              ((100.5, 37, 300, 500.25), 5, -1, True),
                                              ((700, 700, 800, 800), 3, 1, False)])
def test_state_bins_and_samples_reproduce_torchvision(box, p, sr, aligned):
    state = wroi.roi_state(box, (25, 25), 32, p, sr, aligned)
    x = np.random.default_rng(0).standard_normal((1, 1, 25, 25))
    boxes = torch.tensor([[0.0, *box]], dtype=torch.float64)
    pooled = ops.roi_pool(torch.from_numpy(x), boxes, p, 1 / 32)[0, 0].numpy()
    # the max over each drawn bin (cell edges at k - 0.5) is RoI Pool's output
    for i in range(p):
        for j in range(p):
            x0, y0, x1, y1 = state["pool_bins"][i, j] + 0.5
            cells = x[0, 0, int(y0):int(y1), int(x0):int(x1)]
            expected = 0.0 if state["pool_empty"][i, j] else cells.max()
            assert pooled[i, j] == expected
    # the mean of bilinear samples at the drawn points is RoI Align's output
    aligned_out = ops.roi_align(torch.from_numpy(x), boxes, p, 1 / 32, sr, aligned)[0, 0].numpy()
    gx, gy = state["grid"][1], state["grid"][0]
    assert state["align_x"].shape == (p, gx) and state["align_y"].shape == (p, gy)
    from scipy.ndimage import map_coordinates
    for i in range(p):
        for j in range(p):
            yy, xx = np.meshgrid(state["align_y"][i], state["align_x"][j], indexing="ij")
            inside = (yy >= 0) & (yy <= 24) & (xx >= 0) & (xx <= 24)
            if inside.all():
                vals = map_coordinates(x[0, 0], [yy.ravel(), xx.ravel()], order=1)
                assert aligned_out[i, j] == pytest.approx(vals.mean(), abs=1e-12)


def test_notes_box_covers_704_pixels():
    state = wroi.roi_state((0, 0, 665, 665))
    np.testing.assert_array_equal(state["pool_pixels"], [0, 0, 704, 704])


def test_draw_roi_draws_bins_and_points():
    state = wroi.roi_state((0, 0, 665, 665), output_size=7, sampling_ratio=2)
    ax_pool, ax_align = wroi.draw_roi(state)
    assert len(ax_pool.patches) == 1 and len(ax_align.patches) == 1    # the box
    assert len(ax_pool.collections[0].get_paths()) == 49                # 49 bins
    assert len(ax_align.collections[0].get_paths()) == 49
    assert len(ax_align.lines[0].get_xdata()) == 49 * 4
    assert "704" in ax_pool.get_title()
    plt.close("all")


def test_widget_sliders_drive_the_state():
    ui = wroi.roi_explorer()
    ui.controls["x1"].value = 64
    ui.controls["width"].value = 128
    ui.controls["output_size"].value = 2
    ui.controls["sampling_ratio"].value = 3
    ui.controls["aligned"].value = True
    state = ui.state()
    np.testing.assert_array_equal(state["box"], [64, 0, 192, 665])
    assert state["grid"] == (3, 3) and state["pool_bins"].shape == (2, 2, 4)
    assert len(ui.axes[1].lines[0].get_xdata()) == 4 * 9    # drawn after the change
    assert len(ui.output.outputs) == 1 and "image/png" in ui.output.outputs[0]["data"]
    plt.close("all")


def test_demo_boxes_and_bad_box():
    boxes = wroi.demo_boxes(12)
    assert len(boxes) == 12 and boxes[-1][2] - boxes[-1][0] == pytest.approx(665)
    with pytest.raises(ValueError, match="x2 < x1"):
        wroi.roi_state((10, 0, 5, 5))
