"""Drawing for the attention chapter: attention overlays and block diagrams with shapes.

Re-exported by :mod:`dlnotes.attention`.  The diagrams of the SE, CBAM, non-local and CGNL
blocks are drawn from :func:`attention_block_shapes`, whose shapes the tests compare with the
tensors of the real modules -- the figures are computed, not drawn by hand.
"""
from __future__ import annotations

from ._validate import check_choice, check_int

BLOCKS = ("se", "cbam", "nonlocal", "cgnl")


def overlay_attention(image, attention, ax=None, title=None, alpha=0.5, cmap="jet"):
    """Draw an ``(H, W)`` attention map (any size) over an ``(H, W[, 3])`` image.

    The map is stretched to the image with nearest-neighbour blocks.  Returns the axes.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    image = np.asarray(image)
    att = np.asarray(attention, dtype=float)
    if att.ndim != 2:
        raise ValueError(f"attention must be 2-D (H, W), got shape {att.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3))
    h, w = image.shape[:2]
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    ax.imshow(att, cmap=cmap, alpha=alpha, extent=(-0.5, w - 0.5, h - 0.5, -0.5),
              interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def attention_block_shapes(kind, batch=1, channels=64, height=14, width=14, reduction=16,
                           inter_channels=None, groups=1):
    """The tensors a block computes, in order, with their shapes.

    Parameters
    ----------
    kind : {"se", "cbam", "nonlocal", "cgnl"}
        :class:`~dlnotes.attention.SEBlock`, :class:`~dlnotes.attention.CBAM`,
        :class:`~dlnotes.attention.NonLocalBlock` or :class:`~dlnotes.attention.CGNLBlock`.
    batch, channels, height, width : int
        ``(N, C, H, W)`` of the input.
    reduction : int
        ``r`` of the SE/CBAM bottleneck ``C -> C/r -> C``.
    inter_channels : int, optional
        ``C'`` of the non-local/CGNL projections (default ``C/2``, as the modules).
    groups : int
        CGNL channel groups ``G`` (must divide ``C'``).

    Returns
    -------
    dict
        ``{tensor name: shape tuple}`` in computation order.  Symbols: ``C'`` = inter
        channels, ``HW`` = ``H·W``.

    Raises
    ------
    ValueError
        Unknown ``kind``, sizes < 1, ``C // r < 1`` or ``G`` not dividing ``C'``.
    """
    check_choice("kind", kind, BLOCKS)
    n, c = check_int("batch", batch, 1), check_int("channels", channels, 1)
    h, w = check_int("height", height, 1), check_int("width", width, 1)
    r = check_int("reduction", reduction, 1)
    ci = max(1, c // 2) if inter_channels is None else check_int("inter_channels", inter_channels, 1)
    hw = h * w
    if kind in ("se", "cbam"):
        if c // r < 1:
            raise ValueError(f"channels // reduction must be >= 1, got channels={c}, reduction={r}")
        hidden = c // r
    if kind == "se":
        return {"x": (n, c, h, w), "squeeze": (n, c), "hidden": (n, hidden),
                "weights": (n, c, 1, 1), "output": (n, c, h, w)}
    if kind == "cbam":
        return {"F": (n, c, h, w), "avg": (n, c), "max": (n, c), "hidden": (n, hidden),
                "M_c": (n, c, 1, 1), "F'": (n, c, h, w), "pooled": (n, 2, h, w),
                "M_s": (n, 1, h, w), "F''": (n, c, h, w)}
    if kind == "nonlocal":
        return {"x": (n, c, h, w), "theta": (n, ci, h, w), "queries": (n, hw, ci),
                "keys": (n, ci, hw), "values": (n, hw, ci), "attention": (n, hw, hw),
                "y": (n, hw, ci), "y_map": (n, ci, h, w), "z": (n, c, h, w)}
    g = check_int("groups", groups, 1)
    if ci % g:
        raise ValueError(f"groups={g} must divide inter_channels={ci}")
    m = ci // g * hw
    return {"x": (n, c, h, w), "t": (n, ci, h, w), "t_vec": (n * g, 1, m), "p_vec": (n * g, 1, m),
            "g_vec": (n * g, m, 1), "pg": (n * g, 1, 1), "y": (n, ci, h, w), "z": (n, c, h, w)}


def draw_attention_block(kind, ax=None, fontsize=8, **sizes):
    """Draw the block diagram of an attention block, each tensor labelled with its shape.

    Parameters
    ----------
    kind : {"se", "cbam", "nonlocal", "cgnl"}
    ax : matplotlib Axes, optional
        A new 7.8 × 3.3 in figure when None.
    fontsize : float
        Size of every label, in points (8 is legible on the site at up to 7.84 in wide).
    **sizes
        ``batch, channels, height, width, reduction, inter_channels, groups`` as in
        :func:`attention_block_shapes`; the shapes drawn are its numbers.

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        As :func:`attention_block_shapes`.

    Notes
    -----
    After Hu et al. 2018 (SE, Fig. 1), Woo et al. 2018 (CBAM, Figs. 1-2), Wang et al. 2018
    (non-local, Fig. 2) and Yue et al. 2018 (CGNL, Fig. 2).  Operations are grey boxes,
    tensors white boxes with their shape, ⊗ an element-wise product (broadcast over the
    axes of size 1), ⊕ the residual sum.
    """
    import matplotlib.pyplot as plt

    shapes = attention_block_shapes(kind, **sizes)
    s = {k: "(" + ", ".join(str(v) for v in shape) + ")" for k, shape in shapes.items()}
    if ax is None:
        _, ax = plt.subplots(figsize=(7.8, 3.3))
    ax.set_axis_off()
    nodes = {}

    def tensor(key, xy, label):
        nodes[key] = ax.text(*xy, f"{label}\n{s[key]}" if key in s else label, ha="center",
                             va="center", fontsize=fontsize,
                             bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#333333", lw=0.8))

    def op(key, xy, label, color="#dddddd"):
        nodes[key] = ax.text(*xy, label, ha="center", va="center", fontsize=fontsize,
                             bbox=dict(boxstyle="square,pad=0.35", fc=color, ec="#555555", lw=0.8))

    def joint(key, xy, symbol):
        nodes[key] = ax.text(*xy, symbol, ha="center", va="center", fontsize=fontsize + 3,
                             bbox=dict(boxstyle="circle,pad=0.1", fc="white", ec="#333333", lw=0.8))

    def arrow(a, b):
        pa, pb = nodes[a], nodes[b]
        ax.annotate("", xy=(0.5, 0.5), xycoords=pb, xytext=(0.5, 0.5), textcoords=pa,
                    arrowprops=dict(arrowstyle="-|>", color="#333333", lw=0.9, shrinkA=1, shrinkB=1,
                                    patchA=pa.get_bbox_patch(), patchB=pb.get_bbox_patch()))

    def skip(node_from, points, node_to):
        """Residual/skip line: from a node through data points, arrow into another node."""
        xs, ys = zip(*points)
        start = nodes[node_from].get_position()
        ax.plot((start[0],) + xs, (start[1],) + ys, color="#333333", lw=0.9, zorder=1)
        pb = nodes[node_to]
        ax.annotate("", xy=(0.5, 0.5), xycoords=pb, xytext=points[-1], textcoords="data",
                    arrowprops=dict(arrowstyle="-|>", color="#333333", lw=0.9, shrinkA=0, shrinkB=1,
                                    patchB=pb.get_bbox_patch()))

    if kind == "se":
        ax.set(xlim=(-0.8, 9.8), ylim=(-1.5, 1.2))
        tensor("x", (0, 0), "x")
        op("gap", (1.8, 0), "squeeze:\nglobal avg pool")
        tensor("squeeze", (3.4, 0), "z")
        op("fc1", (3.7, -1.0), "FC C→C/r\n+ ReLU")
        tensor("hidden", (5.1, -1.0), "hidden")
        op("fc2", (6.6, -1.0), "FC C/r→C\n+ sigmoid")
        tensor("weights", (6.9, 0), "weights")
        joint("mul", (8.0, 0), "⊗")
        tensor("output", (9.05, 0), "out")
        for a, b in (("x", "gap"), ("gap", "squeeze"), ("squeeze", "fc1"), ("fc1", "hidden"),
                     ("hidden", "fc2"), ("fc2", "weights"), ("weights", "mul"), ("mul", "output")):
            arrow(a, b)
        skip("x", [(0, 0.8), (8.0, 0.8)], "mul")
        ax.set_title("SE block: squeeze, excitation (two FC layers), scale", fontsize=fontsize + 1)
    elif kind == "cbam":
        ax.set(xlim=(-0.8, 10.7), ylim=(-2.6, 1.8))
        tensor("F", (0, 0.5), "F")
        op("pool_c", (1.8, 0.5), "avg & max\npool over H, W")
        tensor("avg", (3.5, 0.5), "2 vectors")
        op("mlp", (5.2, 0.5), f"shared MLP C→C/r→C\nhidden {s['hidden']}, add, σ")
        tensor("M_c", (6.95, 0.5), "M_c")
        joint("mul1", (8.05, 0.5), "⊗")
        tensor("F'", (9.2, 0.5), "F'")
        op("pool_s", (9.2, -1.2), "mean & max\nover channels")
        tensor("pooled", (7.3, -1.2), "pooled")
        op("conv", (5.5, -1.2), "7×7 conv\n(+BN), σ")
        tensor("M_s", (3.75, -1.2), "M_s")
        joint("mul2", (2.4, -1.2), "⊗")
        tensor("F''", (0.8, -1.2), "F''")
        for a, b in (("F", "pool_c"), ("pool_c", "avg"), ("avg", "mlp"), ("mlp", "M_c"),
                     ("M_c", "mul1"), ("mul1", "F'"), ("F'", "pool_s"), ("pool_s", "pooled"),
                     ("pooled", "conv"), ("conv", "M_s"), ("M_s", "mul2"), ("mul2", "F''")):
            arrow(a, b)
        skip("F", [(0, 1.3), (8.05, 1.3)], "mul1")
        skip("F'", [(10.5, 0.5), (10.5, -2.2), (2.4, -2.2)], "mul2")
        ax.set_title("CBAM: channel attention M_c, then spatial attention M_s", fontsize=fontsize + 1)
    elif kind == "nonlocal":
        ax.set(xlim=(-0.8, 10.0), ylim=(-2.4, 1.9))
        tensor("x", (0, 0), "x")
        op("theta_op", (1.65, 1.2), f"θ: 1×1 conv\n{s['theta']}")
        op("phi_op", (1.65, 0), f"φ: 1×1 conv\n{s['theta']}")
        op("g_op", (1.65, -1.2), f"g: 1×1 conv\n{s['theta']}")
        tensor("queries", (3.4, 1.2), "θ reshaped")
        tensor("keys", (3.4, 0), "φ reshaped")
        tensor("values", (3.4, -1.2), "g reshaped")
        op("mm1", (5.1, 0.6), "θ φ (matmul)\n+ softmax")
        tensor("attention", (5.1, -0.45), "attention")
        op("mm2", (6.65, -1.2), "matmul")
        tensor("y", (6.65, 0.3), "y")
        op("wz", (8.45, 0.3), f"reshape to\n{s['y_map']},\nW_z 1×1 conv, BN")
        joint("add", (8.45, -1.95), "⊕")
        tensor("z", (9.45, -1.95), "z")
        for a, b in (("x", "theta_op"), ("x", "phi_op"), ("x", "g_op"), ("theta_op", "queries"),
                     ("phi_op", "keys"), ("g_op", "values"), ("queries", "mm1"), ("keys", "mm1"),
                     ("mm1", "attention"), ("attention", "mm2"), ("values", "mm2"), ("mm2", "y"),
                     ("y", "wz"), ("wz", "add"), ("add", "z")):
            arrow(a, b)
        skip("x", [(0, -1.95), (7.8, -1.95)], "add")
        ax.set_title(f"Non-local block (embedded Gaussian): C' = {shapes['theta'][1]}, "
                     f"HW = {shapes['attention'][1]}", fontsize=fontsize + 1)
    else:
        ax.set(xlim=(-0.8, 10.0), ylim=(-2.4, 1.9))
        tensor("x", (0, 0), "x")
        op("t_op", (1.6, 1.2), f"t: 1×1 conv\n{s['t']}")
        op("p_op", (1.6, 0), f"p: 1×1 conv\n{s['t']}")
        op("g_op", (1.6, -1.2), f"g: 1×1 conv\n{s['t']}")
        tensor("t_vec", (3.35, 1.2), "t per group")
        tensor("p_vec", (3.35, 0), "p per group")
        tensor("g_vec", (3.35, -1.2), "g per group")
        op("dot", (5.05, -0.6), "p · g\n(matmul)")
        tensor("pg", (5.05, 0.45), "one number")
        op("scale", (6.65, 1.2), "× t")
        tensor("y", (6.65, -0.2), "y")
        op("z_op", (8.3, -0.2), "grouped 1×1\nconv + GN")
        joint("add", (8.3, -1.95), "⊕")
        tensor("z", (9.4, -1.95), "z")
        for a, b in (("x", "t_op"), ("x", "p_op"), ("x", "g_op"), ("t_op", "t_vec"),
                     ("p_op", "p_vec"), ("g_op", "g_vec"), ("p_vec", "dot"), ("g_vec", "dot"),
                     ("dot", "pg"), ("pg", "scale"), ("t_vec", "scale"), ("scale", "y"),
                     ("y", "z_op"), ("z_op", "add"), ("add", "z")):
            arrow(a, b)
        skip("x", [(0, -1.95), (7.8, -1.95)], "add")
        groups = shapes["t_vec"][0] // shapes["x"][0]
        ax.set_title(f"CGNL block, dot-product kernel: y = t (pᵀg) per group, G = {groups}",
                     fontsize=fontsize + 1)
    return ax
