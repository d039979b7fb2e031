"""RoI explorer: move and resize a box and watch RoI Pooling's bins and RoI Align's samples.

Three layers, so tests can drive it without a browser and the book can animate it:

- :func:`roi_state` -- pure logic: the bins and sample points for one box;
- :func:`draw_roi` -- draws a state on two ``Axes`` (RoI Pool | RoI Align);
- :func:`roi_explorer` -- the ipywidgets controls around them.

Coordinates in the drawings are feature-map cells with cell ``k`` centred on ``k``
(``imshow``'s convention, and the one bilinear sampling uses).  A box edge at image
pixel ``x`` (pixel edges at integers) lies at ``x/stride - 0.5``.
"""
from __future__ import annotations

import numpy as np

from .._roi import roi_align_sampling_points, roi_pool_bins
from .._validate import check_int
from ..plotting import figure_image

__all__ = ["roi_state", "draw_roi", "demo_boxes", "roi_explorer"]


def _rectangles(x0, y0, x1, y1):
    """Bin rectangles (P_h, P_w, 4) from per-column x edges and per-row y edges."""
    rect = np.empty((len(y0), len(x0), 4))
    rect[..., 0], rect[..., 2] = np.asarray(x0, float)[None, :], np.asarray(x1, float)[None, :]
    rect[..., 1], rect[..., 3] = np.asarray(y0, float)[:, None], np.asarray(y1, float)[:, None]
    return rect


def roi_state(box, feature_size=(25, 25), stride=32, output_size=7, sampling_ratio=2,
              aligned=False):
    """Everything the explorer shows for one box (no drawing).

    Parameters
    ----------
    box : (x1, y1, x2, y2)
        In image pixels.
    feature_size : (int, int)
        Feature map ``(H, W)``; the image is ``H·stride × W·stride``.
    stride : int
    output_size : int
    sampling_ratio : int
        Samples per bin and axis for RoI Align (-1: adaptive).
    aligned : bool

    Returns
    -------
    dict with
        ``box_cells`` (x1, y1, x2, y2) the true box in cell-centre coordinates;
        ``pool_bins`` ndarray (P, P, 4) of bin rectangles ``[x0, y0, x1, y1]`` in the same
        coordinates (cell edges); ``pool_empty`` (P, P) bool;
        ``pool_pixels`` (x1, y1, x2, y2) the image region the bins cover, in pixels;
        ``align_x`` (P, gw), ``align_y`` (P, gh) sample coordinates; ``grid`` (gh, gw);
        ``align_bins`` (P, P, 4) RoI Align's bin rectangles.
    """
    h, w = feature_size
    stride = check_int("stride", stride, 1)
    p = check_int("output_size", output_size, 1)
    box = np.asarray(box, dtype=np.float64).reshape(1, 4)
    if box[0, 2] < box[0, 0] or box[0, 3] < box[0, 1]:
        raise ValueError(f"box {box[0]} has x2 < x1 or y2 < y1")
    scale = 1.0 / stride
    hs, he, ws, we = roi_pool_bins(box, p, scale, h, w)
    pool_bins = _rectangles(ws[0], hs[0], we[0], he[0]) - 0.5             # (P, P, 4)
    empty = (he[0] <= hs[0])[:, None] | (we[0] <= ws[0])[None, :]
    pts = roi_align_sampling_points(box, p, scale, sampling_ratio, aligned)[0]
    (sx, sy), (bw, bh) = pts["start"], pts["bin_size"]
    i = np.arange(p)
    align_bins = _rectangles(sx + i * bw, sy + i * bh, sx + (i + 1) * bw, sy + (i + 1) * bh)
    covered = np.array([ws[0].min(), hs[0].min(), we[0].max(), he[0].max()]) * stride
    return dict(box=box[0], box_cells=box[0] * scale - 0.5, feature_size=(h, w), stride=stride,
                output_size=p, pool_bins=pool_bins, pool_empty=empty, pool_pixels=covered,
                align_x=pts["x"], align_y=pts["y"], grid=pts["grid"], align_bins=align_bins,
                aligned=aligned, sampling_ratio=sampling_ratio)


def _grid(ax, h, w):
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.set_xticks(np.arange(-0.5, w, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, h, 1), minor=True)
    ax.grid(which="minor", color="0.85", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelsize=8)
    ax.set_aspect("equal")


