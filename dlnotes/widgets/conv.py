"""A kernel sliding over an input grid: the convolution explorer and its static twin.

Three layers, kept apart so that tests and the website can use them without a kernel:

1. :func:`conv_step` -- *logic*: for one output position, which input cells the (dilated)
   kernel covers, their element-wise products and the output filled so far.
2. :func:`draw_conv_step` -- *drawing*: the padded input with the window, the products,
   and the output grid, on three ``Axes``.
3. :func:`conv_explorer` (ipywidgets sliders) and :func:`conv_animation` (a
   ``to_jshtml`` player for the website) -- both call 1 and 2.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_int, check_ndim
from ..conv import conv2d, conv_output_size
from ..plotting import figure_image

__all__ = ["default_input", "default_kernel", "conv_step", "draw_conv_step", "conv_explorer",
           "conv_animation"]


def default_input(size=6):
    """A small integer grid ``(size, size)`` with values 0..4 (deterministic)."""
    size = check_int("size", size, 1)
    r, c = np.indices((size, size))
    return ((3 * r + 2 * c + r * c) % 5).astype(float)


def default_kernel(kernel_size=3):
    """A small integer kernel ``(k, k)`` with values -1, 0, 1 (deterministic)."""
    k = check_int("kernel_size", kernel_size, 1)
    return (np.arange(k * k).reshape(k, k) % 3 - 1).astype(float)


def conv_step(x, kernel, position=0, stride=1, padding=0, dilation=1):
    """Everything needed to draw one step of a single-channel convolution.

    Parameters
    ----------
    x : ndarray, shape (H, W)
        Input grid.
    kernel : ndarray, shape (k, k)
        The kernel (not flipped: cross-correlation, as in torch).
    position : int
        Output position in row-major order, ``0 <= position < H_out * W_out``; larger values
        are clipped to the last position so that a slider can outrun a shrinking output.
    stride, padding, dilation : int

    Returns
    -------
    dict
        ``padded`` (H+2p, W+2p) input; ``rows``, ``cols`` (k, k) padded-input coordinates
        covered by the kernel; ``products`` (k, k); ``value`` the output at this position;
        ``output`` (H_out, W_out) with positions after this one set to NaN; ``full``
        (H_out, W_out) the whole result (equal to :func:`dlnotes.conv.conv2d`);
        ``out_index`` (i, j); ``position`` (clipped) and ``n_positions``.
    """
    x = check_ndim("x", x, 2, "H, W").astype(float)
    kernel = check_ndim("kernel", kernel, 2, "k, k").astype(float)
    s = check_int("stride", stride, 1)
    p = check_int("padding", padding, 0)
    d = check_int("dilation", dilation, 1)
    kh, kw = kernel.shape
    ho = conv_output_size(x.shape[0], kh, s, p, d)
    wo = conv_output_size(x.shape[1], kw, s, p, d)
    position = min(check_int("position", position, 0), ho * wo - 1)
    i, j = divmod(position, wo)
    padded = np.pad(x, p)
    rows = i * s + d * np.arange(kh)[:, None] + np.zeros((1, kw), int)  # (k, k)
    cols = j * s + d * np.arange(kw)[None, :] + np.zeros((kh, 1), int)  # (k, k)
    products = padded[rows, cols] * kernel
    full = conv2d(x[None, None], kernel[None, None], stride=s, padding=p, dilation=d)[0, 0]
    output = full.copy().ravel()
    output[position + 1:] = np.nan
    return dict(padded=padded, rows=rows, cols=cols, products=products,
                value=float(products.sum()), output=output.reshape(ho, wo), full=full,
                out_index=(i, j), position=position, n_positions=ho * wo, padding=p)


def draw_conv_step(step, axes=None):
    """Draw :func:`conv_step`'s result on three axes: input, products, output.

    Returns the three ``Axes``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from ..plotting import grid_values

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(8, 2.8))
    ax_in, ax_prod, ax_out = axes
    for ax in axes:
        ax.clear()
    padded, p = step["padded"], step["padding"]
    shade = np.where(np.pad(np.ones(np.subtract(padded.shape, 2 * p), bool), p), padded, np.nan)
    grid_values(shade, ax=ax_in, cmap="Greys", vmin=-2, vmax=8, fmt="{:g}")
    for (r, c) in zip(step["rows"].ravel(), step["cols"].ravel()):
        ax_in.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=True, alpha=0.35,
                                  facecolor="tab:orange", edgecolor="tab:red", linewidth=1.5))
    if p:  # draw the padding zeros in grey italics
        for (r, c), v in np.ndenumerate(padded):
            if not (p <= r < padded.shape[0] - p and p <= c < padded.shape[1] - p):
                ax_in.text(c, r, "0", ha="center", va="center", fontsize=8, color="0.55",
                           style="italic")
    ax_in.set_title("input (padding in grey)", fontsize=10)
    grid_values(step["products"], ax=ax_prod, cmap="PuOr", vmin=-6, vmax=6, fmt="{:g}")
    ax_prod.set_title(f"products, sum = {step['value']:g}", fontsize=10)
    i, j = step["out_index"]
    grid_values(step["output"], ax=ax_out, cmap="Greens", fmt="{:g}",
                vmin=np.nanmin(step["full"]) - 1, vmax=np.nanmax(step["full"]) + 1,
                highlight=(i, j, 1, 1))
    ax_out.set_title(f"output[{i}, {j}]", fontsize=10)
    return axes


