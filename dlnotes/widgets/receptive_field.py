"""The receptive field of one unit, layer by layer: logic, drawing, widget and static twin.

- :func:`rf_state` (logic) computes what to show: the layer table, the unit's
  theoretical box (:func:`dlnotes.receptive_field.rf_box`) and its effective receptive
  field (the gradient of the unit with respect to the image, in a linear version of the
  network: every convolution a uniform ``k×k`` average, every pooling an average).
- :func:`draw_rf` (drawing) draws a state on two axes.
- :func:`rf_explorer` (controls) wires a Dropdown and three IntSliders to them.
- :func:`rf_animation` (static twin) draws the same picture for layer 1, 2, ... .
"""
from __future__ import annotations

import numpy as np

from .._validate import check_choice, check_int
from ..receptive_field import effective_receptive_field, receptive_field, rf_box
from ..plotting import figure_image

__all__ = ["NETWORKS", "rf_state", "draw_rf", "rf_explorer", "rf_animation"]

_VGG = [[3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1],
        [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1],
        [3, 1, 1], [2, 2, 0]]
_VGG_NAMES = ["conv1_1", "conv1_2", "pool1", "conv2_1", "conv2_2", "pool2", "conv3_1", "conv3_2",
              "conv3_3", "pool3", "conv4_1", "conv4_2", "conv4_3", "pool4", "conv5_1", "conv5_2",
              "conv5_3", "pool5"]

