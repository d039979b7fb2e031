"""The computation graph autograd records, as nodes and edges, and a drawing of it.

PyTorch's autograd is define-by-run: every differentiable operation creates a backward
node (``tensor.grad_fn``), whose ``next_functions`` point to the nodes that made its
inputs.  Paszke et al., "Automatic differentiation in PyTorch", NIPS-W 2017, §3.

- :func:`autograd_graph` -- walk ``grad_fn.next_functions`` from an output: the nodes
  (``MulBackward0``, ``AccumulateGrad`` for a leaf, ...) and the edges between them.
- :func:`layered_layout` -- a small layered (Sugiyama-style) layout: a node's column is
  its longest distance from the output, its row comes from the barycentre of its
  neighbours in the previous column (Sugiyama, Tagawa & Toda, IEEE SMC 11(2), 1981).
- :func:`draw_autograd_graph` -- boxes and arrows with matplotlib (no graphviz).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ._validate import check_choice, check_int

__all__ = ["GraphNode", "autograd_graph", "layered_layout", "draw_autograd_graph"]


@dataclass(frozen=True)
class GraphNode:
    """One node of an autograd graph.

    Attributes
    ----------
    index : int
        Position in :func:`autograd_graph`'s breadth-first order (0 is the output's node).
    name : str
        The node's class name, as ``print(tensor.grad_fn)`` shows it (``"MulBackward0"``).
    kind : {"op", "leaf"}
        ``"leaf"`` for ``AccumulateGrad``, the node that adds a gradient into a leaf
        tensor's ``.grad``; ``"op"`` for the backward of an operation.
    label : str
        ``name``, or for a leaf ``"<variable name>\\nAccumulateGrad"`` when ``names``
        gave it a name.
    """

    index: int
    name: str
    kind: str
    label: str


def autograd_graph(output, names=None):
    """The nodes and edges reachable from ``output.grad_fn``, in breadth-first order.

    Parameters
    ----------
    output : Tensor
        A tensor produced by differentiable operations (it has a ``grad_fn``).
    names : dict of str -> Tensor, optional
        Names for leaf tensors (``{"w": w}``); their ``AccumulateGrad`` nodes are labelled
        with them.

    Returns
    -------
    nodes : list of GraphNode
        ``nodes[0]`` is ``output.grad_fn``; every node appears once, even when several
        nodes use it (a tensor used twice is one node with two outgoing edges).
    edges : list of (int, int)
        ``(i, j)``: node ``j`` is in ``nodes[i].next_functions``, i.e. the result of ``j``'s
        forward operation is an input of ``i``'s (data flows ``j -> i``; the backward pass
        runs ``i -> j``).  Each pair once, in the order ``next_functions`` lists them.
        Inputs that do not require a gradient have no node and no edge.

    Raises
    ------
    TypeError
        If ``output`` is not a tensor or ``names`` is not a dict of tensors.
    ValueError
        If ``output`` has no ``grad_fn`` (a leaf, or computed without gradients).
    """
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"output must be a torch.Tensor, got {type(output).__name__}")
    if output.grad_fn is None:
        raise ValueError("output has no grad_fn: it is a leaf or was computed without gradients; "
                         "pass a tensor computed from inputs with requires_grad=True")
    names = {} if names is None else names
    if not isinstance(names, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in names.items()):
        raise TypeError("names must be a dict mapping str to the leaf tensors, e.g. {'w': w}")
    leaf_name = {id(t): k for k, t in names.items()}

    index, order, edges = {output.grad_fn: 0}, [output.grad_fn], []
    head = 0
    while head < len(order):                              # breadth-first over next_functions
        node = order[head]
        for nxt, _ in node.next_functions:
            if nxt is None:                               # an input without requires_grad
                continue
            if nxt not in index:
                index[nxt] = len(order)
                order.append(nxt)
            if (head, index[nxt]) not in edges:
                edges.append((head, index[nxt]))
        head += 1

    nodes = []
    for i, node in enumerate(order):
        name = type(node).__name__
        kind = "leaf" if name == "AccumulateGrad" else "op"
        label = name
        if kind == "leaf" and id(node.variable) in leaf_name:
            label = f"{leaf_name[id(node.variable)]}\n{name}"
        nodes.append(GraphNode(i, name, kind, label))
    return nodes, edges


def layered_layout(nodes, edges, sweeps=4):
    """Columns and rows for a left-to-right drawing of a DAG (the output on the right).

    Parameters
    ----------
    nodes : list of GraphNode
    edges : list of (int, int)
        As returned by :func:`autograd_graph` (``i`` uses the result of ``j``).
    sweeps : int
        Barycentre sweeps that reorder each column to reduce crossings.

    Returns
    -------
    dict of int -> (int, float)
        ``index -> (column, row)``.  ``column`` is the longest path from the node to the
        output's node, so every edge ``(i, j)`` has ``column[j] > column[i]``; the drawing
        puts column 0 (the output) on the right.  Rows of a column are 0, 1, ... centred
        on 0.

    Raises
    ------
    ValueError
        If an edge names a node that does not exist, the edges contain a cycle, or
        ``sweeps`` is negative.
    """
    sweeps = check_int("sweeps", sweeps, minimum=0)
    n = len(nodes)
    for i, j in edges:
        if not (0 <= i < n and 0 <= j < n):
            raise ValueError(f"edges: ({i}, {j}) refers to a node outside 0..{n - 1}")
    users = {j: [] for j in range(n)}                     # j -> the nodes that consume j
    inputs = {i: [] for i in range(n)}
    for i, j in edges:
        users[j].append(i)
        inputs[i].append(j)
    column = {}

    def depth(j, stack=()):
        if j in stack:
            raise ValueError("edges contain a cycle; an autograd graph is acyclic")
        if j not in column:
            column[j] = max((depth(i, stack + (j,)) + 1 for i in users[j]), default=0)
        return column[j]

    for j in range(n):
        depth(j)
    by_column = {}
    for j in range(n):                                     # breadth-first order as the start
        by_column.setdefault(column[j], []).append(j)
    row = {}
    for c in sorted(by_column):
        for r, j in enumerate(by_column[c]):
            row[j] = r - (len(by_column[c]) - 1) / 2

    for _ in range(sweeps):                                # barycentre heuristic
        for c in sorted(by_column)[1:]:                    # towards the inputs
            col = by_column[c]
            col.sort(key=lambda j: (sum(row[i] for i in users[j]) / max(len(users[j]), 1), row[j]))
            for r, j in enumerate(col):
                row[j] = r - (len(col) - 1) / 2
        for c in sorted(by_column, reverse=True)[1:]:      # back towards the output
            col = by_column[c]
            col.sort(key=lambda j: (sum(row[i] for i in inputs[j]) / len(inputs[j])
                                    if inputs[j] else row[j], row[j]))
            for r, j in enumerate(col):
                row[j] = r - (len(col) - 1) / 2
    return {j: (column[j], row[j]) for j in range(n)}


_FACE = {"op": "#cfe2f3", "leaf": "#d9ead3", "output": "#f6b26b"}
_PAD_X, _PAD_Y, _GAP_X, _GAP_Y, _MARGIN = 0.06, 0.05, 0.26, 0.14, 0.04   # inches


def _compact(label):
    """``"ConvolutionBackward0"`` -> ``"Convolution\nBackward0"`` (two shorter lines)."""
    head, sep, tail = label.rpartition("Backward")
    return f"{head}\n{sep}{tail}" if head and "\n" not in label else label


def _text_sizes(fig, labels, fontsize):
    """Width and height in inches of each label drawn at ``fontsize``."""
    renderer = fig.canvas.get_renderer()
    sizes = []
    for label in labels:
        t = fig.text(0, 0, label, fontsize=fontsize, ha="center", va="center")
        ext = t.get_window_extent(renderer)
        sizes.append((ext.width / fig.dpi, ext.height / fig.dpi))
        t.remove()
    return sizes


def draw_autograd_graph(output, names=None, ax=None, fontsize=8, direction="forward", max_width=7.8):
    """Draw the autograd graph of ``output`` as boxes and arrows, inputs left, output right.

    Parameters
    ----------
    output : Tensor or (nodes, edges)
        A tensor with a ``grad_fn`` (walked with :func:`autograd_graph`), or its result.
    names : dict of str -> Tensor, optional
        Leaf names, as in :func:`autograd_graph`.
    ax : matplotlib Axes, optional
        Drawn on, with one data unit per inch; it should be at least as large as the figure
        this function would make (otherwise the labels overflow their boxes).  Without
        ``ax``, a new figure is sized to the graph.
    fontsize : float
        Label size in points (8 pt in a figure at most 7.84 in wide is legible on the site).
    direction : {"forward", "backward"}
        ``"forward"``: arrows follow the data, from the inputs to the output.
        ``"backward"``: arrows follow ``next_functions``, the order in which ``backward()``
        runs the nodes.
    max_width : float
        Width in inches above which the operation names are split in two lines
        (``"Tanh\nBackward0"``) to make the drawing narrower.

    Returns
    -------
    matplotlib Axes
        Its ``patches`` are the node boxes (``gid`` ``"node-<index>"``) and the arrows
        (``gid`` ``"edge-<i>-<j>"`` for the edge ``(i, j)`` of :func:`autograd_graph`).

    Raises
    ------
    ValueError, TypeError
        As :func:`autograd_graph`; ``direction`` not one of the two; ``fontsize <= 0``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from .plotting import text_color_for

    check_choice("direction", direction, ("forward", "backward"))
    if not fontsize > 0:
        raise ValueError(f"fontsize must be > 0, got {fontsize!r}")
    if not max_width > 0:
        raise ValueError(f"max_width must be > 0 inches, got {max_width!r}")
    nodes, edges = output if isinstance(output, tuple) else autograd_graph(output, names)
    pos = layered_layout(nodes, edges)
    n_cols = max(c for c, _ in pos.values()) + 1
    fig = plt.figure(figsize=(max_width, 2)) if ax is None else ax.figure

    def geometry(labels):
        size = dict(zip(range(len(nodes)), _text_sizes(fig, labels, fontsize)))
        col_w = [max(size[j][0] for j in pos if pos[j][0] == c) + 2 * _PAD_X for c in range(n_cols)]
        pitch = max(h for _, h in size.values()) + 2 * _PAD_Y + _GAP_Y
        width = sum(col_w) + _GAP_X * (n_cols - 1) + 2 * _MARGIN
        return size, col_w, pitch, width

    labels = [n.label for n in nodes]
    size, col_w, pitch, width = geometry(labels)
    if width > max_width:
        labels = [_compact(n.label) if n.kind == "op" else n.label for n in nodes]
        size, col_w, pitch, width = geometry(labels)
    rows = [r for _, r in pos.values()]
    height = (max(rows) - min(rows)) * pitch + pitch - _GAP_Y + 2 * _MARGIN
    if ax is None:
        fig.set_size_inches(width, height)
        ax = fig.add_axes((0, 0, 1, 1))
    box = ax.get_window_extent().transformed(fig.dpi_scale_trans.inverted())   # axes, inches
    ax.set_xlim(-max(box.width, width) / 2, max(box.width, width) / 2)
    ax.set_ylim(-max(box.height, height) / 2, max(box.height, height) / 2)
    ax.set_aspect("equal" if (box.width, box.height) >= (width, height) else "auto")
    ax.set_axis_off()

    # column c (0 = the output) is drawn at the right; x of each column's centre, in inches
    left, centre = -width / 2 + _MARGIN, {}
    for c in reversed(range(n_cols)):
        centre[c] = left + col_w[c] / 2
        left += col_w[c] + _GAP_X
    mid = (max(rows) + min(rows)) / 2
    xy = {j: (centre[c], -(r - mid) * pitch) for j, (c, r) in pos.items()}
    half = {}
    for node, label in zip(nodes, labels):
        face = _FACE["output" if node.index == 0 else node.kind]
        x, y = xy[node.index]
        w, h = size[node.index][0] / 2 + _PAD_X, size[node.index][1] / 2 + _PAD_Y
        half[node.index] = w
        ax.add_patch(FancyBboxPatch((x - w, y - h), 2 * w, 2 * h,
                                    boxstyle="round,pad=0,rounding_size=0.05", fc=face, ec="0.25",
                                    lw=0.8, zorder=2, gid=f"node-{node.index}"))
        ax.text(x, y, label, ha="center", va="center", fontsize=fontsize,
                color=text_color_for(face), zorder=3)
    for i, j in edges:                                     # j's result is an input of i
        src, dst = (j, i) if direction == "forward" else (i, j)
        (xs, ys), (xd, yd) = xy[src], xy[dst]
        sign = 1 if xd > xs else -1
        start, end = (xs + sign * half[src], ys), (xd - sign * half[dst], yd)
        span = abs(pos[i][0] - pos[j][0])                  # columns the edge crosses
        bend = 0.0 if span == 1 or ys != yd else 0.25      # arc over the boxes in between
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, lw=0.9,
                                     color="0.3", shrinkA=1, shrinkB=1, zorder=1,
                                     connectionstyle=f"arc3,rad={bend}", gid=f"edge-{i}-{j}"))
    return ax