def conv_animation(x=None, kernel=None, stride=1, padding=0, dilation=1, max_frames=30,
                   dpi=60):
    """The static twin of :func:`conv_explorer`: a ``to_jshtml`` player over all positions.

    Shows at most ``max_frames`` (≤ 30) evenly spaced output positions.  Returns an
    ``IPython.display.HTML`` object.
    """
    import matplotlib.pyplot as plt

    from ..animation import MAX_FRAMES, animate, to_html

    x = default_input() if x is None else np.asarray(x, float)
    kernel = default_kernel(3) if kernel is None else np.asarray(kernel, float)
    first = conv_step(x, kernel, 0, stride, padding, dilation)
    n = first["n_positions"]
    frames = np.unique(np.linspace(0, n - 1, min(n, max_frames, MAX_FRAMES)).round().astype(int))
    fig, axes = plt.subplots(1, 3, figsize=(8, 2.8))

    def draw(position):
        draw_conv_step(conv_step(x, kernel, int(position), stride, padding, dilation), axes)

    return to_html(animate(fig, draw, list(frames), interval=700, dpi=dpi))


def conv_explorer(x=None, kernel=None, size=6):
    """An ipywidgets control that slides a kernel over a small input grid.

    Sliders: output position, kernel size, stride, padding and dilation.  The drawing is
    :func:`draw_conv_step`; the numbers come from :func:`conv_step` (and so from the
    tested :func:`dlnotes.conv.conv2d`).  A configuration torch would refuse (a dilated
    kernel larger than the padded input) shows the error message instead of a picture.

    Parameters
    ----------
    x : ndarray, shape (H, W), optional
        Input grid; default :func:`default_input` of side ``size``.
    kernel : ndarray, shape (k, k), optional
        A fixed kernel (then the kernel-size slider is disabled); default
        :func:`default_kernel` of the slider's size.

    Returns
    -------
    ipywidgets.VBox
        With extra attributes ``controls`` (dict of the sliders), ``output`` (the
        ``Output`` widget), ``state`` (the latest :func:`conv_step` dict, or None) and
        ``error`` (the latest error message, or None), so tests can drive it.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    x = default_input(size) if x is None else np.asarray(x, float)
    fixed_kernel = None if kernel is None else np.asarray(kernel, float)
    style = {"description_width": "90px"}
    controls = {
        "position": widgets.IntSlider(value=0, min=0, max=15, description="position", style=style),
        "kernel_size": widgets.IntSlider(value=3 if fixed_kernel is None else fixed_kernel.shape[0],
                                         min=1, max=5, description="kernel size", style=style,
                                         disabled=fixed_kernel is not None),
        "stride": widgets.IntSlider(value=1, min=1, max=3, description="stride", style=style),
        "padding": widgets.IntSlider(value=0, min=0, max=2, description="padding", style=style),
        "dilation": widgets.IntSlider(value=1, min=1, max=3, description="dilation", style=style),
    }
    output = widgets.Output()
    box = widgets.VBox([widgets.HBox([controls["position"], controls["kernel_size"]]),
                        widgets.HBox([controls["stride"], controls["padding"]]),
                        controls["dilation"], output])
    box.controls, box.output, box.state, box.error = controls, output, None, None

    def show(fig=None, text=None):
        # Replace the Output widget's content through its state (``outputs``) rather than
        # ``with output:``: that works the same in Jupyter, Colab, nbclient and nbval, and
        # needs no inline backend.
        output.outputs = ()
        if text is not None:
            output.append_stdout(text + "\n")
        if fig is not None:
            output.append_display_data(figure_image(fig))

    def update(*_):
        k = fixed_kernel if fixed_kernel is not None else default_kernel(controls["kernel_size"].value)
        try:
            step = conv_step(x, k, controls["position"].value, controls["stride"].value,
                             controls["padding"].value, controls["dilation"].value)
        except ValueError as exc:
            box.state, box.error = None, str(exc)
            show(text=f"torch would refuse this configuration: {exc}")
            return
        box.state, box.error = step, None
        controls["position"].max = step["n_positions"] - 1
        if box.state is not step:  # lowering max moved the position: update() already ran
            return
        fig, axes = plt.subplots(1, 3, figsize=(8, 2.8))
        draw_conv_step(step, axes)
        box.figure = fig
        show(fig)
        plt.close(fig)

    for control in controls.values():
        control.observe(update, names="value")
    update()
    return box
