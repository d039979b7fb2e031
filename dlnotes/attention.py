"""Attention from scratch in torch: scaled dot-product, multi-head, SE, CBAM, non-local.

Functions hold the algorithms; the ``nn.Module`` classes only own parameters and call
them.  Two boolean-mask conventions exist in torch and both are mirrored here:

- :func:`scaled_dot_product_attention` -- ``mask`` True = *may attend* (as
  ``F.scaled_dot_product_attention``'s ``attn_mask``);
- :func:`multi_head_attention` -- ``attn_mask`` True = *may NOT attend* (as
  ``nn.MultiheadAttention``'s ``attn_mask`` and ``key_padding_mask``).

The non-local family (non-local block, CGNL, cross-layer non-local) lives in
``_nonlocal.py``, the drawing (attention overlays, block diagrams) in ``_attention_plot.py``;
both are re-exported here.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ._attention_plot import attention_block_shapes, draw_attention_block, overlay_attention  # noqa: F401
from ._nonlocal import (CGNLBlock, CrossLayerNonLocal, NonLocalBlock, cgnl_dot_product,  # noqa: F401
                        cgnl_dot_product_naive, non_local_attention)
from ._validate import check_int

__all__ = [
    "attention_weights", "scaled_dot_product_attention", "causal_mask", "padding_mask",
    "multi_head_attention", "se_weights", "channel_attention", "channel_pool", "spatial_attention",
    "SEBlock", "ChannelAttention", "SpatialAttention", "CBAM",
    "non_local_attention", "NonLocalBlock", "cgnl_dot_product", "cgnl_dot_product_naive",
    "CGNLBlock", "CrossLayerNonLocal", "attention_costs", "overlay_attention",
    "attention_block_shapes", "draw_attention_block",
]


def _check_tensor(name, t, min_ndim):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dim() < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {tuple(t.shape)}")
    return t


def attention_weights(q, k, mask=None):
    """Softmax attention weights ``softmax(q kᵀ / √d)`` with an optional boolean mask.

    Parameters
    ----------
    q : Tensor, shape (..., L, d)
    k : Tensor, shape (..., S, d)
    mask : bool Tensor broadcastable to (..., L, S), optional
        True where query ``i`` **may** attend to key ``j``.  A float mask is *added* to the
        scores instead (``-inf`` forbids).

    Returns
    -------
    Tensor, shape (..., L, S)
        Rows that may attend to nothing are all zeros (as ``F.scaled_dot_product_attention``
        in torch >= 2.5), not NaN.
    """
    _check_tensor("q", q, 2)
    _check_tensor("k", k, 2)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same last dimension d, got {q.shape[-1]} and "
                         f"{k.shape[-1]}")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])     # (..., L, S)
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask
    weights = torch.softmax(scores, dim=-1)                        # (..., L, S)
    return torch.nan_to_num(weights, nan=0.0)                      # fully masked rows -> 0


def scaled_dot_product_attention(q, k, v, mask=None):
    """Scaled dot-product attention (缩放点积注意力), as ``F.scaled_dot_product_attention``.

    .. math:: \\operatorname{Attention}(Q, K, V) = \\operatorname{softmax}\\!\\left(\\frac{QK^\\top}{\\sqrt{d_k}}\\right) V

    Parameters
    ----------
    q : Tensor, shape (..., L, d)
    k : Tensor, shape (..., S, d)
    v : Tensor, shape (..., S, d_v)
    mask : bool or float Tensor broadcastable to (..., L, S), optional
        Boolean: True = **may attend** (torch's SDPA convention).  Float: added to the scores.

    Returns
    -------
    Tensor, shape (..., L, d_v)

    Notes
    -----
    Vaswani et al., "Attention Is All You Need", NeurIPS 2017 (arXiv:1706.03762), eq. 1.
    No dropout and no ``is_causal`` flag: build the mask with :func:`causal_mask`.
    """
    _check_tensor("v", v, 2)
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same number of keys S, got {k.shape[-2]} and "
                         f"{v.shape[-2]}")
    return attention_weights(q, k, mask) @ v                       # (..., L, d_v)


def causal_mask(length, source_length=None, device=None):
    """Boolean ``(L, S)`` mask, True = may attend: query ``i`` sees keys ``j <= i``.

    Same as ``F.scaled_dot_product_attention(..., is_causal=True)`` (top-left aligned).
    """
    length = check_int("length", length, 1)
    source_length = length if source_length is None else check_int("source_length", source_length, 1)
    return torch.ones(length, source_length, dtype=torch.bool, device=device).tril()


def padding_mask(lengths, max_length):
    """Boolean ``(N, 1, S)`` mask, True = real token (may attend), from sequence lengths.

    ``~padding_mask(...)[:, 0]`` is ``nn.MultiheadAttention``'s ``key_padding_mask`` (True = pad).
    """
    lengths = torch.as_tensor(lengths)
    max_length = check_int("max_length", max_length, 1)
    if lengths.dim() != 1 or (lengths < 0).any() or (lengths > max_length).any():
        raise ValueError(f"lengths must be a 1-D sequence of values in [0, {max_length}], got {lengths.tolist()}")
    return (torch.arange(max_length) < lengths[:, None])[:, None, :]


def multi_head_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                         out_proj_weight, out_proj_bias, attn_mask=None):
    """Multi-head attention (多头注意力), batch first, equal to ``nn.MultiheadAttention``.

    Each of the ``h`` heads attends in its own ``E/h``-dimensional sub-space:

    .. math:: \\operatorname{MHA}(Q,K,V) = [\\text{head}_1, \\dots, \\text{head}_h] W^O,\\quad
              \\text{head}_i = \\operatorname{Attention}(Q W_i^Q, K W_i^K, V W_i^V)

    Parameters
    ----------
    query : Tensor, shape (N, L, E)
    key, value : Tensor, shape (N, S, E)
    num_heads : int
        Must divide ``E``.
    in_proj_weight : Tensor, shape (3E, E)
        ``[W^Q; W^K; W^V]`` stacked as in ``nn.MultiheadAttention.in_proj_weight``.
    in_proj_bias : Tensor, shape (3E,) or None
    out_proj_weight : Tensor, shape (E, E)
    out_proj_bias : Tensor, shape (E,) or None
    attn_mask : bool Tensor, shape (L, S) or (N·h, L, S), optional
        True = **may NOT attend** (``nn.MultiheadAttention``'s convention, the opposite of
        :func:`scaled_dot_product_attention`'s).  A float mask is added to the scores.

    Returns
    -------
    output : Tensor, shape (N, L, E)
    weights : Tensor, shape (N, L, S)
        Attention weights averaged over the heads (``average_attn_weights=True``).
        Fully masked rows are NaN, as in torch.

    Raises
    ------
    ValueError
        ``E`` not divisible by ``num_heads`` (torch: "embed_dim must be divisible by
        num_heads"), or shapes that do not fit.

    Notes
    -----
    Vaswani et al. 2017 (arXiv:1706.03762), Sec. 3.2.2.  No dropout, no ``add_bias_kv``,
    no separate k/v dimensions and no ``key_padding_mask`` argument: fold padding into a
    ``(N·h, L, S)`` ``attn_mask`` instead.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_tensor(name, t, 3)
        if t.dim() != 3:
            raise ValueError(f"{name} must be (N, L, E) (batch first), got shape {tuple(t.shape)}")
    n, length, e = query.shape
    h = check_int("num_heads", num_heads, 1)
    if e % h:
        raise ValueError(f"embed_dim must be divisible by num_heads, got embed_dim={e} and "
                         f"num_heads={h}; pick num_heads among the divisors of {e}")
    if key.shape[-1] != e or value.shape[-1] != e or key.shape[:2] != value.shape[:2]:
        raise ValueError(f"key and value must be (N, S, E={e}) with the same S, got "
                         f"{tuple(key.shape)} and {tuple(value.shape)}")
    if tuple(in_proj_weight.shape) != (3 * e, e):
        raise ValueError(f"in_proj_weight must be (3E, E) = ({3 * e}, {e}), got {tuple(in_proj_weight.shape)}")
    s, d = key.shape[1], e // h
    w_q, w_k, w_v = in_proj_weight.chunk(3)                        # 3 x (E, E)
    b_q, b_k, b_v = in_proj_bias.chunk(3) if in_proj_bias is not None else (None,) * 3
    q = F.linear(query, w_q, b_q)                                  # (N, L, E)
    k = F.linear(key, w_k, b_k)                                    # (N, S, E)
    v = F.linear(value, w_v, b_v)                                  # (N, S, E)
    q = q.view(n, length, h, d).transpose(1, 2)                    # (N, h, L, d)
    k = k.view(n, s, h, d).transpose(1, 2)                         # (N, h, S, d)
    v = v.view(n, s, h, d).transpose(1, 2)                         # (N, h, S, d)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)                # (N, h, L, S)
    if attn_mask is not None:
        if attn_mask.dim() == 3:
            attn_mask = attn_mask.view(n, h, length, s)
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(attn_mask, float("-inf"))  # True = NOT allowed
        else:
            scores = scores + attn_mask
    weights = torch.softmax(scores, dim=-1)                        # (N, h, L, S)
    heads = weights @ v                                            # (N, h, L, d)
    concat = heads.transpose(1, 2).reshape(n, length, e)           # (N, L, E)
    return F.linear(concat, out_proj_weight, out_proj_bias), weights.mean(dim=1)


# ----------------------------------------------------------------- CV attention
def se_weights(x, fc1_weight, fc1_bias, fc2_weight, fc2_bias):
    """Squeeze-and-excitation channel weights ``σ(W₂ ReLU(W₁ GAP(x)))``.

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W)
    fc1_weight : Tensor, shape (C/r, C); fc1_bias : (C/r,) or None
    fc2_weight : Tensor, shape (C, C/r); fc2_bias : (C,) or None

    Returns
    -------
    Tensor, shape (N, C, 1, 1), values in (0, 1)

    Notes
    -----
    Hu, Shen & Sun, "Squeeze-and-Excitation Networks", CVPR 2018 (arXiv:1709.01507), eqs. 2-3.
    """
    squeezed = x.mean(dim=(2, 3))                                  # (N, C)  squeeze
    hidden = F.relu(F.linear(squeezed, fc1_weight, fc1_bias))      # (N, C/r)
    return torch.sigmoid(F.linear(hidden, fc2_weight, fc2_bias))[:, :, None, None]  # (N, C, 1, 1)


def channel_attention(x, fc1_weight, fc1_bias, fc2_weight, fc2_bias):
    """CBAM channel attention ``σ(MLP(AvgPool(x)) + MLP(MaxPool(x)))`` with a shared MLP.

    Shapes as :func:`se_weights`; returns ``(N, C, 1, 1)`` in (0, 1).
    Woo et al., "CBAM", ECCV 2018 (arXiv:1807.06521), eq. 2.
    """
    def mlp(z):                                                    # (N, C) -> (N, C)
        return F.linear(F.relu(F.linear(z, fc1_weight, fc1_bias)), fc2_weight, fc2_bias)

    avg = x.mean(dim=(2, 3))                                       # (N, C)
    mx = x.amax(dim=(2, 3))                                        # (N, C)
    return torch.sigmoid(mlp(avg) + mlp(mx))[:, :, None, None]     # (N, C, 1, 1)


def channel_pool(x):
    """CBAM's channel pooling ``[AvgPool_c(x); MaxPool_c(x)]``: ``(N, C, H, W) -> (N, 2, H, W)``.

    Mean first, then max, as in eq. 3 of the paper (the official code's ``ChannelPool``
    stacks max first; the order only permutes the two input channels of the 7×7 conv).
    """
    _check_tensor("x", x, 4)
    return torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)  # (N, 2, H, W)


def spatial_attention(x, weight, bias=None):
    """CBAM spatial attention ``σ(f^{k×k}([AvgPool_c(x); MaxPool_c(x)]))``.

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W)
    weight : Tensor, shape (1, 2, k, k), k odd
    bias : Tensor, shape (1,), optional

    Returns
    -------
    Tensor, shape (N, 1, H, W), values in (0, 1)

    Notes
    -----
    Woo et al. 2018 (arXiv:1807.06521), eq. 3: a 7×7 convolution (their Table 3 finds
    7×7 better than 3×3), with "same" padding ``k // 2``.
    """
    pooled = channel_pool(x)                                       # (N, 2, H, W)
    return torch.sigmoid(F.conv2d(pooled, weight, bias, padding=weight.shape[-1] // 2))  # (N, 1, H, W)


def _hidden_channels(channels, reduction):
    c = check_int("channels", channels, 1)
    r = check_int("reduction", reduction, 1)
    if c // r < 1:
        raise ValueError(f"channels // reduction must be >= 1, got channels={c}, reduction={r}; "
                         f"use reduction <= {c}")
    return c, c // r


class SEBlock(nn.Module):
    """Squeeze-and-excitation block (挤压-激励模块): ``x * se_weights(x)``.

    Same parameters as ``torchvision.ops.SqueezeExcitation(C, C // reduction)`` (whose 1×1
    convs are these linear layers).  Input and output ``(N, C, H, W)``.
    """

    def __init__(self, channels, reduction=16):
        super().__init__()
        c, hidden = _hidden_channels(channels, reduction)
        self.fc1 = nn.Linear(c, hidden)
        self.fc2 = nn.Linear(hidden, c)

    def weights(self, x):                                          # (N, C, 1, 1)
        return se_weights(x, self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias)

    def forward(self, x):
        return x * self.weights(x)                                 # (N, C, H, W)


class ChannelAttention(nn.Module):
    """CBAM channel attention map ``M_c``: ``(N, C, H, W) -> (N, C, 1, 1)`` in [0, 1]."""

    def __init__(self, channels, reduction=16):
        super().__init__()
        c, hidden = _hidden_channels(channels, reduction)
        self.fc1 = nn.Linear(c, hidden)
        self.fc2 = nn.Linear(hidden, c)

    def forward(self, x):
        return channel_attention(x, self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias)


class SpatialAttention(nn.Module):
    """CBAM spatial attention map ``M_s``: ``(N, C, H, W) -> (N, 1, H, W)`` in [0, 1].

    Parameters
    ----------
    kernel_size : int
        Odd side of the convolution over the 2 pooled channels (7 in the paper).
    batch_norm : bool
        Put a one-channel ``BatchNorm2d`` between the convolution and the sigmoid, as the
        official code does (``BasicConv(2, 1, 7, relu=False)``: ``eps=1e-5, momentum=0.01``).
        Eq. 3 of the paper has none, hence the default False (then :func:`spatial_attention`).

    Notes
    -----
    The convolution has no bias, in both the paper and the official code.  Without the BN a
    trained gate may saturate at 1 everywhere (chapter 11 shows it on the digits); with it the
    map's pre-activations are standardised over the batch and positions before the sigmoid.
    """

    def __init__(self, kernel_size=7, batch_norm=False):
        super().__init__()
        k = check_int("kernel_size", kernel_size, 1)
        if k % 2 == 0:
            raise ValueError(f"kernel_size must be odd so the map keeps its size, got {k}")
        if not isinstance(batch_norm, bool):
            raise TypeError(f"batch_norm must be True or False, got {batch_norm!r}")
        self.conv = nn.Conv2d(2, 1, k, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(1, eps=1e-5, momentum=0.01) if batch_norm else None

    def forward(self, x):
        if self.bn is None:
            return spatial_attention(x, self.conv.weight, self.conv.bias)
        return torch.sigmoid(self.bn(self.conv(channel_pool(x))))  # (N, 1, H, W)


class CBAM(nn.Module):
    """Convolutional block attention module: ``F' = M_c(F)·F``, then ``F'' = M_s(F')·F'``.

    Woo et al. 2018 (arXiv:1807.06521), eq. 1 (channel first, then spatial).
    ``batch_norm`` is passed to :class:`SpatialAttention`.
    """

    def __init__(self, channels, reduction=16, kernel_size=7, batch_norm=False):
        super().__init__()
        self.channel = ChannelAttention(channels, reduction)
        self.spatial = SpatialAttention(kernel_size, batch_norm)

    def forward(self, x):
        x = x * self.channel(x)                                    # (N, C, H, W)
        return x * self.spatial(x)                                 # (N, C, H, W)


def attention_costs(channels, height, width, reduction=16, kernel_size=7, groups=1,
                    inter_channels=None):
    """Parameters and multiply-accumulates (MACs) of each CV attention module.

    Counts the weights of :class:`SEBlock`, :class:`ChannelAttention`,
    :class:`SpatialAttention`, :class:`CBAM`, :class:`NonLocalBlock` (without its BN),
    :class:`CGNLBlock` (without its GN) and the MACs of their matrix products and
    convolutions -- the part ``torch.utils.flop_counter.FlopCounterMode`` counts (it reports
    2 FLOPs per MAC and ignores pooling, softmax and element-wise products).

    Returns
    -------
    dict
        ``{name: {"params": int, "macs": int}}``.
    """
    c, hidden = _hidden_channels(channels, reduction)
    hw = check_int("height", height, 1) * check_int("width", width, 1)
    k = check_int("kernel_size", kernel_size, 1)
    ci = c // 2 if inter_channels is None else check_int("inter_channels", inter_channels, 1)
    mlp = 2 * c * hidden + hidden + c
    se = {"params": mlp, "macs": 2 * c * hidden}
    ca = {"params": mlp, "macs": 2 * (2 * c * hidden)}             # the MLP runs twice
    sa = {"params": 2 * k * k, "macs": 2 * k * k * hw}
    nl = {"params": 3 * (c * ci + ci) + ci * c + c,                # θ, φ, g and W_z (with biases)
          "macs": 3 * c * ci * hw + 2 * hw * hw * ci + ci * c * hw}
    cg = {"params": 3 * c * ci + ci * c // groups,                 # t, p, g, z without biases
          "macs": 3 * c * ci * hw + 2 * ci * hw + ci * c // groups * hw}
    return {"SE": se, "ChannelAttention": ca, "SpatialAttention": sa,
            "CBAM": {"params": ca["params"] + sa["params"], "macs": ca["macs"] + sa["macs"]},
            "NonLocal": nl, "CGNL": cg}