#: name -> (layers in the notes' [k, s, p(, d)] format, layer names, input size)
NETWORKS = {
    "VGG16 (note 001)": (_VGG, _VGG_NAMES, 224),
    "AlexNet (note 001)": ([[11, 4, 0], [3, 2, 0], [5, 1, 2], [3, 2, 0], [3, 1, 1], [3, 1, 1],
                            [3, 1, 1], [3, 2, 0]],
                           ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5"], 224),
    "ZF-5 (note 001)": ([[7, 2, 3], [3, 2, 1], [5, 2, 2], [3, 2, 1], [3, 1, 1], [3, 1, 1], [3, 1, 1]],
                        ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5"], 224),
    "3x3 stack": ([[3, 1, 1]] * 8, [f"conv{i + 1}" for i in range(8)], 64),
    "dilated 1-2-4-8": ([[3, 1, 1, 1], [3, 1, 2, 2], [3, 1, 4, 4], [3, 1, 8, 8]],
                        ["d=1", "d=2", "d=4", "d=8"], 64),
}


def _linear_net(layers):
    """Uniform-weight, 1-channel version of ``layers`` (float64): its gradient is the ERF."""
    import torch.nn as nn

    mods = []
    for layer in layers:
        k, s, p = layer[:3]
        d = layer[3] if len(layer) > 3 else 1
        m = nn.Conv2d(1, 1, k, s, p, d, bias=False)
        nn.init.constant_(m.weight, 1.0 / (k * k))
        mods.append(m)
    return nn.Sequential(*mods).double()


def rf_state(network="VGG16 (note 001)", layer=None, unit=None):
    """Everything the widget shows for one choice (pure: no drawing).

    Parameters
    ----------
    network : str
        A key of :data:`NETWORKS`.
    layer : int, optional
        0-based layer index (default: the last layer).
    unit : (int, int), optional
        Position in that layer's output map (default: its centre).

    Returns
    -------
    dict
        ``network, layer, unit, rows`` (the :class:`~dlnotes.receptive_field.RFRow`
        table), ``row`` (the chosen layer), ``box`` ``(y0, x0, y1, x1)``, ``erf`` (H, W)
        normalised to max 1, ``input_size``, ``map_size``.
    """
    check_choice("network", network, tuple(NETWORKS))
    layers, names, size = NETWORKS[network]
    rows = receptive_field(layers, input_size=size, names=names)
    layer = len(rows) - 1 if layer is None else check_int("layer", layer, 0)
    if layer >= len(rows):
        raise ValueError(f"layer={layer} is out of range; {network} has layers 0..{len(rows) - 1}")
    row = rows[layer]
    n = row.size
    unit = (n // 2, n // 2) if unit is None else tuple(unit)
    if not all(0 <= u < n for u in unit):
        raise ValueError(f"unit={unit} is outside layer {row.name!r}'s {n}x{n} map")
    model = _linear_net(layers[:layer + 1])
    import torch

    erf = effective_receptive_field(model, (1, size, size), layer=str(layer), unit=unit,
                                    inputs=torch.ones(1, 1, size, size, dtype=torch.float64))
    erf = erf / erf.max() if erf.max() > 0 else erf
    return dict(network=network, layer=layer, unit=unit, rows=rows, row=row,
                box=rf_box(row, unit), erf=erf, input_size=size, map_size=n)


def draw_rf(state, image, axes=None):
    """Draw a :func:`rf_state` on two axes: the image with box + heatmap, and the layer's grid.

    Parameters
    ----------
    state : dict
    image : ndarray, shape (H, W), the input image (``H = W = state['input_size']``)
    axes : (Axes, Axes), optional

    Returns
    -------
    (Axes, Axes)
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(7, 3.4), gridspec_kw=dict(width_ratios=[1.4, 1]))
    ax_img, ax_map = axes
    ax_img.clear()
    ax_map.clear()
    size = state["input_size"]
    y0, x0, y1, x1 = state["box"]
    ax_img.imshow(image, cmap="gray", extent=(-0.5, size - 0.5, size - 0.5, -0.5))
    erf = np.ma.masked_less_equal(state["erf"], 1e-3)
    ax_img.imshow(erf, cmap="magma", alpha=0.6, vmin=0, vmax=1,
                  extent=(-0.5, size - 0.5, size - 0.5, -0.5))
    ax_img.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False,
                               edgecolor="tab:cyan", linewidth=2))
    lo = min(-0.5, y0 - 0.5, x0 - 0.5) - 4
    hi = max(size - 0.5, y1 + 0.5, x1 + 0.5) + 4
    ax_img.set_xlim(lo, hi)
    ax_img.set_ylim(hi, lo)
    ax_img.set_facecolor("0.85")  # the padding region
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    row = state["row"]
    ax_img.set_title(f"{row.name}: RF {row.rf}, jump {row.jump}", fontsize=9)
    n = state["map_size"]
    grid = np.zeros((n, n))
    grid[state["unit"]] = 1
    ax_map.imshow(grid, cmap="Blues", vmin=0, vmax=1.3)
    ax_map.set_title(f"{n}x{n} map, unit {tuple(int(u) for u in state['unit'])}", fontsize=9)
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    return ax_img, ax_map


def _image(size, name="astronaut"):
    from ..data import load_image

    return load_image(name, gray=True, size=size)


def rf_explorer(network="VGG16 (note 001)", image="astronaut"):
    """Pick a network, a layer and a unit; see the unit's receptive field on the image.

    Controls (plain ipywidgets, common to 7 and 8): a ``Dropdown`` for the network and
    ``IntSlider`` s for the layer and the unit's row and column.

    Returns
    -------
    ipywidgets.VBox
        With attributes ``controls`` (dict of the widgets: ``network``, ``layer``, ``row``,
        ``col``), ``state`` (a dict holding the latest :func:`rf_state` under ``"current"``),
        ``axes`` (the two Axes drawn on) and ``output`` (the ``Output`` showing them as PNG).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    check_choice("network", network, tuple(NETWORKS))
    net = widgets.Dropdown(options=list(NETWORKS), value=network, description="network")
    layer = widgets.IntSlider(min=0, max=1, value=0, description="layer", continuous_update=False)
    row = widgets.IntSlider(min=0, max=1, value=0, description="unit row", continuous_update=False)
    col = widgets.IntSlider(min=0, max=1, value=0, description="unit col", continuous_update=False)
    out = widgets.Output()
    holder = {}
    busy = {"on": False}
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.4), gridspec_kw=dict(width_ratios=[1.4, 1]))
    plt.close(fig)  # drawn into the Output only, never shown by the cell itself

    def redraw(*_):
        if busy["on"]:
            return
        state = rf_state(net.value, layer.value, (row.value, col.value))
        holder["current"] = state
        draw_rf(state, _image(state["input_size"], image), axes)
        # Replace the Output's content through its state, not ``with out:`` (which needs a
        # front-end and leaks into the cell under nbclient/nbval): PNG bytes.
        out.outputs = ()
        out.append_display_data(figure_image(fig))

    def set_layer_range(*_):
        busy["on"] = True
        n_layers = len(NETWORKS[net.value][0])
        layer.max = n_layers - 1
        layer.value = min(layer.value, n_layers - 1)
        busy["on"] = False
        set_unit_range()

    def set_unit_range(*_):
        busy["on"] = True
        layers, names, size = NETWORKS[net.value]
        n = receptive_field(layers[:layer.value + 1], input_size=size)[-1].size
        for s in (row, col):
            s.max = max(n - 1, 0)
            s.value = n // 2  # a new layer starts at its centre unit
        busy["on"] = False
        redraw()

    net.observe(set_layer_range, names="value")
    layer.observe(set_unit_range, names="value")
    row.observe(redraw, names="value")
    col.observe(redraw, names="value")
    set_layer_range()
    box = widgets.VBox([widgets.HBox([net, layer]), widgets.HBox([row, col]), out])
    box.controls = dict(network=net, layer=layer, row=row, col=col)
    box.state = holder
    box.output = out
    box.axes = axes
    return box


def rf_animation(network="VGG16 (note 001)", image="astronaut", dpi=60):
    """The static twin: the centre unit's receptive field at layer 1, 2, ... (one frame each).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Pass it to :func:`dlnotes.animation.to_html`.
    """
    import matplotlib.pyplot as plt

    from ..animation import animate

    check_choice("network", network, tuple(NETWORKS))
    n_layers = len(NETWORKS[network][0])
    states = [rf_state(network, i) for i in range(n_layers)]
    img = _image(states[0]["input_size"], image)
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.4), gridspec_kw=dict(width_ratios=[1.4, 1]))

    def frame(i):
        draw_rf(states[i], img, axes)

    frame(n_layers - 1)
    return animate(fig, frame, n_layers, interval=700, dpi=dpi)
