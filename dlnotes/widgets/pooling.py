"""A max-pooling window sliding forward, then the gradient routed back: a static player.

Two layers, as in :mod:`dlnotes.widgets.conv`:

1. :func:`max_pool_steps` -- *logic*: for every frame, the window, its argmax, the output
   filled so far and, in the backward half, the input gradient accumulated so far (equal to
   :func:`dlnotes.pooling.max_pool2d` and :func:`dlnotes.pooling.max_pool2d_backward` at
   the last frame of each half).
2. :func:`draw_max_pool_step` -- *drawing* on four ``Axes``: input, output, upstream
   gradient, input gradient; :func:`max_pool_animation` makes the player for the website.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_int, check_ndim
from ..pooling import max_pool2d, pool_output_size

__all__ = ["max_pool_steps", "draw_max_pool_step", "max_pool_animation"]


def max_pool_steps(x, kernel_size=3, stride=1, grad_output=None):
    """Every frame of a max-pooling pass and its backward pass, single channel, no padding.

    Parameters
    ----------
    x : ndarray, shape (H, W)
        The input plane.
    kernel_size, stride : int
    grad_output : ndarray, shape (H_out, W_out), optional
        The upstream gradient ``dL/dy``; default all ones.

    Returns
    -------
    list of dict
        ``2 · H_out · W_out`` frames: first the forward pass, one output at a time, then
        the backward pass in the same order.  Each frame has ``phase`` ('forward' or
        'backward'), ``out_index`` (i, j), ``window`` (row0, col0, k), ``argmax`` (r, c)
        in ``x`` (the first maximum on ties, as torch's CPU kernel), ``output``
        (H_out, W_out; NaN where not yet computed), ``grad_output`` and ``grad_input``
        (H, W; the gradient routed so far, zeros in the forward half).

    Raises
    ------
    ValueError
        ``x`` not 2-D, a window larger than ``x``, or ``grad_output`` of the wrong shape.
    """
    x = check_ndim("x", x, 2, "H, W").astype(float)
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    ho, wo = (pool_output_size(n, k, s) for n in x.shape)
    g = np.ones((ho, wo)) if grad_output is None else check_ndim("grad_output", grad_output, 2,
                                                                  "H_out, W_out").astype(float)
    if g.shape != (ho, wo):
        raise ValueError(f"grad_output must have the output's shape {(ho, wo)}, got {g.shape}")
    full = max_pool2d(x[None, None], k, s)[0, 0]
    output = np.full((ho, wo), np.nan)
    grad_input = np.zeros_like(x)
    frames = []
    for phase in ("forward", "backward"):
        for i in range(ho):
            for j in range(wo):
                win = x[i * s:i * s + k, j * s:j * s + k]
                u, v = np.unravel_index(np.argmax(win), win.shape)  # first max, row-major
                r, c = i * s + u, j * s + v
                if phase == "forward":
                    output[i, j] = full[i, j]
                else:
                    grad_input[r, c] += g[i, j]
                frames.append(dict(phase=phase, out_index=(i, j), window=(i * s, j * s, k),
                                   argmax=(int(r), int(c)), output=output.copy(),
                                   grad_output=g, grad_input=grad_input.copy(),
                                   value=float(full[i, j])))
    return frames


#: cell colours (conv_arithmetic style): input, window, maximum, output, current, gradient
COLORS = dict(input="#c6dbef", window="#fdae6b", argmax="#d94801", output="#a1d99b",
              current="#31a354", empty="white", grad="#fee6ce", grad_hit="#fd8d3c")


def _cells(ax, values, colors, fmt="{:g}", fontsize=9):
    """Draw ``values`` (H, W) as cells filled with ``colors`` (H, W) of colour names; NaN: blank."""
    from matplotlib.patches import Rectangle

    from ..plotting import text_color_for

    h, w = values.shape
    for (r, c), v in np.ndenumerate(values):
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=colors[r][c], edgecolor="0.35",
                               linewidth=0.8))
        if np.isfinite(v):
            ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                    color=text_color_for(colors[r][c]))
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def draw_max_pool_step(x, step, axes=None):
    """Draw one frame of :func:`max_pool_steps` on four axes; returns them.

    Input ``x`` with the window (orange) and its maximum (dark orange); output ``y`` with
    the current cell dark green; the upstream gradient ``dL/dy`` (backward half) with the
    current cell marked; the input gradient ``dL/dx`` with the cell that just received it.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 4, figsize=(7.8, 2.4), layout="constrained")
    for ax in axes:
        ax.clear()
    ax_x, ax_y, ax_g, ax_dx = axes
    r0, c0, k = step["window"]
    i, j = step["out_index"]
    r, c = step["argmax"]
    forward = step["phase"] == "forward"
    col = [[COLORS["window"] if r0 <= a < r0 + k and c0 <= b < c0 + k else COLORS["input"]
            for b in range(x.shape[1])] for a in range(x.shape[0])]
    col[r][c] = COLORS["argmax"]
    _cells(ax_x, x, col)
    ax_x.set_title("input x: window, max" if forward else "x: where the max was", fontsize=10)
    y = step["output"]
    col = [[COLORS["output"] if np.isfinite(v) else COLORS["empty"] for v in row] for row in y]
    col[i][j] = COLORS["current"]
    _cells(ax_y, y, col)
    ax_y.set_title(f"y[{i},{j}] = {step['value']:g}" if forward else "output y", fontsize=10)
    g = step["grad_output"]
    col = [[COLORS["grad"] if not forward else COLORS["empty"] for _ in row] for row in g]
    if not forward:
        col[i][j] = COLORS["grad_hit"]
    _cells(ax_g, g if not forward else np.full_like(g, np.nan), col)
    ax_g.set_title("upstream dL/dy" if not forward else "dL/dy: backward", fontsize=10)
    dx = step["grad_input"]
    col = [[COLORS["grad"] if not forward else COLORS["empty"] for _ in row] for row in dx]
    if not forward:
        col[r][c] = COLORS["grad_hit"]
    _cells(ax_dx, dx if not forward else np.full_like(dx, np.nan), col)
    ax_dx.set_title(f"dL/dx[{r},{c}] += {g[i, j]:g}" if not forward else "dL/dx: backward",
                    fontsize=10)
    return axes


def max_pool_animation(x=None, kernel_size=3, stride=1, grad_output=None, dpi=100):
    """The player: the window slides over ``x`` (forward), then each ``dL/dy`` goes back to
    its window's maximum and overlapping windows add up (backward).

    Defaults: the 4×4 example of chapter 8 §8.2, 3×3 windows at stride 1, and an upstream
    gradient ``[[1, 2], [3, 4]]`` (distinct from the input values, so one sees that the
    gradient, not the maximum, is routed).  Returns an ``IPython.display.HTML`` player.
    """
    import matplotlib.pyplot as plt

    from ..animation import animate, to_html

    x = (np.array([[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 0, 1, 2]]) if x is None
         else np.asarray(x, float))
    if grad_output is None and x.shape == (4, 4) and (kernel_size, stride) == (3, 1):
        grad_output = np.array([[1.0, 2], [3, 4]])
    steps = max_pool_steps(x, kernel_size, stride, grad_output)
    fig, axes = plt.subplots(1, 4, figsize=(7.8, 2.4), layout="constrained")
    return to_html(animate(fig, lambda f: draw_max_pool_step(x, steps[f], axes),
                           list(range(len(steps))), interval=1000, dpi=dpi))
