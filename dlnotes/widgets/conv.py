"""A kernel sliding over an input grid: the convolution explorer and its static twins.

Three layers, kept apart so that tests and the website can use them without a kernel:

1. *logic* -- :func:`conv_step` (one output position of a 1- or multi-channel
   convolution: the cells the dilated kernel covers, their products, the per-channel sums,
   the output so far), :func:`conv_transpose_step` (the same for a transposed convolution,
   seen as a convolution over the zero-inserted input), :func:`make_kernel` (the presets)
   and :func:`output_size_formula` (the size formula with the numbers substituted);
2. *drawing* -- :func:`draw_conv_step` (in ``_conv_draw``): input with the kernel
   footprint, kernel, products and output, in the style of Dumoulin & Visin's
   conv_arithmetic figures (blue input, cyan output, shaded footprint);
3. *controls and players* -- :func:`conv_explorer` (ipywidgets) and
   :func:`conv_animation` (a ``to_jshtml`` player for the website); both call 1 and 2.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_choice, check_int
from ..conv import conv2d, conv_output_size, conv_transpose_output_size
from ._conv_draw import conv_figure, draw_conv_step, format_value

__all__ = ["NotDrawable", "KERNELS", "MODES", "PLAYERS", "default_input", "default_kernel", "default_filter",
           "make_kernel", "output_size_formula", "conv_step", "conv_transpose_step",
           "player_positions", "draw_conv_step", "conv_figure", "format_value", "conv_animation",
           "conv_explorer"]

class NotDrawable(ValueError):
    """A configuration torch accepts but this picture cannot show."""


#: kernel presets of :func:`make_kernel` (``None``: any size; else the only size)
KERNELS = {"difference": None, "identity": None, "box": None, "sobel x": 3, "sobel y": 3,
           "laplacian": 3}
#: what the explorer can show
MODES = ("1 channel", "3 channels", "transposed")
#: the static twins of :func:`conv_animation`: one idea each (conv_arithmetic's examples)
PLAYERS = {
    "basic": dict(size=5, kernel_size=3),
    "padding": dict(size=5, kernel_size=3, padding=1),
    "stride": dict(size=5, kernel_size=3, stride=2, padding=1),
    "dilation": dict(size=7, kernel_size=3, dilation=2),
    "transposed": dict(input=((1.0, 2.0), (3.0, 4.0)), kernel_size=3, stride=2, mode="transposed"),
    "3 channels": dict(size=(4, 5), kernel_size=3, mode="3 channels"),
}


def default_input(size=6, channels=1):
    """A small integer grid with values 0..4 and a vertical edge (deterministic).

    Parameters
    ----------
    size : int or (int, int)
        ``H = W = size``, or ``(H, W)``.
    channels : int
        1 gives an ``(H, W)`` grid, more a ``(channels, H, W)`` stack.

    Returns
    -------
    ndarray, shape (H, W) or (channels, H, W), float
    """
    h, w = (size, size) if np.ndim(size) == 0 else size
    h, w = check_int("size", h, 1), check_int("size", w, 1)
    channels = check_int("channels", channels, 1)
    r, c = np.indices((h, w))
    planes = [((r * c + r + 2 * c + ch) % 3 + 2 * (c >= w // 2)) % 5 for ch in range(channels)]
    out = np.stack(planes).astype(float)
    return out[0] if channels == 1 else out


def default_kernel(kernel_size=3):
    """The ``difference`` preset: columns -1, 0, 1, ... repeated (a horizontal difference)."""
    return make_kernel("difference", kernel_size)


def make_kernel(name="difference", kernel_size=3):
    """A named kernel, ``(k, k)`` float.

    ``difference`` (columns ``-1, 0, 1`` repeating: responds to left-right changes),
    ``identity`` (1 at the centre: the output copies the input; odd ``k`` only), ``box``
    (every weight ``1/k²``: the mean filter), and the 3×3-only ``sobel x``, ``sobel y``
    (Sobel's smoothed derivatives) and ``laplacian`` (4-neighbour Laplacian).

    Raises
    ------
    ValueError
        For an unknown name, an even ``k`` with ``identity`` or ``k != 3`` with a 3×3 preset.
    """
    check_choice("kernel", name, tuple(KERNELS))
    k = check_int("kernel_size", kernel_size, 1)
    if KERNELS[name] is not None and k != KERNELS[name]:
        raise ValueError(f"kernel {name!r} is {KERNELS[name]}x{KERNELS[name]}, got "
                         f"kernel_size={k}; use kernel_size={KERNELS[name]}")
    if name == "difference":
        return np.tile(np.arange(k) % 3 - 1.0, (k, 1))
    if name == "identity":
        if k % 2 == 0:
            raise ValueError(f"kernel 'identity' needs an odd kernel_size (a centre), got {k}")
        out = np.zeros((k, k))
        out[k // 2, k // 2] = 1.0
        return out
    if name == "box":
        return np.full((k, k), 1.0 / k**2)
    sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    return {"sobel x": sobel, "sobel y": sobel.T.copy(),
            "laplacian": np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]])}[name]


def default_filter(kernel, channels=3):
    """A filter of ``channels`` kernels built from one: ``k``, ``kᵀ``, ``-k``, ``k``, ...

    Returns
    -------
    ndarray, shape (channels, k, k)
    """
    kernel = np.asarray(kernel, float)
    channels = check_int("channels", channels, 1)
    return np.stack([(kernel, kernel.T, -kernel)[c % 3] for c in range(channels)])


def output_size_formula(n, kernel_size, stride=1, padding=0, dilation=1):
    """``"⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1"`` with the numbers substituted, and its value.

    Returns
    -------
    str
        e.g. ``"⌊(5 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1 = 3"``; the value is
        :func:`dlnotes.conv.conv_output_size`.  A configuration it refuses ends in
        ``"< 1: torch refuses"``.
    """
    n, k = check_int("n", n, 1), check_int("kernel_size", kernel_size, 1)
    s, p, d = (check_int("stride", stride, 1), check_int("padding", padding, 0),
               check_int("dilation", dilation, 1))
    text = f"⌊({n} + 2·{p} − {d}·({k} − 1) − 1)/{s}⌋ + 1"
    try:
        return f"{text} = {conv_output_size(n, k, s, p, d)}"
    except ValueError:
        return f"{text}: the dilated kernel {d * (k - 1) + 1} exceeds {n} + 2·{p}, torch refuses"


def conv_step(x, kernel, position=0, stride=1, padding=0, dilation=1, bias=0.0):
    """Everything needed to draw one step of a convolution (one output position).

    Parameters
    ----------
    x : ndarray, shape (H, W) or (C, H, W)
        Input grid, or a stack of ``C`` input channels.
    kernel : ndarray, shape (k, k) or (C, k, k)
        The kernel, or a filter of ``C`` kernels (one per input channel).  Not flipped:
        cross-correlation, as in torch.
    position : int
        Output position in row-major order, ``0 <= position < H_out * W_out``; larger values
        are clipped to the last position so that a slider can outrun a shrinking output.
    stride, padding, dilation : int
    bias : float
        Added once to the sum over all channels.

    Returns
    -------
    dict
        ``padded`` (C, H+2p, W+2p) input; ``rows``, ``cols`` (k, k) padded-input coordinates
        the kernel covers; ``window`` (C, k, k) the input values there; ``kernel`` (C, k, k);
        ``products`` (C, k, k) ``window * kernel``; ``channel_sums`` (C,); ``bias``;
        ``value`` the output here (``channel_sums.sum() + bias``); ``output`` (H_out, W_out)
        with the positions after this one NaN; ``full`` (H_out, W_out) the whole result,
        from :func:`dlnotes.conv.conv2d`; ``out_index`` (i, j); ``position`` (clipped);
        ``n_positions``; ``channels``; ``stride``, ``padding``, ``dilation``; ``input_shape``
        (H, W); ``formula`` (:func:`output_size_formula` per axis, one string if both agree).

    Raises
    ------
    ValueError
        If the shapes disagree, or torch would refuse the configuration (the dilated
        kernel larger than the padded input).
    """
    x = np.asarray(x, float)
    kernel = np.asarray(kernel, float)
    if x.ndim not in (2, 3):
        raise ValueError(f"x must be (H, W) or (C, H, W), got shape {x.shape}")
    x3 = x if x.ndim == 3 else x[None]
    k3 = kernel if kernel.ndim == 3 else kernel[None]
    if k3.ndim != 3 or k3.shape[1] != k3.shape[2]:
        raise ValueError(f"kernel must be (k, k) or (C, k, k) and square, got shape {kernel.shape}")
    if k3.shape[0] != x3.shape[0]:
        raise ValueError(f"the filter has {k3.shape[0]} kernels but x has {x3.shape[0]} channels; "
                         f"give one kernel per input channel")
    s, p, d = (check_int("stride", stride, 1), check_int("padding", padding, 0),
               check_int("dilation", dilation, 1))
    k = k3.shape[1]
    ho = conv_output_size(x3.shape[1], k, s, p, d)
    wo = conv_output_size(x3.shape[2], k, s, p, d)
    position = min(check_int("position", position, 0), ho * wo - 1)
    i, j = divmod(position, wo)
    padded = np.pad(x3, ((0, 0), (p, p), (p, p)))
    rows = i * s + d * np.arange(k)[:, None] + np.zeros((1, k), int)  # (k, k)
    cols = j * s + d * np.arange(k)[None, :] + np.zeros((k, 1), int)  # (k, k)
    window = padded[:, rows, cols]                                     # (C, k, k)
    products = window * k3
    bias = float(bias)
    full = conv2d(x3[None], k3[None], np.array([bias]), stride=s, padding=p, dilation=d)[0, 0]
    output = full.copy().ravel()
    output[position + 1:] = np.nan
    hs, ws = (output_size_formula(n, k, s, p, d) for n in x3.shape[1:])
    return dict(padded=padded, rows=rows, cols=cols, window=window, kernel=k3,
                products=products, channel_sums=products.sum(axis=(1, 2)), bias=bias,
                value=float(products.sum() + bias), output=output.reshape(ho, wo), full=full,
                out_index=(i, j), position=position, n_positions=ho * wo,
                channels=x3.shape[0], stride=s, padding=p, dilation=d,
                input_shape=x3.shape[1:], formula=hs if hs == ws else f"H: {hs};  W: {ws}",
                transposed=False)


def conv_transpose_step(x, kernel, position=0, stride=1, padding=0):
    """One step of a transposed convolution, drawn as a convolution over the zero-inserted input.

    ``F.conv_transpose2d(x, w, stride=s, padding=p)`` equals an ordinary stride-1
    convolution with the kernel flipped in space, over ``x`` with ``s - 1`` zeros inserted
    between its pixels and ``k - 1 - p`` zeros padded around (Dumoulin & Visin,
    arXiv:1603.07285, §4).  This function returns :func:`conv_step` of that view.

    Parameters
    ----------
    x : ndarray, shape (H, W)
    kernel : ndarray, shape (k, k)
        The transposed convolution's kernel (as given to ``conv_transpose2d``, not flipped).
    position : int
    stride, padding : int
        ``padding`` must be at most ``k - 1`` (more is a crop, not a padding).

    Returns
    -------
    dict
        :func:`conv_step`'s dict over the zero-inserted input (``kernel`` there is the
        flipped kernel), plus ``transposed=True``, ``source`` (H, W) the input, ``role``
        (H', W') 2 where an input pixel sits, 1 for an inserted zero, 0 for padding, and
        ``formula`` the transposed size formula with the numbers substituted.
    """
    x = np.asarray(x, float)
    kernel = np.asarray(kernel, float)
    if x.ndim != 2:
        raise ValueError(f"x must be (H, W), got shape {x.shape}")
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"kernel must be square (k, k), got shape {kernel.shape}")
    s, p = check_int("stride", stride, 1), check_int("padding", padding, 0)
    k = kernel.shape[0]
    sizes = [conv_transpose_output_size(n, k, s, p) for n in x.shape]  # torch's refusals
    if p > k - 1:
        raise NotDrawable(f"padding={p} is larger than kernel_size - 1 = {k - 1}: the "
                          f"zero-inserted view would need a negative padding (a crop)")
    up = np.zeros(((x.shape[0] - 1) * s + 1, (x.shape[1] - 1) * s + 1))
    up[::s, ::s] = x                                                  # zero insertion
    step = conv_step(up, kernel[::-1, ::-1], position, stride=1, padding=k - 1 - p)
    mask = np.zeros_like(up, dtype=int)
    mask[:] = 1
    mask[::s, ::s] = 2
    formulas = [f"({n} − 1)·{s} − 2·{p} + ({k} − 1) + 1 = {o}" for n, o in zip(x.shape, sizes)]
    step.update(transposed=True, source=x, role=np.pad(mask, k - 1 - p),
                formula=formulas[0] if formulas[0] == formulas[1] else
                f"H: {formulas[0]};  W: {formulas[1]}", transpose_stride=s, transpose_padding=p)
    return step


def player_positions(n_rows, n_cols, max_frames=8):
    """Output positions a player shows: all of them, or the few that tell the story.

    When there are more than ``max_frames`` positions: the first three of the first row (the
    kernel slides), the end of that row and the start of the next (it wraps around, one
    stride down), one more step, and the last position (the complete output).

    Returns
    -------
    list of int
        Increasing row-major positions, at most ``max(max_frames, 7)`` of them.
    """
    n_rows, n_cols = check_int("n_rows", n_rows, 1), check_int("n_cols", n_cols, 1)
    max_frames = check_int("max_frames", max_frames, 2)
    n = n_rows * n_cols
    if n <= max_frames:
        return list(range(n))
    picks = {0, 1, 2, n_cols - 1, n_cols, n_cols + 1, n - 1}
    return sorted(p for p in picks if p < n)


def _player_step(mode, x, kernel, position, stride, padding, dilation, bias):
    if mode == "transposed":
        return conv_transpose_step(x, kernel, position, stride, padding)
    return conv_step(x, kernel, position, stride, padding, dilation, bias)


def conv_animation(name="basic", kernel="difference", max_frames=8, dpi=80):
    """A static twin of :func:`conv_explorer`: a ``to_jshtml`` player of one idea.

    Parameters
    ----------
    name : str
        One of :data:`PLAYERS`: ``basic`` (5×5 input, 3×3 kernel), ``padding`` (padding 1:
        the output keeps the input size), ``stride`` (stride 2 with padding 1),
        ``dilation`` (7×7, dilation 2), ``transposed`` (2×2 input, stride 2: zeros inserted
        between the input pixels) and ``3 channels`` (three input channels, a filter of
        three kernels, their sums and the bias add up to one output value).
    kernel : str
        A :data:`KERNELS` preset (3×3).
    max_frames : int
        At most this many positions (:func:`player_positions`).
    dpi : int
        CSS pixels per inch of the player (frames are rendered at twice that); at 80 the
        10-point numbers are 11 CSS pixels high and a frame costs 0.64 of one at 100.

    Returns
    -------
    IPython.display.HTML
    """
    from ..animation import animate, to_html

    check_choice("name", name, tuple(PLAYERS))
    cfg = dict(PLAYERS[name])
    mode = cfg.pop("mode", "1 channel")
    k = cfg.pop("kernel_size")
    channels = 3 if mode == "3 channels" else 1
    x = np.array(cfg.pop("input")) if "input" in cfg else default_input(cfg.pop("size"), channels)
    kern = make_kernel(kernel, k)
    bias = 0.0
    if channels > 1:
        kern, bias = default_filter(kern, channels), 1.0
    args = dict(stride=cfg.get("stride", 1), padding=cfg.get("padding", 0),
                dilation=cfg.get("dilation", 1), bias=bias)
    first = _player_step(mode, x, kern, 0, **args)
    positions = player_positions(*first["full"].shape, max_frames=max_frames)
    fig, axes = conv_figure(first)
    label = f"{kernel} kernel" + (" (flipped)" if mode == "transposed" else "")

    def draw(position):
        draw_conv_step(_player_step(mode, x, kern, int(position), **args), axes,
                       kernel_name=label)

    return to_html(animate(fig, draw, positions, interval=900, dpi=dpi))


def conv_explorer(x=None, kernel=None, size=6):
    """An ipywidgets control that slides a kernel over a small input grid.

    Controls (the position slider first): output position, kernel size, stride,
    padding, dilation, kernel preset (:data:`KERNELS`) and mode (:data:`MODES`: one
    channel; three channels with a filter of three kernels and a bias; transposed, drawn as
    a convolution over the zero-inserted input).  Above the picture the output-size
    formula is shown with the slider values substituted.  The numbers come from
    :func:`conv_step` / :func:`conv_transpose_step` (and so from the tested
    :func:`dlnotes.conv.conv2d`); the drawing is :func:`draw_conv_step`.  A configuration
    torch would refuse (a dilated kernel larger than the padded input) shows the error
    message instead of a picture.

    Parameters
    ----------
    x : ndarray, shape (H, W), optional
        Input grid (1-channel and transposed modes); default :func:`default_input` of
        side ``size``.
    kernel : ndarray, shape (k, k), optional
        A fixed kernel (then the kernel-size slider and the presets are disabled).
    size : int
        Side of the default input.

    Returns
    -------
    ipywidgets.VBox
        With extra attributes ``controls`` (dict of the controls), ``output`` (the
        ``Output`` widget), ``formula`` (the ``HTML`` widget with the size formula),
        ``state`` (the latest step dict, or None), ``error`` (the latest error message, or
        None) and ``figure`` (the latest figure), so tests can drive it.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from ..plotting import figure_image

    x1 = default_input(size) if x is None else np.asarray(x, float)
    x3 = default_input(x1.shape, 3)
    fixed = None if kernel is None else np.asarray(kernel, float)
    style = {"description_width": "90px"}
    controls = {
        "position": widgets.IntSlider(value=0, min=0, max=15, description="position", style=style),
        "kernel_size": widgets.IntSlider(value=3 if fixed is None else fixed.shape[0], min=1,
                                         max=5, description="kernel size", style=style,
                                         disabled=fixed is not None),
        "stride": widgets.IntSlider(value=1, min=1, max=3, description="stride", style=style),
        "padding": widgets.IntSlider(value=0, min=0, max=2, description="padding", style=style),
        "dilation": widgets.IntSlider(value=1, min=1, max=3, description="dilation", style=style),
        "kernel": widgets.Dropdown(options=list(KERNELS), value="difference",
                                   description="kernel", style=style, disabled=fixed is not None),
        "mode": widgets.Dropdown(options=list(MODES), value=MODES[0], description="mode",
                                 style=style),
    }
    output = widgets.Output()
    formula = widgets.HTML(value="")
    box = widgets.VBox([widgets.HBox([controls["position"], controls["kernel_size"]]),
                        widgets.HBox([controls["stride"], controls["padding"]]),
                        widgets.HBox([controls["dilation"], controls["kernel"]]),
                        controls["mode"], formula, output])
    box.controls, box.output, box.formula = controls, output, formula
    box.state, box.error, box.figure = None, None, None

    def show(fig=None, text=None):
        # Replace the Output widget's content through its state (``outputs``) rather than
        # ``with output:``: that works the same in Jupyter, Colab, nbclient and nbval, and
        # needs no inline backend.
        output.outputs = ()
        if text is not None:
            output.append_stdout(text + "\n")
        if fig is not None:
            output.append_display_data(figure_image(fig))

    def current_step():
        c = {name: w.value for name, w in controls.items()}
        mode = c["mode"]
        preset_size = KERNELS[c["kernel"]] if fixed is None else None
        controls["kernel_size"].disabled = fixed is not None or preset_size is not None
        controls["dilation"].disabled = mode == "transposed"
        if preset_size is not None and c["kernel_size"] != preset_size:
            controls["kernel_size"].value = preset_size  # observe() runs update() again
            return None
        try:
            k = fixed if fixed is not None else make_kernel(c["kernel"], c["kernel_size"])
        except ValueError as exc:
            raise NotDrawable(str(exc)) from None
        if mode == "transposed":
            return conv_transpose_step(x1, k, c["position"], c["stride"], c["padding"])
        if mode == "3 channels":
            return conv_step(x3, default_filter(k), c["position"], c["stride"], c["padding"],
                             c["dilation"], bias=1.0)
        return conv_step(x1, k, c["position"], c["stride"], c["padding"], c["dilation"])

    def update(*_):
        try:
            step = current_step()
        except ValueError as exc:
            box.state, box.error = None, str(exc)
            formula.value = f"<b>output size</b> = {_formula_now(controls, x1)}"
            why = ("not shown" if isinstance(exc, NotDrawable) else
                   "torch would refuse this configuration")
            show(text=f"{why}: {exc}")
            return
        if step is None:
            return
        box.state, box.error = step, None
        controls["position"].max = step["n_positions"] - 1
        if box.state is not step:  # lowering max moved the position: update() already ran
            return
        formula.value = f"<b>output size</b> = {step['formula']}"
        fig, axes = conv_figure(step)
        name = "your kernel" if fixed is not None else f"{controls['kernel'].value} kernel"
        draw_conv_step(step, axes, kernel_name=name + (" (flipped)" if step["transposed"] else ""))
        box.figure = fig
        show(fig)
        plt.close(fig)

    for control in controls.values():
        control.observe(update, names="value")
    update()
    return box


def _formula_now(controls, x):
    """The size formula for the sliders' values, also when the configuration is refused."""
    c = {name: w.value for name, w in controls.items()}
    n, k, s, p = x.shape[0], c["kernel_size"], c["stride"], c["padding"]
    if c["mode"] == "transposed":
        return f"({n} − 1)·{s} − 2·{p} + ({k} − 1) + 1 = {(n - 1) * s - 2 * p + k}"
    return output_size_formula(x.shape[0], c["kernel_size"], c["stride"], c["padding"],
                               c["dilation"])
