"""The non-local family: non-local block, compact generalized non-local (CGNL), cross-layer.

Re-exported by :mod:`dlnotes.attention`.  All tensors are NCHW torch tensors.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ._validate import check_int


def non_local_attention(theta, phi, g):
    """Embedded-Gaussian non-local operation ``y_i = Σ_j softmax_j(θ_iᵀ φ_j) g_j``.

    Queries come from ``theta``; keys and values from ``phi`` and ``g``, which may belong to
    another layer of another size (cross-layer non-local).

    Parameters
    ----------
    theta : Tensor, shape (N, C', H1, W1)
    phi : Tensor, shape (N, C', H2, W2)
    g : Tensor, shape (N, C'', H2, W2)

    Returns
    -------
    y : Tensor, shape (N, C'', H1, W1)
    attention : Tensor, shape (N, H1·W1, H2·W2)
        Row ``i`` says how much query position ``i`` takes from each key position.

    Notes
    -----
    Wang, Girshick, Gupta & He, "Non-local Neural Networks", CVPR 2018 (arXiv:1711.07971),
    eqs. 1 and 3.  Unlike transformer attention there is no ``1/√d`` scaling.
    """
    if theta.dim() != 4 or phi.dim() != 4 or g.dim() != 4:
        raise ValueError("theta, phi and g must be 4-D (N, C, H, W), got shapes "
                         f"{tuple(theta.shape)}, {tuple(phi.shape)}, {tuple(g.shape)}")
    if theta.shape[1] != phi.shape[1] or phi.shape[2:] != g.shape[2:] or \
            not theta.shape[0] == phi.shape[0] == g.shape[0]:
        raise ValueError("theta and phi need the same channels, phi and g the same H×W, all the "
                         f"same N; got {tuple(theta.shape)}, {tuple(phi.shape)}, {tuple(g.shape)}")
    n, _, h1, w1 = theta.shape
    q = theta.flatten(2).transpose(1, 2)                           # (N, H1W1, C')
    k = phi.flatten(2)                                             # (N, C', H2W2)
    v = g.flatten(2).transpose(1, 2)                               # (N, H2W2, C'')
    attention = torch.softmax(q @ k, dim=-1)                       # (N, H1W1, H2W2)
    y = (attention @ v).transpose(1, 2)                            # (N, C'', H1W1)
    return y.reshape(n, g.shape[1], h1, w1), attention


class NonLocalBlock(nn.Module):
    """Non-local block (非局部模块), embedded Gaussian version: ``z = BN(W_z y) + x``.

    ``θ, φ, g`` are 1×1 convs to ``inter_channels`` (default ``C/2``); ``W_z`` maps back to
    ``C``; BN's ``γ`` starts at zero so the block starts as the identity (paper Sec. 4.1).
    Input and output ``(N, C, H, W)``.  No sub-sampling of ``φ, g``.
    """

    def __init__(self, channels, inter_channels=None):
        super().__init__()
        c = check_int("channels", channels, 1)
        ci = max(1, c // 2) if inter_channels is None else check_int("inter_channels", inter_channels, 1)
        self.theta = nn.Conv2d(c, ci, 1)
        self.phi = nn.Conv2d(c, ci, 1)
        self.g = nn.Conv2d(c, ci, 1)
        self.w_z = nn.Conv2d(ci, c, 1)
        self.bn = nn.BatchNorm2d(c)
        nn.init.zeros_(self.bn.weight)

    def attention(self, x):
        """``(N, HW, HW)`` attention map of ``x``."""
        return non_local_attention(self.theta(x), self.phi(x), self.g(x))[1]

    def forward(self, x):
        y, _ = non_local_attention(self.theta(x), self.phi(x), self.g(x))  # (N, C', H, W)
        return self.bn(self.w_z(y)) + x                            # (N, C, H, W)


def cgnl_dot_product(t, p, g, groups=1, use_scale=False):
    """Compact generalized non-local with the dot-product kernel, computed compactly.

    Every channel-position ``(c, i)`` of a group attends to every ``(c', j)`` of the same
    group: ``y = vec(t) · (vec(p)ᵀ vec(g))``.  Evaluating ``vec(p)ᵀ vec(g)`` first gives one
    scalar per sample and group, so the ``(C'HW)²`` kernel matrix is never built.

    Parameters
    ----------
    t, p, g : Tensor, shape (N, C', H, W)
        Outputs of the ``θ, φ, g`` 1×1 convs.
    groups : int
        Channel groups (must divide ``C'``).
    use_scale : bool
        Divide the kernel by ``√(C'/G · H · W)``.

    Returns
    -------
    Tensor, shape (N, C', H, W)

    Notes
    -----
    Yue et al., "Compact Generalized Non-local Network", NeurIPS 2018 (arXiv:1810.13125),
    eqs. 4-6 with the linear kernel; identical to the authors' ``kernel`` method quoted in
    note 004.  The paper's Gaussian/RBF kernels (Taylor expansion) are not implemented.
    """
    n, c = t.shape[:2]
    grp = check_int("groups", groups, 1)
    if c % grp:
        raise ValueError(f"channels {c} must be divisible by groups={grp}")
    m = t[0].numel() // grp                                        # C'/G · H · W
    att = p.reshape(n * grp, 1, m) @ g.reshape(n * grp, m, 1)      # (N·G, 1, 1)  one scalar each
    if use_scale:
        att = att / math.sqrt(m)
    return (att @ t.reshape(n * grp, 1, m)).reshape(t.shape)       # (N, C', H, W)


def cgnl_dot_product_naive(t, p, g, groups=1, use_scale=False):
    """Same as :func:`cgnl_dot_product`, building the full ``(C'HW/G)²`` kernel matrix (tests)."""
    n, c = t.shape[:2]
    out = []
    for tt, pp, gg in zip(t.chunk(groups, 1), p.chunk(groups, 1), g.chunk(groups, 1)):
        m = tt[0].numel()
        kernel = tt.reshape(n, m, 1) @ pp.reshape(n, 1, m)         # (N, m, m)
        if use_scale:
            kernel = kernel / math.sqrt(m)
        out.append((kernel @ gg.reshape(n, m, 1)).reshape(tt.shape))  # (N, C'/G, H, W)
    return torch.cat(out, dim=1)


class CGNLBlock(nn.Module):
    """Compact generalized non-local block (紧凑广义非局部模块): ``GN(W_z y) + x``.

    ``θ, φ, g`` are bias-free 1×1 convs to ``planes`` channels (default ``C/2``); ``W_z`` is a
    grouped bias-free 1×1 conv back to ``C``, followed by GroupNorm, as in the authors' code.
    """

    def __init__(self, channels, planes=None, groups=1, use_scale=False):
        super().__init__()
        c = check_int("channels", channels, 1)
        planes = max(1, c // 2) if planes is None else check_int("planes", planes, 1)
        grp = check_int("groups", groups, 1)
        if c % grp or planes % grp:
            raise ValueError(f"channels={c} and planes={planes} must both be divisible by groups={grp}")
        self.groups, self.use_scale = grp, use_scale
        self.t = nn.Conv2d(c, planes, 1, bias=False)
        self.p = nn.Conv2d(c, planes, 1, bias=False)
        self.g = nn.Conv2d(c, planes, 1, bias=False)
        self.z = nn.Conv2d(planes, c, 1, groups=grp, bias=False)
        self.gn = nn.GroupNorm(grp, c)

    def forward(self, x):
        y = cgnl_dot_product(self.t(x), self.p(x), self.g(x), self.groups, self.use_scale)
        return self.gn(self.z(y)) + x                              # (N, C, H, W)


class CrossLayerNonLocal(nn.Module):
    """Cross-layer non-local: queries from one layer, keys/values from another.

    ``query`` ``(N, C1, H1, W1)`` (e.g. a deep, coarse layer) attends over every position of
    ``key`` ``(N, C2, H2, W2)`` (e.g. a shallow, fine layer).  1×1 convs bring both to
    ``inter_channels``; the result is mapped back to ``C1`` and added to ``query``.
    This is the corrected version of note 004's snippet.

    Returns ``(N, C1, H1, W1)``; :meth:`attention` returns the ``(N, H1W1, H2W2)`` map.
    """

    def __init__(self, query_channels, key_channels, inter_channels=None):
        super().__init__()
        c1 = check_int("query_channels", query_channels, 1)
        c2 = check_int("key_channels", key_channels, 1)
        ci = max(1, min(c1, c2) // 2) if inter_channels is None else check_int("inter_channels", inter_channels, 1)
        self.query_conv = nn.Conv2d(c1, ci, 1)
        self.key_conv = nn.Conv2d(c2, ci, 1)
        self.value_conv = nn.Conv2d(c2, ci, 1)
        self.out_conv = nn.Conv2d(ci, c1, 1)

    def attention(self, query, key):
        return non_local_attention(self.query_conv(query), self.key_conv(key), self.value_conv(key))[1]

    def forward(self, query, key):
        y, _ = non_local_attention(self.query_conv(query), self.key_conv(key),
                                   self.value_conv(key))          # (N, C', H1, W1)
        return self.out_conv(y) + query                            # (N, C1, H1, W1)