def draw_roi(state, axes=None):
    """Draw :func:`roi_state`'s output: RoI Pool bins (left) and RoI Align samples (right).

    Parameters
    ----------
    state : dict
    axes : (Axes, Axes), optional

    Returns
    -------
    (Axes, Axes)
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(7.8, 3.9))
    h, w = state["feature_size"]
    x1, y1, x2, y2 = state["box_cells"]
    for ax in axes:
        ax.clear()
        _grid(ax, h, w)
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor="tab:green",
                               linewidth=2, zorder=3))
    ax_pool, ax_align = axes
    bins = state["pool_bins"].reshape(-1, 4)[~state["pool_empty"].ravel()]
    ax_pool.add_collection(PatchCollection(
        [Rectangle((a, b), c - a, d - b) for a, b, c, d in bins],
        facecolor=(0.84, 0.15, 0.16, 0.12), edgecolor="tab:red", linewidth=1.0))
    px = state["pool_pixels"]
    ax_pool.set_title(f"RoI Pool: bins cover x {px[0]:.0f}–{px[2]:.0f} px, "
                      f"y {px[1]:.0f}–{px[3]:.0f} px", fontsize=8)
    ax_align.add_collection(PatchCollection(
        [Rectangle((a, b), c - a, d - b) for a, b, c, d in state["align_bins"].reshape(-1, 4)],
        facecolor="none", edgecolor="tab:blue", linewidth=0.8, linestyle="--"))
    xs, ys = np.meshgrid(state["align_x"].ravel(), state["align_y"].ravel())
    ax_align.plot(xs.ravel(), ys.ravel(), "x", color="tab:blue", markersize=4)
    gh, gw = state["grid"]
    ax_align.set_title(f"RoI Align: {gh}×{gw} samples per bin, aligned={state['aligned']}",
                       fontsize=8)
    return axes


def demo_boxes(frames=16, image_size=800):
    """A box that slides and grows across the image, for the static twin (list of boxes)."""
    t = np.linspace(0, 1, frames)
    size = 120 + 545 * t                          # ends at the notes' 665-px box
    x1 = (image_size - size) * (0.5 - 0.5 * np.cos(2 * np.pi * t)) * 0.8 + 10 * t
    y1 = (image_size - size) * 0.3 * (1 - t)
    return [tuple(float(v) for v in np.round([a, b, a + s, b + s], 1))
            for a, b, s in zip(x1, y1, size)]


def roi_explorer(feature_size=(25, 25), stride=32, box=(0, 0, 665, 665), output_size=7,
                 sampling_ratio=2, aligned=False):
    """Interactive: sliders for the box (pixels), the output size, the samples per bin, aligned.

    Returns
    -------
    ipywidgets.VBox
        With attributes ``controls`` (dict of name -> widget), ``output`` (the Output
        widget), ``state()`` (the current :func:`roi_state`) and ``axes`` (the two Axes).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    h, w = feature_size
    img_h, img_w = h * stride, w * stride
    x1, y1, x2, y2 = box
    controls = dict(
        x1=widgets.FloatSlider(value=x1, min=0, max=img_w, step=1, description="x1 (px)"),
        y1=widgets.FloatSlider(value=y1, min=0, max=img_h, step=1, description="y1 (px)"),
        width=widgets.FloatSlider(value=x2 - x1, min=0, max=img_w, step=1, description="width"),
        height=widgets.FloatSlider(value=y2 - y1, min=0, max=img_h, step=1, description="height"),
        output_size=widgets.IntSlider(value=output_size, min=1, max=10, description="bins"),
        sampling_ratio=widgets.Dropdown(options=[("adaptive (-1)", -1), ("1", 1), ("2", 2),
                                                 ("3", 3), ("4", 4)],
                                        value=sampling_ratio, description="samples"),
        aligned=widgets.Checkbox(value=aligned, description="aligned"),
    )
    fig, axes = plt.subplots(1, 2, figsize=(7.8, 3.9))
    plt.close(fig)
    out = widgets.Output()

    def current_state():
        c = {k: v.value for k, v in controls.items()}
        return roi_state((c["x1"], c["y1"], c["x1"] + c["width"], c["y1"] + c["height"]),
                         feature_size, stride, c["output_size"], c["sampling_ratio"], c["aligned"])

    def update(**_):
        draw_roi(current_state(), axes)
        # Replace the Output's content through its state, not ``with out:`` (which needs a
        # front-end and leaks into the cell under nbclient/nbval); PNG bytes, so no
        # figure object is kept by the front-end.
        out.outputs = ()
        out.append_display_data(figure_image(fig))

    widgets.interactive_output(update, controls)
    ui = widgets.VBox([widgets.HBox([widgets.VBox([controls[k] for k in ("x1", "y1", "width",
                                                                           "height")]),
                                     widgets.VBox([controls[k] for k in ("output_size",
                                                                         "sampling_ratio",
                                                                         "aligned")])]),
                       out])
    ui.controls = controls
    ui.state = current_state
    ui.axes = axes
    ui.output = out
    return ui
