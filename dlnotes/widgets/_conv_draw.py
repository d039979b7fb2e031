"""Drawing for :mod:`dlnotes.widgets.conv` (private): one convolution step on a figure.

The look follows Dumoulin & Visin's conv_arithmetic animations (arXiv:1603.07285): a blue
input grid, white dashed padding cells, the kernel's footprint outlined on the input (the
rest fades) and a cyan output grid, with every number written in, in black or white by the
cell's luminance (:func:`dlnotes.plotting.text_color_for`).  The kernel and the
element-wise products get panels of their own (as in CNN Explainer) so that
``window × kernel = products`` can be checked by eye.  All grids share one cell size, so a
3×3 kernel looks 3×3 next to the input.

Everything is drawn on a single axes-less ``Axes`` in cell units (y down): an animation
redraws it for every frame, and one axes is much cheaper to clear and lay out than a dozen.
"""
from __future__ import annotations

import numpy as np

from ..plotting import text_color_for

__all__ = ["conv_figure", "draw_conv_step", "format_value"]

FADE = 0.55                # how much the cells outside the kernel's footprint fade to white
OUTLINE = "#1f1f1f"        # the footprint and the current output cell
PAD_TEXT = "0.35"          # grey "0" of padding / inserted zeros (contrast 7:1 on white)
CHANNEL_CMAPS = ("Reds", "Greens", "Blues")
MAX_WIDTH = 7.8            # inches: shown unscaled on the site at 100 dpi
TITLE = 10                 # points: 11 CSS px in a player shown at 80 dpi
GAP = 1.3                  # cells between panels


def format_value(v):
    """A cell's number: integers without decimals, others with two (``-0`` shown as ``0``)."""
    if not np.isfinite(v):
        return ""
    if abs(v - round(v)) < 1e-9:
        return f"{int(round(v))}"
    return f"{v:.2f}"


def _rgb(color):
    import matplotlib.colors as mcolors

    return np.asarray(mcolors.to_rgb(color))


def _blend(rgb, other, alpha):
    return tuple((1 - alpha) * _rgb(rgb) + alpha * _rgb(other))


def conv_figure(step):
    """A figure laid out for ``step`` (a :func:`~dlnotes.widgets.conv.conv_step` dict).

    Every grid gets the same cell size; the figure is at most 7.8 in wide.  One channel:
    input | kernel | products | output in a row.  Several channels: one row per channel
    (input, kernel, products, their sum) and the output on the right.

    Returns
    -------
    (matplotlib.figure.Figure, dict)
        The dict holds the ``Axes`` (``"ax"``), the figure (``"figure"``) and the top-left
        corner, in cells, of every panel: ``"input"``, ``"kernel"``, ``"products"``,
        ``"sums"`` (lists, one per channel) and ``"output"``.
    """
    import matplotlib.pyplot as plt

    hp, wp = step["padded"].shape[1:]
    k = step["kernel"].shape[1]
    ho, wo = step["full"].shape
    n_ch = step["channels"]
    sum_w = 2.4 if n_ch > 1 else 0
    cols = wp + 2 * k + wo + 3 * GAP + (sum_w + GAP if n_ch > 1 else 0)
    row_gap = 1.4 if n_ch > 1 else 0
    block = max(hp, k) if n_ch > 1 else max(hp, k, ho)
    body = max(n_ch * block + (n_ch - 1) * row_gap, ho)
    cell = min(0.42 if n_ch == 1 else 0.32, (MAX_WIDTH - 0.2) / cols)
    lines = 2 if step["formula"].startswith("H: ") else 1    # one formula per axis: two lines
    top, bottom = 1.55 + 0.45 * lines * 0.42 / cell, 0.8     # cells for the titles, below the grids
    fig = plt.figure(figsize=(cell * cols + 0.2, cell * (body + top + bottom)))
    ax = fig.add_axes((0.1 / fig.get_figwidth(), 0, 1 - 0.2 / fig.get_figwidth(), 1))
    layout = {"ax": ax, "figure": fig, "input": [], "kernel": [], "products": [], "sums": [],
              "value_size": 10 if cell >= 0.3 else 9,             # the cells' numbers, in points
              "xlim": (-0.5, cols - 0.5), "ylim": (body + bottom - 0.5, -top - 0.5)}
    for ch in range(n_ch):
        y = ch * (block + row_gap)
        x = 0.0
        for name, (h, w) in (("input", (hp, wp)), ("kernel", (k, k)), ("products", (k, k))):
            layout[name].append((x, y + (block - h) / 2))
            x += w + GAP
        if n_ch > 1:
            layout["sums"].append((x, y + (block - k) / 2))
            x += sum_w + GAP
    layout["output"] = (x, (body - ho) / 2)
    return fig, layout


