"""The receptive field of one unit, layer by layer: logic, drawing, widget and static twin.

Three layers, kept apart so that tests and the website can use them without a kernel:

1. *logic* -- :func:`rf_state` computes what to show for one choice: the layer table
   (:func:`dlnotes.receptive_field.receptive_field`), the unit's theoretical box
   (:func:`~dlnotes.receptive_field.rf_box`), the units of every earlier layer that feed it
   (:func:`~dlnotes.receptive_field.rf_cone`) and its effective receptive field (the
   gradient of the unit with respect to the image, :func:`effective_rf`);
2. *drawing* -- :func:`draw_rf` (in ``_rf_draw``): the image with the box, the ERF, a unit
   marker and a zoom inset; the per-layer table with the current row highlighted; and the
   unit's cone drawn as stacked 1-D layers (Araujo, Norris & Sim, Distill 2019);
3. *controls and player* -- :func:`rf_explorer` (ipywidgets 7 and 8) and
   :func:`rf_animation` (a ``to_jshtml`` player for the website); both call 1 and 2.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_choice, check_int
from ..receptive_field import receptive_field, rf_box, rf_cone
from ._rf_draw import draw_rf, rf_figure

__all__ = ["NETWORKS", "ERF_MODES", "effective_rf", "rf_state", "draw_rf", "rf_figure",
           "rf_explorer", "rf_animation"]

_VGG = [[3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1],
        [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1],
        [3, 1, 1], [2, 2, 0]]
_VGG_NAMES = ["conv1_1", "conv1_2", "pool1", "conv2_1", "conv2_2", "pool2", "conv3_1", "conv3_2",
              "conv3_3", "pool3", "conv4_1", "conv4_2", "conv4_3", "pool4", "conv5_1", "conv5_2",
              "conv5_3", "pool5"]

#: name -> (layers in the notes' [k, s, p(, d)] format, layer names, input size).  A layer
#: whose name starts with "pool" is a max-pool in the random-ReLU ERF, every other a conv.
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

#: how :func:`effective_rf` builds the network whose gradient it measures
ERF_MODES = ("uniform linear", "random ReLU (mean of 4)")


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


def _random_relu_net(layers, names, generator, channels=4):
    """``layers`` with random (He-normal) weights and ReLUs; ``pool*`` layers are max-pools."""
    import torch
    import torch.nn as nn

    mods, c_in = [], 1
    for layer, name in zip(layers, names):
        k, s, p = layer[:3]
        d = layer[3] if len(layer) > 3 else 1
        if name.startswith("pool"):
            mods.append(nn.MaxPool2d(k, s, p, d))
            continue
        conv = nn.Conv2d(c_in, channels, k, s, p, d, bias=False).double()
        with torch.no_grad():
            conv.weight.normal_(0.0, float(np.sqrt(2.0 / (c_in * k * k))), generator=generator)
        mods += [conv, nn.ReLU()]
        c_in = channels
    return nn.Sequential(*mods).double()


def effective_rf(network, layer, unit, mode="uniform linear", seed=0):
    """The ERF of ``unit`` of ``layer`` of a :data:`NETWORKS` entry, normalised to max 1.

    ``"uniform linear"``: every layer a 1-channel uniform ``k×k`` average (no ReLU), input
    all ones -- the ERF of the architecture alone, exact and smooth (an ``n``-fold
    convolution of boxes, Luo et al. 2016, §2.2).  ``"random ReLU (mean of 4)"``: four
    random 4-channel ReLU networks (He-normal weights, max-pools), each on one
    standard-normal image, gradient magnitudes averaged (Luo et al. §3, "random weights").

    Parameters
    ----------
    network : str
    layer : int
    unit : (int, int)
    mode : str
        One of :data:`ERF_MODES`.
    seed : int
        Seeds the random networks and images (``torch.Generator``).

    Returns
    -------
    ndarray, shape (H, W), float64
        Zero outside the theoretical box of :func:`~dlnotes.receptive_field.rf_box`.
    """
    import torch

    from ..receptive_field import effective_receptive_field

    check_choice("mode", mode, ERF_MODES)
    layers, names, size = NETWORKS[network]
    if mode == ERF_MODES[0]:
        model = _linear_net(layers[:layer + 1])
        erf = effective_receptive_field(model, (1, size, size), unit=unit,
                                        inputs=torch.ones(1, 1, size, size, dtype=torch.float64))
    else:
        g = torch.Generator().manual_seed(seed)
        erf = np.zeros((size, size))
        for _ in range(4):
            model = _random_relu_net(layers[:layer + 1], names[:layer + 1], g)
            erf += effective_receptive_field(model, (1, size, size), unit=unit, n_samples=1, rng=g)
    return erf / erf.max() if erf.max() > 0 else erf


def rf_state(network="VGG16 (note 001)", layer=None, unit=None, erf="uniform linear"):
    """Everything the widget shows for one choice (pure: no drawing).

    Parameters
    ----------
    network : str
        A key of :data:`NETWORKS`.
    layer : int, optional
        0-based layer index (default: the last layer).
    unit : (int, int), optional
        ``(row, col)`` in that layer's output map (default: its centre).
    erf : str
        One of :data:`ERF_MODES` (see :func:`effective_rf`).

    Returns
    -------
    dict
        ``network, layer, unit, erf_mode``; ``rows`` (the
        :class:`~dlnotes.receptive_field.RFRow` table) and ``row`` (the chosen layer);
        ``names`` (``"input"`` and the layer names: the levels of the cone);
        ``box`` ``(y0, x0, y1, x1)`` and ``centre`` ``(y, x)`` in input pixels;
        ``cone`` (:func:`~dlnotes.receptive_field.rf_cone` of the unit's column: one index
        array per level ``0..layer+1``); ``sizes`` (the map size of every level);
        ``erf`` (H, W) normalised to max 1; ``window`` ``(lo, hi)``, the zoom half-width
        around the centre as pixel bounds along x; ``input_size``, ``map_size``.
    """
    check_choice("network", network, tuple(NETWORKS))
    layers, names, size = NETWORKS[network]
    rows = receptive_field(layers, input_size=size, names=names)
    layer = len(rows) - 1 if layer is None else check_int("layer", layer, 0)
    if layer >= len(rows):
        raise ValueError(f"layer={layer} is out of range; {network} has layers 0..{len(rows) - 1}")
    row = rows[layer]
    n = row.size
    unit = (n // 2, n // 2) if unit is None else tuple(int(u) for u in unit)
    if len(unit) != 2 or not all(0 <= u < n for u in unit):
        raise ValueError(f"unit={unit} is outside layer {row.name!r}'s {n}x{n} map")
    box = rf_box(row, unit)
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    half = max((row.rf - 1) / 2 * 1.15 + 2, 9.5)     # at least a 20-pixel neighbourhood
    window = (centre[1] - half, centre[1] + half)
    return dict(network=network, layer=layer, unit=unit, erf_mode=erf, rows=rows, row=row,
                names=["input"] + list(names), box=box, centre=centre,
                cone=rf_cone(layers, layer, unit[1]), sizes=[size] + [r.size for r in rows],
                erf=effective_rf(network, layer, unit, erf), window=window, input_size=size,
                map_size=n)


def _image(size, name="astronaut"):
    from ..data import load_image

    return load_image(name, gray=True, size=size)


def rf_explorer(network="VGG16 (note 001)", image="astronaut"):
    """Pick a network, a layer and a unit; see the unit's receptive field on the image.

    Controls (plain ipywidgets, common to 7 and 8): ``Dropdown`` s for the network and the
    ERF mode, ``IntSlider`` s for the layer (the first slider) and the unit's row and column.

    Returns
    -------
    ipywidgets.VBox
        With attributes ``controls`` (dict of the widgets: ``network``, ``erf``, ``layer``,
        ``row``, ``col``), ``state`` (a dict holding the latest :func:`rf_state` under
        ``"current"``), ``axes`` (the Axes drawn on) and ``output`` (the ``Output`` showing
        them as PNG).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from ..plotting import figure_image

    check_choice("network", network, tuple(NETWORKS))
    net = widgets.Dropdown(options=list(NETWORKS), value=network, description="network")
    erf = widgets.Dropdown(options=list(ERF_MODES), value=ERF_MODES[0], description="ERF")
    layer = widgets.IntSlider(min=0, max=1, value=0, description="layer", continuous_update=False)
    row = widgets.IntSlider(min=0, max=1, value=0, description="unit row", continuous_update=False)
    col = widgets.IntSlider(min=0, max=1, value=0, description="unit col", continuous_update=False)
    out = widgets.Output()
    holder = {}
    busy = {"on": False}
    fig, axes = rf_figure()
    plt.close(fig)  # drawn into the Output only, never shown by the cell itself

    def redraw(*_):
        if busy["on"]:
            return
        state = rf_state(net.value, layer.value, (row.value, col.value), erf.value)
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
    for w in (row, col, erf):
        w.observe(redraw, names="value")
    set_layer_range()
    box = widgets.VBox([widgets.HBox([net, erf]), widgets.HBox([layer]),
                        widgets.HBox([row, col]), out])
    box.controls = dict(network=net, erf=erf, layer=layer, row=row, col=col)
    box.state = holder
    box.output = out
    box.axes = axes
    return box


def rf_animation(network="VGG16 (note 001)", image="astronaut", dpi=100, layers=None):
    """The static twin: the centre unit's receptive field at layer 1, 2, ... (one frame each).

    Parameters
    ----------
    network, image : str
    dpi : int
        CSS pixels per inch of the player (see :func:`dlnotes.animation.animate`).
    layers : sequence of int, optional
        The layers to show (default: all of them, at most 30).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Pass it to :func:`dlnotes.animation.to_html`.
    """
    from ..animation import animate

    check_choice("network", network, tuple(NETWORKS))
    layers = list(range(len(NETWORKS[network][0]))) if layers is None else list(layers)
    states = [rf_state(network, i) for i in layers]
    img = _image(states[0]["input_size"], image)
    fig, axes = rf_figure()

    def frame(i):
        draw_rf(states[i], img, axes)

    frame(len(states) - 1)
    return animate(fig, frame, len(states), interval=900, dpi=dpi)
