"""Deformable convolution v1 and modulated v2 (可变形卷积), re-exported by :mod:`dlnotes.conv`.

Every kernel tap of every output position samples the input at its regular grid
position plus a learned, fractional offset (bilinear interpolation); DCNv2 also
multiplies each sample by a learned mask in [0, 1].
"""
from __future__ import annotations

import numpy as np

from ._validate import pair
from .conv import conv_output_size

__all__ = ["deform_conv2d", "deform_sampling_points", "bilinear_sample"]


def bilinear_sample(img, y, x):
    """Sample ``img`` at fractional positions, zero outside (torchvision's rule).

    Parameters
    ----------
    img : ndarray, shape (..., H, W)
    y, x : ndarray, same shape ``S``
        Row and column coordinates (pixel indices).

    Returns
    -------
    ndarray, shape (..., *S)
        A point with ``y <= -1``, ``y >= H``, ``x <= -1`` or ``x >= W`` gives 0; otherwise
        the four neighbours that lie inside the image are blended.
    """
    img = np.asarray(img)
    h, w = img.shape[-2:]
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    valid = (y > -1) & (y < h) & (x > -1) & (x < w)
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    ly, lx = y - y0, x - x0
    out = 0.0
    flat = img.reshape(*img.shape[:-2], h * w)
    for dy, wy in ((0, 1 - ly), (1, ly)):
        for dx, wx in ((0, 1 - lx), (1, lx)):
            yy, xx = y0 + dy, x0 + dx
            inside = valid & (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            idx = np.where(inside, yy * w + xx, 0)
            vals = np.take(flat, idx, axis=-1)  # (..., *S)
            out = out + vals * np.where(inside, wy * wx, 0.0)
    return out


def deform_sampling_points(offset, kernel_size, stride=1, padding=0, dilation=1):
    """Where every tap samples: the regular grid plus the offsets.

    Parameters
    ----------
    offset : ndarray, shape (N, 2·G·kH·kW, H_out, W_out)
        torchvision's layout: for offset group ``g`` and tap ``t = u·kW + v`` (row-major),
        channel ``2(g·kH·kW + t)`` is the *row* offset ``dy`` and the next one ``dx``.
    kernel_size, stride, padding, dilation : int or (int, int)

    Returns
    -------
    ys, xs : ndarrays, shape (N, G, kH·kW, H_out, W_out)
        Input row and column of every sample.
    """
    offset = np.asarray(offset)
    kh, kw = pair("kernel_size", kernel_size, 1)
    sh, sw = pair("stride", stride, 1)
    ph, pw = pair("padding", padding, 0)
    dh, dw = pair("dilation", dilation, 1)
    n, c, ho, wo = offset.shape
    k = kh * kw
    if c % (2 * k):
        raise ValueError(f"offset must have 2·offset_groups·kH·kW channels (a multiple of "
                         f"{2 * k} for a {kh}x{kw} kernel), got {c}")
    g = c // (2 * k)
    off = offset.reshape(n, g, k, 2, ho, wo)
    u, v = np.divmod(np.arange(k), kw)  # tap rows and columns
    base_y = (np.arange(ho) * sh - ph)[None, :, None] + (u * dh)[:, None, None]  # (K, Ho, 1)
    base_x = (np.arange(wo) * sw - pw)[None, None, :] + (v * dw)[:, None, None]  # (K, 1, Wo)
    return base_y + off[:, :, :, 0], base_x + off[:, :, :, 1]


def deform_conv2d(x, offset, weight, bias=None, stride=1, padding=0, dilation=1, mask=None):
    """Deformable convolution, equal to ``torchvision.ops.deform_conv2d``.

    .. math::
        y(p) = \\sum_{t} w_t \\, m_t(p) \\, x\\big(p_0(p) + p_t + \\Delta p_t(p)\\big)

    (Dai et al., "Deformable convolutional networks", ICCV 2017, eq. 2; the mask
    ``m`` is DCNv2's modulation, Zhu et al., "Deformable ConvNets v2", CVPR 2019, eq. 1).

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    offset : ndarray, shape (N, 2·G·kH·kW, H_out, W_out)
        ``(dy, dx)`` pairs per tap, see :func:`deform_sampling_points`; ``G`` (offset
        groups) must divide ``C_in``: channel block ``g`` uses offsets of group ``g``.
    weight : ndarray, shape (C_out, C_in / groups, kH, kW)
        ``groups = C_in / weight.shape[1]`` (as torchvision infers it).
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation : int or (int, int)
    mask : ndarray, shape (N, G·kH·kW, H_out, W_out), optional
        DCNv2 modulation; ``None`` is v1 (all ones).

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out)

    Raises
    ------
    ValueError
        Offsets or mask of the wrong shape, channels not divisible by the groups.

    Notes
    -----
    With all offsets zero and no mask this is :func:`dlnotes.conv.conv2d`.
    """
    x = np.asarray(x)
    weight = np.asarray(weight)
    offset = np.asarray(offset)
    for name, a, layout in (("input", x, "N, C_in, H, W"), ("offset", offset, "N, 2*G*kH*kW, H_out, W_out"),
                            ("weight", weight, "C_out, C_in/groups, kH, kW")):
        if a.ndim != 4:
            raise ValueError(f"{name} must be 4-D ({layout}), got shape {a.shape}")
    n, c_in, h, w = x.shape
    c_out, cpg, kh, kw = weight.shape
    sh, sw = pair("stride", stride, 1)
    ph, pw = pair("padding", padding, 0)
    dh, dw = pair("dilation", dilation, 1)
    ho = conv_output_size(h, kh, sh, ph, dh)
    wo = conv_output_size(w, kw, sw, pw, dw)
    k = kh * kw
    if c_in % cpg:
        raise ValueError(f"input channels {c_in} are not divisible by weight.shape[1]={cpg}")
    groups = c_in // cpg
    if c_out % groups:
        raise ValueError(f"output channels {c_out} are not divisible by groups={groups}")
    if offset.shape[0] != n or offset.shape[2:] != (ho, wo) or offset.shape[1] % (2 * k) \
            or offset.shape[1] == 0:
        raise ValueError(f"offset must have shape (N={n}, 2*offset_groups*{kh}*{kw}, {ho}, {wo}), "
                         f"got {offset.shape}")
    g_off = offset.shape[1] // (2 * k)
    if c_in % g_off:
        raise ValueError(f"input channels {c_in} are not divisible by offset_groups={g_off} "
                         f"(offset has {offset.shape[1]} channels)")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != (n, g_off * k, ho, wo):
            raise ValueError(f"mask must have shape {(n, g_off * k, ho, wo)} (one value per tap "
                             f"and offset group), got {mask.shape}")
    if bias is not None:
        bias = np.asarray(bias)
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape ({c_out},), got {bias.shape}")
    ys, xs = deform_sampling_points(offset, (kh, kw), (sh, sw), (ph, pw), (dh, dw))  # (N, G, K, Ho, Wo)
    dtype = np.result_type(x, weight, offset, np.float32)
    cg = c_in // g_off
    cols = np.empty((n, c_in, k, ho, wo), dtype=dtype)
    for b in range(n):
        for g in range(g_off):
            # (cg, K, Ho, Wo): every channel of the group sampled at the group's points
            cols[b, g * cg:(g + 1) * cg] = bilinear_sample(x[b, g * cg:(g + 1) * cg], ys[b, g], xs[b, g])
            if mask is not None:
                cols[b, g * cg:(g + 1) * cg] *= mask[b, g * k:(g + 1) * k]
    og = c_out // groups
    out = np.empty((n, c_out, ho, wo), dtype=dtype)
    for gi in range(groups):
        wg = weight[gi * og:(gi + 1) * og].reshape(og, cpg * k)  # (og, cpg*K)
        cg_cols = cols[:, gi * cpg:(gi + 1) * cpg].reshape(n, cpg * k, ho, wo)
        out[:, gi * og:(gi + 1) * og] = np.einsum("ok,nkhw->nohw", wg, cg_cols)
    if bias is not None:
        out += bias[:, None, None]
    return out