def _grid(ax, origin, values, colors, texts=None, text_colors=None, dashed=None, fontsize=10):
    """Cells at ``origin`` (x, y in cells) coloured ``colors``, with their values written in.

    Returns the list of the cells' ``Text`` artists, row-major (empty cells skipped).
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    x0, y0 = origin
    h, w = values.shape
    cells = [Rectangle((x0 + c - 0.5, y0 + r - 0.5), 1, 1) for r in range(h) for c in range(w)]
    ax.add_collection(PatchCollection(cells, facecolors=[colors[r][c] for r in range(h)
                                                         for c in range(w)],
                                      edgecolors="white", linewidths=1.5))
    drawn = []
    for (r, c), v in np.ndenumerate(values):
        text = format_value(v) if texts is None else texts[r][c]
        if dashed is not None and dashed[r, c]:
            ax.add_patch(Rectangle((x0 + c - 0.42, y0 + r - 0.42), 0.84, 0.84, fill=False,
                                   linestyle=(0, (2, 2)), edgecolor="0.55", linewidth=0.8))
        if text:
            color = text_colors[r][c] if text_colors is not None else text_color_for(colors[r][c])
            drawn.append(ax.text(x0 + c, y0 + r, text, ha="center", va="center", fontsize=fontsize,
                                 color=color))
    return drawn


def _outline(ax, x, y, lw=2.2):
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor=OUTLINE, linewidth=lw,
                           zorder=3))


def _input_colors(step, ch):
    """RGB of each padded-input cell, text colours and which cells are padding (dashed)."""
    import matplotlib.pyplot as plt

    padded = step["padded"][ch]
    cmap = plt.get_cmap(CHANNEL_CMAPS[ch % 3] if step["channels"] > 1 else "Blues")
    top = max(float(np.abs(step["padded"]).max()), 1.0)
    if step["transposed"]:
        role = step["role"]
    else:
        p = step["padding"]
        role = np.pad(np.full(np.subtract(padded.shape, 2 * p), 2), p)
    footprint = np.zeros(padded.shape, bool)
    footprint[step["rows"], step["cols"]] = True
    colors = [[None] * padded.shape[1] for _ in range(padded.shape[0])]
    text_colors = [[None] * padded.shape[1] for _ in range(padded.shape[0])]
    for (r, c), v in np.ndenumerate(padded):
        base = cmap(0.12 + 0.63 * v / top)[:3] if role[r, c] == 2 else (1.0, 1.0, 1.0)
        if not footprint[r, c]:  # a spotlight on the window: the rest fades
            base = _blend(base, "white", FADE)
        colors[r][c] = base
        text_colors[r][c] = (PAD_TEXT if role[r, c] != 2 and not footprint[r, c]
                             else text_color_for(base))
    return colors, text_colors, role != 2, footprint


def _diverging(values, top):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("PuOr_r")
    return [[cmap(0.5 + 0.42 * v / top)[:3] for v in row] for row in values]


def draw_conv_step(step, layout, kernel_name=None):
    """Draw one step (:func:`~dlnotes.widgets.conv.conv_step` or ``conv_transpose_step``).

    Parameters
    ----------
    step : dict
    layout : dict
        From :func:`conv_figure` for a step of the same configuration.
    kernel_name : str, optional
        The kernel panel's title (e.g. ``"sobel x kernel"``).

    Returns
    -------
    dict
        The ``Text`` artists drawn, for tests: ``"input"``, ``"kernel"``, ``"products"``
        (lists per channel of the cell texts, row-major), ``"output"`` (the output cells
        filled so far), ``"sums"`` (per-channel sum labels), ``"titles"`` (panel name ->
        text) and ``"formula"`` (the figure's title).
    """
    ax = layout["ax"]
    ax.clear()
    ax.set_axis_off()
    ax.set(xlim=layout["xlim"], ylim=layout["ylim"], xticks=[], yticks=[])
    n_ch = step["channels"]
    size = layout["value_size"]
    top_k = max(float(np.abs(step["kernel"]).max()), 1e-12)
    top_p = max(top_k * float(np.abs(step["padded"]).max()), 1e-12)
    drawn = {"input": [], "kernel": [], "products": [], "sums": [], "titles": {}}
    for ch in range(n_ch):
        colors, text_colors, dashed, footprint = _input_colors(step, ch)
        x0, y0 = layout["input"][ch]
        # padding and inserted zeros are dashed and blank, except under the kernel, where the
        # products need them (as in conv_arithmetic; fewer texts also make frames cheaper)
        texts = [[format_value(v) if not dashed[r, c] or footprint[r, c] else ""
                  for c, v in enumerate(row)] for r, row in enumerate(step["padded"][ch])]
        drawn["input"].append(_grid(ax, (x0, y0), step["padded"][ch], colors, texts, text_colors,
                                    dashed, fontsize=size))
        for r, c in zip(*np.nonzero(footprint)):
            _outline(ax, x0 + c, y0 + r)
        drawn["kernel"].append(_grid(ax, layout["kernel"][ch], step["kernel"][ch],
                                     _diverging(step["kernel"][ch], top_k), fontsize=size))
        drawn["products"].append(_grid(ax, layout["products"][ch], step["products"][ch],
                                       _diverging(step["products"][ch], top_p), fontsize=size))
        if n_ch > 1:
            sx, sy = layout["sums"][ch]
            k = step["kernel"].shape[1]
            drawn["sums"].append(ax.text(sx - 0.3, sy + (k - 1) / 2,
                                         f"Σ = {format_value(step['channel_sums'][ch])}",
                                         ha="left", va="center", fontsize=TITLE + 1))
            ax.text(x0 - 0.75, y0 + (step["padded"].shape[1] - 1) / 2, f"channel {ch}",
                    rotation=90, ha="right", va="center", fontsize=TITLE)
    out, full = step["output"], step["full"]
    i, j = step["out_index"]
    lo, hi = float(full.min()), float(full.max())
    from matplotlib.colors import LinearSegmentedColormap

    cyan = LinearSegmentedColormap.from_list("conv_output", ["#e6f9fb", "#4dd0e1", "#00697a"])
    colors = [[(1.0, 1.0, 1.0) if not np.isfinite(v) else
               cyan(0.15 + 0.7 * (v - lo) / (hi - lo) if hi > lo else 0.5)[:3] for v in row]
              for row in out]
    ox, oy = layout["output"]
    drawn["output"] = _grid(ax, (ox, oy), out, colors, dashed=~np.isfinite(out), fontsize=size)
    _outline(ax, ox + j, oy + i)
    _titles(step, layout, drawn, kernel_name)
    return drawn


def _titles(step, layout, drawn, kernel_name):
    ax, fig = layout["ax"], layout["figure"]
    n_ch = step["channels"]
    k = step["kernel"].shape[1]
    ho = step["full"].shape[0]
    i, j = step["out_index"]
    if step["transposed"]:
        s, p = step["transpose_stride"], step["transpose_padding"]
        zeros = {1: "no zeros", 2: "1 zero"}.get(s, f"{s - 1} zeros")
        inp = f"input, {zeros} between pixels, padding {step['padding']}"
        size = f"transposed (stride {s}, padding {p}): output size " + (
            step["formula"].replace(";  ", "\n") if step["formula"].startswith("H: ")
            else "= " + step["formula"])
    else:
        bits = [f"padding {step['padding']}" if step["padding"] else "no padding"]
        if step["stride"] > 1:
            bits.append(f"stride {step['stride']}")
        if step["dilation"] > 1:
            bits.append(f"dilation {step['dilation']}")
        inp = "input, " + ", ".join(bits)
        size = "output size " + (step["formula"].replace(";  ", "\n")
                                 if step["formula"].startswith("H: ") else "= " + step["formula"])
    drawn["formula"] = fig.texts[0] if fig.texts else fig.text(0.5, 1, "", ha="center")
    drawn["formula"].set(text=size, fontsize=TITLE + 1, va="top",
                         y=1 - 0.08 / fig.get_figheight())
    value = format_value(step["value"])

    def title(name, x, y, text):
        drawn["titles"][name] = ax.text(x, y - 0.75, text, ha="center", va="bottom",
                                        fontsize=TITLE)

    (ix, iy), (kx, ky), (px, py) = (layout[n][0] for n in ("input", "kernel", "products"))
    wp = step["padded"].shape[2]
    title("input", ix + (wp - 1) / 2, iy, inp if n_ch == 1 else "input channels")
    title("kernel", kx + (k - 1) / 2, ky, (kernel_name or "kernel") if n_ch == 1 else "kernels")
    title("products", px + (k - 1) / 2, py, "window × kernel")
    ox, oy = layout["output"]
    wo = step["full"].shape[1]
    title("output", ox + (wo - 1) / 2, oy, f"output[{i}, {j}] = {value}")
    if n_ch == 1:
        drawn["titles"]["sum"] = ax.text(px + (k - 1) / 2, py + k - 0.2, f"sum = {value}",
                                         ha="center", va="top", fontsize=TITLE + 1)
    else:
        sx, sy = layout["sums"][0]
        title("sums", sx + 0.6, sy, "sum")
        sums = " + ".join(f"({format_value(v)})" if v < 0 else format_value(v)
                          for v in step["channel_sums"])
        drawn["titles"]["sum"] = ax.text(ox + (wo - 1) / 2, oy + ho - 0.2,
                                         f"{sums}\n+ bias {format_value(step['bias'])} = {value}",
                                         ha="center", va="top", fontsize=TITLE + 1)
