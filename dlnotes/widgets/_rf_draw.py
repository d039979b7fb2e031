"""Drawing for the receptive-field widget and its static twin (private; see ``receptive_field``).

:func:`rf_figure` makes the figure (7.8 in wide: shown unscaled on the site) and
:func:`draw_rf` draws one :func:`~dlnotes.widgets.receptive_field.rf_state` on it:

- *image*: the input with the unit's effective RF (heat map, where it is at least
  ``ERF_FLOOR`` of its peak), theoretical RF (cyan box),
  the unit's centre (cross) and, while the box is small, a zoom inset of its neighbourhood;
- *table*: kernel, stride, padding, RF, jump, start and size of every layer, the current
  row highlighted and the layers not reached yet greyed;
- *stack*: the unit's cone as stacked 1-D layers (Araujo, Norris & Sim, Distill 2019): each
  level one row of units at their input positions, the units that feed the chosen one
  coloured and joined to their inputs, padding drawn hollow, and under the input row the
  ERF's profile through the unit.
"""
from __future__ import annotations

import numpy as np

__all__ = ["rf_figure", "draw_rf"]

FONT = 8                      # pt: 11 CSS px in a figure shown at 100 dpi
BOX = "tab:cyan"
CONE = "tab:blue"
UNIT = "tab:red"
ERF_CMAP = "magma"
ERF_FLOOR = 0.02              # the heat map shows the ERF where it is >= 2 % of its peak
# the table's bold cells name the one family that has a bold face (the CJK fallback has none,
# and matplotlib would warn on stderr about it)
_BOLD_FAMILY = "DejaVu Sans"


def rf_figure():
    """The figure and its three axes ``(image, table, stack)``."""
    import matplotlib.pyplot as plt

    # fixed positions (figure fractions), so that frames do not jitter and no layout engine
    # has to measure every label of every frame
    fig = plt.figure(figsize=(7.8, 5.7))
    image = fig.add_axes((0.01, 0.455, 0.41, 0.49))
    table = fig.add_axes((0.44, 0.455, 0.54, 0.505))
    stack = fig.add_axes((0.105, 0.075, 0.86, 0.32))
    return fig, (image, table, stack)


def _fmt(v):
    return f"{v:g}" if not isinstance(v, tuple) else "×".join(f"{x:g}" for x in v)


def _draw_image(ax, state, image):
    from matplotlib.patches import Rectangle

    size = state["input_size"]
    y0, x0, y1, x1 = state["box"]
    cy, cx = state["centre"]
    extent = (-0.5, size - 0.5, size - 0.5, -0.5)
    # 16 grey levels and 10 ERF bands: flat colours that read as contours (and that a
    # 256-colour PNG palette keeps exactly, so the player stays small)
    image = np.round(np.asarray(image, float) * 15) / 15
    # (bands of 10 % of the peak; below ERF_FLOOR of the peak the image shows through)
    erf = np.ma.masked_where(state["erf"] < ERF_FLOOR, np.ceil(state["erf"] * 10) / 10)

    def paint(a):
        a.imshow(image, cmap="gray", extent=extent, interpolation="nearest")
        a.imshow(erf, cmap=ERF_CMAP, alpha=0.75, vmin=0, vmax=1, extent=extent,
                 interpolation="nearest")
        a.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False,
                              edgecolor=BOX, linewidth=1.8))
        a.plot([cx], [cy], marker="+", color=UNIT, markersize=9, markeredgewidth=2)
        a.set_facecolor("0.8")               # the padding region
        a.set_xticks([])
        a.set_yticks([])

    paint(ax)
    lo = min(-0.5, y0 - 0.5, x0 - 0.5) - 3
    hi = max(size - 0.5, y1 + 0.5, x1 + 0.5) + 3
    ax.set_xlim(lo, hi)
    ax.set_ylim(hi, lo)
    ax.set_title(_recurrence(state), fontsize=FONT + 1)
    wlo, whi = state["window"]
    half = (whi - wlo) / 2
    if x1 - x0 + 1 <= 0.15 * size:           # a small box: zoom on the unit's neighbourhood
        # the inset goes in the corner farthest from the unit
        right = cx < size / 2
        top = cy > size / 2
        ins = ax.inset_axes([0.56 if right else 0.02, 0.02 if not top else 0.56, 0.42, 0.42])
        paint(ins)
        ins.set_xlim(cx - half, cx + half)
        ins.set_ylim(cy + half, cy - half)
        for s in ins.spines.values():
            s.set_edgecolor("white")
            s.set_linewidth(1.5)
        ax.add_patch(Rectangle((cx - half, cy - half), 2 * half, 2 * half, fill=False,
                               edgecolor="white", linewidth=1, linestyle="--"))


