"""Block diagrams of the architecture families, drawn with matplotlib.

A diagram is a list of *rows* drawn top to bottom; a row is one box (a string) or
parallel boxes (a list of strings).  Arrows join consecutive rows; ``skips`` add
shortcut arrows on the right (``"+"``: element-wise sum, ``"c"``: concatenation,
``"×"``: channel-wise product) that end in a junction circle above the target row.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["BLOCKS", "draw_block_diagram", "draw_family"]

_COLORS = {"conv": "#cfe3f7", "pool": "#fde2c4", "norm": "#e5e5e5", "fc": "#f6cfd5",
           "other": "#d9f2d0"}


def _kind(label):
    low = label.lower()
    if "pool" in low or "gap" in low:
        return "pool"
    if low.startswith(("bn", "lrn")) or "relu" == low:
        return "norm"
    if low.startswith(("fc", "softmax", "sigmoid")):
        return "fc"
    if "conv" in low or "×" in low:
        return "conv"
    return "other"


#: Diagram data for each family: (rows, skips, title).
BLOCKS = {
    "lenet": ([
        "input 1×28×28", "conv 5×5, 6 (pad 2) + tanh", "avg-pool 2×2/2", "conv 5×5, 16 + tanh",
        "avg-pool 2×2/2", "fc 120 + tanh", "fc 84 + tanh", "fc 10"], [], "LeNet-5 (1998)"),
    "alexnet": ([
        "input 3×224×224", "conv 11×11/4, 96 + ReLU", "LRN", "max-pool 3×3/2",
        "conv 5×5, 256, 2 groups + ReLU", "LRN", "max-pool 3×3/2",
        "conv 3×3, 384 + ReLU", "conv 3×3, 384 + ReLU", "conv 3×3, 256 + ReLU",
        "max-pool 3×3/2", "fc 4096 + ReLU + dropout", "fc 4096 + ReLU + dropout", "fc 1000"],
        [], "AlexNet (2012)"),
    "zfnet": ([
        "input 3×224×224", "conv 7×7/2, 96 + ReLU", "max-pool 3×3/2", "LRN",
        "conv 5×5/2, 256 + ReLU", "max-pool 3×3/2", "LRN",
        "conv 3×3, 384 + ReLU", "conv 3×3, 384 + ReLU", "conv 3×3, 256 + ReLU",
        "max-pool 3×3/2", "fc 4096 + ReLU + dropout", "fc 4096 + ReLU + dropout", "fc 1000"],
        [], "ZFNet (2013)"),
    "vgg": ([
        "input", "conv 3×3, 64", "conv 3×3, 64", "max-pool 2×2/2", "conv 3×3, 128",
        "conv 3×3, 128", "max-pool 2×2/2", "3 × conv 3×3, 256", "max-pool 2×2/2",
        "3 × conv 3×3, 512", "max-pool 2×2/2", "3 × conv 3×3, 512", "max-pool 2×2/2",
        "fc 4096", "fc 4096", "fc 1000"], [], "VGG-16 (2014)"),
    "nin": ([
        "input", "conv 11×11/4 + ReLU", "conv 1×1 + ReLU", "conv 1×1 + ReLU",
        "max-pool 3×3/2", "… two more mlpconv blocks …",
        "conv 3×3, 1000", "conv 1×1, 1000", "conv 1×1, 1000", "GAP → 1000 logits"],
        [], "NiN (2013): mlpconv + GAP"),
    "inception": ([
        "previous layer",
        ["1×1", "1×1", "1×1", "pool"],
        ["", "3×3", "5×5", "1×1"],
        "filter concatenation"], [], "Inception module (v1, 2014)"),
    "inception_v3": ([
        "previous layer",
        ["1×1", "1×1", "1×1", "pool"],
        ["", "1×7", "1×7", "1×1"],
        ["", "7×1", "7×1", ""],
        ["", "", "1×7", ""],
        ["", "", "7×1", ""],
        "filter concatenation"], [], "Inception v3 (17×17): n×n → 1×n, n×1"),
    "bn_inception": ([
        "previous layer",
        ["1×1", "1×1", "1×1", "pool"],
        ["", "3×3", "3×3", "1×1"],
        ["", "", "3×3", ""],
        "filter concatenation"], [], "BN-Inception: 5×5 → two 3×3"),
    "inception_resnet": ([
        "x (384 maps)",
        ["1×1, 32", "1×1, 32", "1×1, 32"],
        ["", "3×3, 32", "3×3, 48"],
        ["", "", "3×3, 64"],
        "concat → 1×1 conv, 384 (linear)", "× scale (0.1–0.3)", "ReLU"],
        [(0, 6, "+")], "Inception-ResNet-v2, block A"),
    "resnet_basic": ([
        "x (C channels)", "conv 3×3, C", "BN + ReLU", "conv 3×3, C", "BN", "ReLU"],
        [(0, 5, "+")], "ResNet basic block"),
    "resnet_bottleneck": ([
        "x (4C channels)", "conv 1×1, C", "BN + ReLU", "conv 3×3, C", "BN + ReLU",
        "conv 1×1, 4C", "BN", "ReLU"],
        [(0, 7, "+")], "ResNet bottleneck block"),
    "densenet": ([
        "x₀ (k₀ maps)", "H₁: BN-ReLU-1×1-BN-ReLU-3×3", "H₂ (+k maps)", "H₃ (+k maps)",
        "H₄ (+k maps)", "transition: 1×1 conv (θm), pool"],
        [(i, j, "c") for j in range(2, 6) for i in range(0, j - 1)],
        "Dense block (L = 4) + transition"),
    "senet": ([
        "x", "residual branch F(x)",
        ["", "avg-pool → C"],
        ["", "fc C/16 + ReLU"],
        ["", "fc C + sigmoid"],
        "scale: F(x) × s", "ReLU"],
        [(0, 6, "+"), (1, 5, "×")], "SE-ResNet block (2017)"),
    "mobilenet": ([
        "input (M maps)", "depthwise conv 3×3 (groups = M)", "BN + ReLU",
        "pointwise conv 1×1, N", "BN + ReLU"], [], "Depthwise-separable conv (MobileNet v1)"),
    "mobilenet_v2": ([
        "x (low-dim)", "conv 1×1, ×6 + BN + ReLU6", "depthwise 3×3 + BN + ReLU6",
        "conv 1×1 (linear) + BN", "output"], [(0, 4, "+")], "Inverted residual (MobileNet v2)"),
    "shufflenet": ([
        "x", "1×1 group conv + BN + ReLU", "channel shuffle", "depthwise 3×3 + BN",
        "1×1 group conv + BN", "ReLU"], [(0, 5, "+")], "ShuffleNet v1 unit (stride 1)"),
    "shufflenet_v2": ([
        "x", "channel split",
        ["(identity)", "1×1 + BN + ReLU"],
        ["", "dw 3×3 + BN"],
        ["", "1×1 + BN + ReLU"],
        "concat", "channel shuffle"], [], "ShuffleNet v2 unit (stride 1)"),
}


def draw_block_diagram(rows, skips=(), title=None, ax=None, fontsize=8):
    """Draw ``rows`` of boxes top to bottom, with arrows and shortcut connections.

    Parameters
    ----------
    rows : list of str or list of str
        Each row is a box label, or a list of labels drawn side by side (parallel
        branches).  An empty label leaves a gap (a branch that passes straight down).
    skips : sequence of (int, int, str)
        ``(from_row, to_row, op)``: a shortcut from ``from_row`` into a junction above
        ``to_row``; ``op`` is written in the junction circle (one circle per target row).
        Shortcuts leaving the same row share one vertical line on the right (a "bus",
        earlier rows further out); each junction is fed by one arrow, with a dot on every
        bus that joins it (a bus crossing without a dot passes by), so that the ten
        shortcuts of a dense block stay readable.
    title : str, optional
    ax : matplotlib Axes, optional
        Created (``figsize=(3.6, 0.42·len(rows) + 0.4)``) when ``None``.
    fontsize : float
        Of the labels (branch labels are 0.5 pt smaller); 8 pt keeps them at least 10 CSS
        pixels on the site.

    Returns
    -------
    matplotlib.axes.Axes
    """
    rows = [[r] if isinstance(r, str) else list(r) for r in rows]
    for i, j, _ in skips:
        if not 0 <= i < j < len(rows):
            raise ValueError(f"skip ({i}, {j}) must go down between rows 0..{len(rows) - 1}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 0.42 * len(rows) + 0.4))
    h, gap = 0.62, 1.0
    centres = []
    for i, row in enumerate(rows):
        y = -i * gap
        k = len(row)
        w = 0.8 / k if k > 1 else 0.8
        xs = [0.1 + (j + 0.5) * 0.8 / k for j in range(k)] if k > 1 else [0.5]
        centres.append([(x, y, w, lab) for x, lab in zip(xs, row)])
        for x, _, w_, lab in centres[-1]:
            if not lab:
                continue
            ax.add_patch(FancyBboxPatch((x - w_ / 2 + 0.01, y - h / 2), w_ - 0.02, h,
                                        boxstyle="round,pad=0.0,rounding_size=0.08",
                                        fc=_COLORS[_kind(lab)], ec="0.35", lw=0.6))
            ax.text(x, y, lab, ha="center", va="center",
                    fontsize=fontsize if k == 1 else fontsize - 0.5)

    def arrow(p, q, **kw):
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=7, lw=0.7,
                                     color=kw.pop("color", "0.3"), **kw))

    for i in range(len(rows) - 1):
        top, bottom = centres[i], centres[i + 1]
        if len(top) == len(bottom) and len(top) > 1:
            pairs = list(zip(top, bottom))
        else:
            pairs = [(a, b) for a in top for b in bottom]
        for (x0, y0, _, la), (x1, y1, _, lb) in pairs:
            if lb:
                arrow((x0, y0 - h / 2), (x1, y1 + h / 2))
            else:   # a gap: the branch passes straight through this row
                ax.plot([x0, x1, x1], [y0 - h / 2, y1 + h / 2, y1 - h / 2], color="0.3", lw=0.7)

    sources = sorted({i for i, _, _ in skips})
    targets = sorted({j for _, j, _ in skips})
    bus_x = {i: 0.93 + 0.035 * (len(sources) - 1 - r) for r, i in enumerate(sources)}
    for i in sources:                   # one bus per source row: out to the right, then down
        x_edge = max(x + w / 2 for x, _, w, lab in centres[i] if lab) - 0.01
        y0 = -i * gap - h / 2 + 0.12
        y_end = -max(j for s, j, _ in skips if s == i) * gap + h / 2 + 0.19
        ax.plot([x_edge, bus_x[i], bus_x[i]], [y0, y0, y_end], color="tab:red", lw=0.7)
    for j in targets:                   # one junction per target, fed from dots on the buses
        into = [s for s, t, _ in skips if t == j]
        y1 = -j * gap + h / 2 + 0.19
        jx = 0.5 if len(rows[j]) == 1 else centres[j][-1][0]
        arrow((max(bus_x[i] for i in into), y1), (jx + 0.07, y1), color="tab:red")
        if len(into) > 1:               # a dot marks a connection; a bus crossing without one passes by
            ax.plot([bus_x[i] for i in into], [y1] * len(into), "o", ms=2.5, color="tab:red")
        op = next(o for _, t, o in skips if t == j)
        ax.plot([jx], [y1], "o", ms=11, mfc="white", mec="tab:red", mew=0.8, zorder=3)
        ax.text(jx, y1, op, ha="center", va="center", fontsize=fontsize, color="tab:red", zorder=4)
    ax.set_xlim(0, 1.0 + 0.035 * max(len(sources), 1))
    ax.set_ylim(-(len(rows) - 1) * gap - 0.5, 0.5)
    ax.set_aspect("auto")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    return ax


def draw_family(name, ax=None):
    """Draw the block diagram of one family of :data:`BLOCKS` (e.g. ``"resnet_bottleneck"``)."""
    if name not in BLOCKS:
        raise ValueError(f"name={name!r} is not supported; choose one of {tuple(BLOCKS)}")
    rows, skips, title = BLOCKS[name]
    return draw_block_diagram(rows, skips, title, ax=ax)
