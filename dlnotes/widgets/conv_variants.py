"""Where a dilated, a transposed and a deformable 3×3 kernel read: a static player.

Drawn in the style of Dumoulin & Visin's *convolution arithmetic* figures
(arXiv:1603.07285): blue input cells, cyan output cells, the kernel's footprint shaded on
the input; for the transposed convolution the input is shown with its zeros inserted
(``s - 1`` between pixels, ``d(k-1) - p`` around), so that it becomes an ordinary
stride-1 convolution.

1. *Logic* -- :func:`dilated_reads`, :func:`transposed_reads`, :func:`deformable_reads`:
   which input positions one output position reads (tested against torch's gradients).
2. *Drawing* -- :func:`draw_kernel_reads` on a 2×3 grid of ``Axes``;
   :func:`kernel_reads_animation` makes the player.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_int
from ..conv import conv_output_size, conv_transpose_output_size, deform_sampling_points

__all__ = ["dilated_reads", "transposed_reads", "deformable_reads", "smooth_offsets",
           "draw_kernel_reads", "kernel_reads_animation"]

#: conv_arithmetic-like colours
COLORS = dict(input="#9ecae1", footprint="#08519c", footprint_zero="#c6c6e8", zero="white",
              output="#b2ebf2", done="#4dd0e1", current="#00838f", sample="#e6550d")


def dilated_reads(i, j, kernel_size=3, dilation=2, stride=1, padding=0):
    """Input ``(rows, cols)``, each shape (k·k,), that output ``(i, j)`` of a dilated convolution reads.

    Row ``i·s - p + u·d`` for tap row ``u`` (negative or too large: the padding).
    """
    k = check_int("kernel_size", kernel_size, 1)
    d = check_int("dilation", dilation, 1)
    s = check_int("stride", stride, 1)
    p = check_int("padding", padding, 0)
    u, v = np.divmod(np.arange(k * k), k)
    return i * s - p + u * d, j * s - p + v * d


def transposed_reads(i, j, in_size, kernel_size=3, stride=2, padding=1):
    """Output ``(i, j)`` of a transposed convolution as a stride-1 convolution over the
    zero-inserted input.

    Parameters
    ----------
    i, j : int
        Output position, ``0 <= i, j < (n-1)s - 2p + k``.
    in_size : int
        Side ``n`` of the (square) input.
    kernel_size, stride, padding : int
        Of the transposed convolution (dilation 1), with ``padding <= kernel_size - 1``.

    Returns
    -------
    dict
        ``size``: side of the zero-inserted, padded input ``(n-1)s + 1 + 2(k-1-p)``;
        ``real``: (n·n, 2) positions of the input pixels in it; ``footprint``: (row0, col0, k)
        the window of output ``(i, j)``; ``sources``: sorted list of the input pixels
        ``(a, b)`` under the footprint -- exactly those that reach output ``(i, j)``
        (one, two or four for k=3, s=2).
    """
    n = check_int("in_size", in_size, 1)
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    p = check_int("padding", padding, 0)
    if p > k - 1:
        raise ValueError(f"padding={p} is larger than kernel_size - 1 = {k - 1}: the zero-inserted "
                         f"form would crop the input; use padding <= {k - 1}")
    out = conv_transpose_output_size(n, k, s, p)
    if not (0 <= i < out and 0 <= j < out):
        raise ValueError(f"output position ({i}, {j}) is outside the {out}x{out} output")
    pad = k - 1 - p
    a, b = np.divmod(np.arange(n * n), n)
    real = np.stack([pad + a * s, pad + b * s], axis=1)
    inside = (real[:, 0] >= i) & (real[:, 0] < i + k) & (real[:, 1] >= j) & (real[:, 1] < j + k)
    sources = sorted(zip(a[inside].tolist(), b[inside].tolist()))
    return dict(size=(n - 1) * s + 1 + 2 * pad, real=real, footprint=(i, j, k), sources=sources)


def smooth_offsets(j_frame, kernel_size=3):
    """A fixed, smooth offset field for the player: ``(dy, dx)`` per tap, shape (k·k, 2)."""
    k = check_int("kernel_size", kernel_size, 1)
    u, v = np.divmod(np.arange(k * k), k)
    return np.stack([0.9 * np.sin(0.6 * j_frame + 1.3 * v), 0.7 * np.cos(0.5 * j_frame + 1.1 * u)], 1)


def deformable_reads(i, j, offsets, kernel_size=3, dilation=1, stride=1, padding=0):
    """Sample points ``(ys, xs)``, each shape (k·k,), of output ``(i, j)`` of a deformable
    convolution whose offsets at that position are ``offsets`` (k·k, 2) of ``(dy, dx)``.

    The regular grid ``dilated_reads(i, j, ...)`` plus the offsets, computed with
    :func:`dlnotes.conv.deform_sampling_points` (torchvision's layout).
    """
    k = check_int("kernel_size", kernel_size, 1)
    offsets = np.asarray(offsets, float)
    if offsets.shape != (k * k, 2):
        raise ValueError(f"offsets must have shape ({k * k}, 2) of (dy, dx) per tap, got {offsets.shape}")
    field = np.zeros((1, 2 * k * k, i + 1, j + 1))
    field[0, :, i, j] = offsets.ravel()  # (dy, dx) interleaved, as torchvision
    ys, xs = deform_sampling_points(field, k, stride, padding, dilation)
    return ys[0, 0, :, i, j], xs[0, 0, :, i, j]


def _grid(ax, size, colors, box):
    """Cells of ``colors`` (size × size colour names) as one image, with grey cell borders."""
    import matplotlib.colors as mcolors

    rgb = np.array([[mcolors.to_rgb(c) for c in row] for row in colors])  # (size, size, 3)
    ax.imshow(rgb, interpolation="nearest")
    edges = np.arange(-0.5, size, 1)
    ax.hlines(edges, -0.5, size - 0.5, color="0.45", linewidth=0.7)
    ax.vlines(edges, -0.5, size - 0.5, color="0.45", linewidth=0.7)
    ax.set_axis_off()
    margin = (box - size) / 2 + 0.1
    ax.set_xlim(-0.5 - margin, size - 0.5 + margin)
    ax.set_ylim(size - 0.5 + margin, -0.5 - margin)


def _output(ax, size, i, j, box):
    colors = [[COLORS["done"] if (r, c) < (i, j) else COLORS["output"] for c in range(size)]
              for r in range(size)]
    colors[i][j] = COLORS["current"]
    _grid(ax, size, colors, box)


def draw_kernel_reads(frame, axes, out_size=5):
    """Draw frame ``frame`` (output position ``divmod(frame, out_size)``) on a 2×3 array of axes.

    Columns: dilated (3×3, d=2, 9×9 input), transposed (3×3, s=2, p=1, 3×3 input), deformable
    (3×3, 7×7 input); top row the input with the footprint, bottom row the 5×5 output.
    Returns the axes.
    """
    from matplotlib.patches import Rectangle

    i, j = divmod(int(frame), out_size)
    for ax in np.ravel(axes):
        ax.clear()
    box = 9
    # dilated: 9x9 input, no padding -> 5x5 output; the 9 taps dark, the span outlined
    rows, cols = dilated_reads(i, j, 3, 2)
    colors = [[COLORS["input"]] * 9 for _ in range(9)]
    for r, c in zip(rows, cols):
        colors[r][c] = COLORS["footprint"]
    _grid(axes[0][0], 9, colors, box)
    axes[0][0].add_patch(Rectangle((cols.min() - 0.5, rows.min() - 0.5), 5, 5, fill=False,
                                   edgecolor=COLORS["footprint"], linewidth=2))
    axes[0][0].set_title("dilated d=2: 9 taps, span 5", fontsize=10)
    _output(axes[1][0], out_size, i, j, box - 2)
    axes[1][0].set_title(f"output ({i}, {j})", fontsize=10)
    # transposed: 3x3 input, k=3, s=2, p=1 -> 5x5 output = a stride-1 conv over the 7x7
    # zero-inserted input: footprint light, the real input pixels under it dark
    t = transposed_reads(i, j, 3, 3, 2, 1)
    r0, c0, k = t["footprint"]
    colors = [[COLORS["footprint_zero"] if r0 <= r < r0 + k and c0 <= c < c0 + k else COLORS["zero"]
               for c in range(t["size"])] for r in range(t["size"])]
    for r, c in t["real"]:
        under = r0 <= r < r0 + k and c0 <= c < c0 + k
        colors[r][c] = COLORS["footprint"] if under else COLORS["input"]
    _grid(axes[0][1], t["size"], colors, box)
    axes[0][1].set_title("transposed s=2: zeros inserted", fontsize=10)
    _output(axes[1][1], out_size, i, j, box - 2)
    n = len(t["sources"])
    axes[1][1].set_title(f"output ({i}, {j}) ← {n} input{'s' if n > 1 else ''}", fontsize=10)
    # deformable: 7x7 input, no padding -> 5x5 output; regular grid light, samples as dots
    ry, rx = dilated_reads(i, j, 3, 1)
    colors = [[COLORS["input"]] * 7 for _ in range(7)]
    for r, c in zip(ry, rx):
        colors[r][c] = COLORS["footprint_zero"]
    _grid(axes[0][2], 7, colors, box)
    ys, xs = deformable_reads(i, j, smooth_offsets(frame))
    ax = axes[0][2]
    for y0, x0, y1, x1 in zip(ry, rx, ys, xs):
        ax.plot([x0, x1], [y0, y1], color=COLORS["sample"], lw=1.2)
    ax.plot(rx, ry, "o", mfc="white", mec=COLORS["sample"], ms=4)
    ax.plot(xs, ys, "o", color=COLORS["sample"], ms=6)
    ax.set_title("deformable: grid + offsets", fontsize=10)
    _output(axes[1][2], out_size, i, j, box - 2)
    axes[1][2].set_title(f"output ({i}, {j})", fontsize=10)
    return axes


def kernel_reads_animation(frames=None, dpi=100):
    """The player: the output position moves over the 5×5 outputs (row by row).

    ``frames`` defaults to every third of the 25 positions (9 frames: the transposed
    convolution then shows 1, 2 and 4 inputs).  Returns an ``IPython.display.HTML`` player.
    """
    import matplotlib.pyplot as plt

    from ..animation import animate, to_html

    frames = list(range(0, 25, 3)) if frames is None else list(frames)
    fig, axes = plt.subplots(2, 3, figsize=(7.8, 4.6), gridspec_kw=dict(height_ratios=[9, 7]))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.94, bottom=0.01, wspace=0.08, hspace=0.2)
    return to_html(animate(fig, lambda f: draw_kernel_reads(f, axes), frames, interval=800, dpi=dpi))