def _recurrence(state):
    """The current row's recurrence with its numbers: ``conv3_2: RF 24 + (3-1)·4 = 32, jump 4``."""
    rows, i = state["rows"], state["layer"]
    row = rows[i]
    rf0, j0 = (rows[i - 1].rf, rows[i - 1].jump) if i > 0 else (1, 1)
    k_eff = row.dilation * (row.kernel - 1) + 1
    return (f"{row.name}: RF {_fmt(rf0)} + ({k_eff}−1)·{_fmt(j0)} = {_fmt(row.rf)}, "
            f"jump {_fmt(row.jump)}")


def _draw_table(ax, state):
    rows, current = state["rows"], state["layer"]
    dilated = any(r.dilation != 1 for r in rows)
    cols = ["layer", "k", "s", "p"] + (["d"] if dilated else []) + ["RF", "jump", "start", "size"]
    xs = np.linspace(0.19, 0.99, len(cols))
    xs[0] = 0.01
    h = min(1.0 / (len(rows) + 1), 0.1)       # row height (axes fraction)
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axhspan(1 - (current + 2) * h, 1 - (current + 1) * h, color="#ffe9a8", zorder=0)
    ax.axhline(1 - h, color="0.3", linewidth=0.8)
    table = [[r.name, r.kernel, r.stride, r.padding] + ([r.dilation] if dilated else [])
             + [r.rf, r.jump, r.start, r.size] for r in rows]
    # one multi-line text per column and block of rows (done, current, not reached yet): a
    # few texts instead of one per cell keep a frame fast to draw
    blocks = [(0, current, "black", "normal"), (current, current + 1, "black", "bold"),
              (current + 1, len(rows), "0.55", "normal")]
    spacing = _linespacing(ax, h)
    for c, (col, x) in enumerate(zip(cols, xs)):
        ha = "left" if c == 0 else "right"
        ax.text(x, 1 - 0.5 * h, col, ha=ha, va="center", fontsize=FONT, fontweight="bold",
                fontfamily=_BOLD_FAMILY)
        for a, b, color, weight in blocks:
            if a == b:
                continue
            lines = [row[c] if c == 0 else _fmt(row[c]) for row in table[a:b]]
            # the block centred on its rows; the line spacing makes each line one row high
            ax.text(x, 1 - h - (a + b) / 2 * h, "\n".join(lines), ha=ha, va="center",
                    fontsize=FONT, color=color, fontweight=weight, linespacing=spacing,
                    fontfamily=_BOLD_FAMILY)


def _linespacing(ax, h):
    """The ``linespacing`` that makes a line of FONT-pt text ``h`` (axes fraction) high."""
    fig = ax.figure
    height_pt = ax.get_position().height * fig.get_figheight() * 72 * h
    return height_pt / FONT     # DejaVu Sans: matplotlib steps lines by linespacing × size


def _draw_stack(ax, state):
    from matplotlib.collections import LineCollection
    from matplotlib.ticker import MaxNLocator

    rows, layer, cone, sizes = state["rows"], state["layer"], state["cone"], state["sizes"]
    names = state["names"]
    lo, hi = state["window"]
    size = state["input_size"]
    y0, x0, y1, x1 = state["box"]
    starts = [0.0] + [float(r.start) for r in rows]
    jumps = [1.0] + [float(r.jump) for r in rows]
    n_levels = len(rows) + 1
    ax.axvspan(lo - 10, -0.5, color="0.9", zorder=0)      # padding of the input
    ax.axvspan(size - 0.5, hi + 10, color="0.9", zorder=0)
    ax.axvline(x0 - 0.5, color=BOX, linestyle="--", linewidth=1.2)
    ax.axvline(x1 + 0.5, color=BOX, linestyle="--", linewidth=1.2)
    pos = lambda m, i: starts[m] + np.asarray(i) * jumps[m]  # noqa: E731
    segments = []
    for m in range(layer + 2):
        first = int(np.ceil((lo - starts[m]) / jumps[m]))
        last = int(np.floor((hi - starts[m]) / jumps[m]))
        idx = np.arange(first, last + 1)
        real = (idx >= 0) & (idx < sizes[m])
        ms = float(np.clip(250 / max(len(idx), 1), 1.5, 4))
        ax.plot(pos(m, idx[real]), np.full(real.sum(), m), "o", color="0.75", markersize=ms,
                linestyle="none")
        ax.plot(pos(m, idx[~real]), np.full((~real).sum(), m), "o", mfc="none", mec="0.6",
                markersize=ms, linestyle="none")
        c = cone[m]
        inside = (c >= 0) & (c < sizes[m])
        ax.plot(pos(m, c[inside]), np.full(inside.sum(), m), "o", color=CONE, markersize=ms,
                linestyle="none")
        ax.plot(pos(m, c[~inside]), np.full((~inside).sum(), m), "o", mfc="white", mec=CONE,
                markersize=ms, linestyle="none")
        if m > 0:
            k, s, p, d = (rows[m - 1].kernel, rows[m - 1].stride, rows[m - 1].padding,
                          rows[m - 1].dilation)
            for i in c:
                taps = i * s - p + d * np.arange(k)
                segments += [((pos(m, i), m), (pos(m - 1, t), m - 1)) for t in taps]
    ax.add_collection(LineCollection(segments, colors=CONE, linewidths=0.6, alpha=0.35, zorder=1))
    u = state["unit"][1]
    ax.plot([pos(layer + 1, u)], [layer + 1], marker="*", color=UNIT, markersize=12,
            linestyle="none", zorder=3)
    # the ERF's profile along the unit's row, under the input row
    cy = int(round(min(max(state["centre"][0], 0), size - 1)))
    prof = state["erf"][cy]
    prof = prof / prof.max() if prof.max() > 0 else prof
    ax.fill_between(np.arange(size), -1.9, -1.9 + 0.9 * prof, color="tab:orange", alpha=0.7,
                    step="mid", linewidth=0)
    step = max(1, int(np.ceil(n_levels / 10)))
    ticks = sorted({m for m in range(0, n_levels, step) if step == 1 or abs(m - (layer + 1)) > 1}
                   | {layer + 1})
    ax.set_yticks([-1.45] + ticks, ["ERF"] + [names[m] for m in ticks], fontsize=FONT)
    ax.set_ylim(-2.0, n_levels - 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(lo, hi)
    ax.tick_params(axis="x", labelsize=FONT)
    ax.set_xlabel("input pixel (column)", fontsize=FONT)
    ax.set_title(f"unit {state['unit']} of {rows[layer].name} and the units that feed it "
                 f"(hollow: padding; dashed: the RF)", fontsize=FONT + 1)


def draw_rf(state, image, axes=None):
    """Draw a :func:`~dlnotes.widgets.receptive_field.rf_state` on three axes.

    Parameters
    ----------
    state : dict
    image : ndarray, shape (H, W), the input image (``H = W = state['input_size']``)
    axes : (Axes, Axes, Axes), optional
        ``(image, table, stack)`` as made by :func:`rf_figure` (default: a new figure).

    Returns
    -------
    (Axes, Axes, Axes)
    """
    if axes is None:
        _, axes = rf_figure()
    ax_img, ax_tab, ax_stack = axes
    for a in axes:
        a.clear()
    _draw_image(ax_img, state, image)
    _draw_table(ax_tab, state)
    _draw_stack(ax_stack, state)
    return ax_img, ax_tab, ax_stack
