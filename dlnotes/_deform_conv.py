"""Deformable convolution v1 and modulated v2 (可变形卷积), re-exported by :mod:`dlnotes.conv`.

Every kernel tap of every output position samples the input at its regular grid
position plus a learned, fractional offset (bilinear interpolation); DCNv2 also
multiplies each sample by a learned mask in [0, 1].
"""
from __future__ import annotations

import numpy as np

from ._validate import pair
from .conv import conv_output_size

__all__ = ["deform_conv2d", "deform_conv2d_offset_grad", "deform_sampling_points", "bilinear_sample",
           "bilinear_sample_grad"]


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


def bilinear_sample_grad(img, y, x):
    """Derivatives of :func:`bilinear_sample` with respect to the sampling position.

    With ``y0 = floor(y)``, ``ly = y - y0`` (and the same for ``x``) the sample is
    ``(1-ly)(1-lx) v00 + (1-ly) lx v01 + ly (1-lx) v10 + ly lx v11``, so

    .. math::
        \\frac{\\partial s}{\\partial y} = (1-l_x)(v_{10}-v_{00}) + l_x (v_{11}-v_{01}),\\qquad
        \\frac{\\partial s}{\\partial x} = (1-l_y)(v_{01}-v_{00}) + l_y (v_{11}-v_{10}).

    This is how a deformable convolution's offsets get their gradient (Dai et al.,
    ICCV 2017, eqs. 3-4: the bilinear kernel ``G`` is differentiable in ``p``).

    Parameters
    ----------
    img : ndarray, shape (..., H, W)
    y, x : ndarray, same shape ``S``

    Returns
    -------
    dy, dx : ndarrays, shape (..., *S)
        Corners outside the image count as 0, so a point with no corner inside (more than
        one pixel outside) has zero gradient.

    Notes
    -----
    The sample is not differentiable where ``y`` or ``x`` is an integer (a corner of the
    bilinear patch); there, as in torchvision's kernel, the derivative is the one-sided
    derivative towards ``floor + 1`` (e.g. at the zero offsets a deformable layer starts
    from).  So at ``y = -1`` exactly, where the sample is 0, ``dy`` is the value one pixel
    further in: the gradient pulls a point at the padding's edge into the image.
    """
    img = np.asarray(img)
    h, w = img.shape[-2:]
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    ly, lx = y - y0, x - x0
    flat = img.reshape(*img.shape[:-2], h * w)

    def corner(dy, dx):
        yy, xx = y0 + dy, x0 + dx
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        return np.take(flat, np.where(inside, yy * w + xx, 0), axis=-1) * inside

    v00, v01, v10, v11 = corner(0, 0), corner(0, 1), corner(1, 0), corner(1, 1)
    grad_y = (1 - lx) * (v10 - v00) + lx * (v11 - v01)
    grad_x = (1 - ly) * (v01 - v00) + ly * (v11 - v10)
    return grad_y, grad_x


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


def _check_deform_args(x, offset, weight, bias, stride, padding, dilation, mask):
    """Validate :func:`deform_conv2d`'s arguments; return them with the derived sizes."""
    x = np.asarray(x)
    weight = np.asarray(weight)
    offset = np.asarray(offset)
    for name, a, layout in (("input", x, "N, C_in, H, W"), ("offset", offset, "N, 2*G*kH*kW, H_out, W_out"),
                            ("weight", weight, "C_out, C_in/groups, kH, kW")):
        if a.ndim != 4:
            raise ValueError(f"{name} must be 4-D ({layout}), got shape {a.shape}")
    n, c_in, h, w = x.shape
    c_out, cpg, kh, kw = weight.shape
    s, p, d = pair("stride", stride, 1), pair("padding", padding, 0), pair("dilation", dilation, 1)
    ho = conv_output_size(h, kh, s[0], p[0], d[0])
    wo = conv_output_size(w, kw, s[1], p[1], d[1])
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
    return x, offset, weight, bias, mask, s, p, d, groups, g_off, (ho, wo)


def deform_conv2d(x, offset, weight, bias=None, stride=1, padding=0, dilation=1, mask=None):
    """Deformable convolution, equal to ``torchvision.ops.deform_conv2d``.

    .. math::
        y(p_0) = \\sum_{t} w_t \\, m_t(p_0) \\, x\\big(p_0 + p_t + \\Delta p_t(p_0)\\big)

    for every output position ``p_0`` (its window's top-left corner in the padded input), with
    ``p_t`` the regular (dilated) offset of tap ``t``.  Dai et al., "Deformable convolutional
    networks", ICCV 2017, eq. 2; the mask ``m`` is DCNv2's modulation, Zhu et al.,
    "Deformable ConvNets v2", CVPR 2019, eq. 1.

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
    x, offset, weight, bias, mask, s, p, d, groups, g_off, (ho, wo) = _check_deform_args(
        x, offset, weight, bias, stride, padding, dilation, mask)
    n, c_in = x.shape[:2]
    c_out, cpg, kh, kw = weight.shape
    k = kh * kw
    ys, xs = deform_sampling_points(offset, (kh, kw), s, p, d)  # (N, G, K, Ho, Wo)
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


def deform_conv2d_offset_grad(grad_output, x, offset, weight, stride=1, padding=0, dilation=1,
                              mask=None):
    """Gradients of a deformable convolution with respect to its offsets (and mask).

    This is how the offsets are *learned*: they come from an ordinary convolution with
    ``2·G·kH·kW`` output channels, and the loss reaches that convolution through the
    bilinear sampling.  For tap ``t`` at output position ``p_0`` with sample point
    ``q = p_0 + p_t + Δp_t``,

    .. math::
        \\frac{\\partial L}{\\partial \\Delta p_t(p_0)} = m_t(p_0) \\sum_{c} a_{c,t}(p_0)\\,
        \\frac{\\partial x_c(q)}{\\partial q}, \\qquad
        \\frac{\\partial L}{\\partial m_t(p_0)} = \\sum_{c} a_{c,t}(p_0)\\, x_c(q),

    where ``a_{c,t}(p_0) = Σ_o (∂L/∂y_o(p_0)) w_{o,c,t}`` and ``c`` runs over the channels
    of the tap's offset group (:func:`bilinear_sample_grad` gives ``∂x_c(q)/∂q``).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, H_out, W_out)
        ``∂L/∂y``.
    x, offset, weight, stride, padding, dilation, mask
        As for :func:`deform_conv2d` (no bias: it does not affect these gradients).

    Returns
    -------
    grad_offset : ndarray, shape (N, 2·G·kH·kW, H_out, W_out)
        Same layout as ``offset`` (``dy`` then ``dx`` per tap).
    grad_mask : ndarray, shape (N, G·kH·kW, H_out, W_out), or None without a mask

    Raises
    ------
    ValueError
        As :func:`deform_conv2d`, or ``grad_output`` not of the output's shape.

    Notes
    -----
    Equal to torch autograd through ``torchvision.ops.deform_conv2d`` (tested in float64),
    including at integer sample positions, where both take the derivative towards
    ``floor + 1`` (see :func:`bilinear_sample_grad`).
    """
    x, offset, weight, _, mask, s, p, d, groups, g_off, (ho, wo) = _check_deform_args(
        x, offset, weight, None, stride, padding, dilation, mask)
    n, c_in = x.shape[:2]
    c_out, cpg, kh, kw = weight.shape
    k = kh * kw
    grad_output = np.asarray(grad_output)
    if grad_output.shape != (n, c_out, ho, wo):
        raise ValueError(f"grad_output must have the output's shape {(n, c_out, ho, wo)}, "
                         f"got {grad_output.shape}")
    og = c_out // groups
    # a[n, c, t, i, j] = sum over the output channels of c's group of grad_output * weight
    a = np.concatenate([np.einsum("nohw,oct->ncthw", grad_output[:, gi * og:(gi + 1) * og],
                                  weight[gi * og:(gi + 1) * og].reshape(og, cpg, k))
                        for gi in range(groups)], axis=1)  # (N, C_in, K, Ho, Wo)
    ys, xs = deform_sampling_points(offset, (kh, kw), s, p, d)  # (N, G, K, Ho, Wo)
    cg = c_in // g_off
    dtype = np.result_type(x, weight, offset, grad_output, np.float32)
    grad_offset = np.zeros((n, g_off, k, 2, ho, wo), dtype=dtype)
    grad_mask = None if mask is None else np.zeros((n, g_off, k, ho, wo), dtype=dtype)
    m = None if mask is None else mask.reshape(n, g_off, k, ho, wo)
    for b in range(n):
        for g in range(g_off):
            chans = slice(g * cg, (g + 1) * cg)
            gy, gx = bilinear_sample_grad(x[b, chans], ys[b, g], xs[b, g])  # (cg, K, Ho, Wo)
            scale = 1.0 if m is None else m[b, g]
            grad_offset[b, g, :, 0] = (a[b, chans] * gy).sum(0) * scale
            grad_offset[b, g, :, 1] = (a[b, chans] * gx).sum(0) * scale
            if mask is not None:
                samples = bilinear_sample(x[b, chans], ys[b, g], xs[b, g])
                grad_mask[b, g] = (a[b, chans] * samples).sum(0)
    grad_offset = grad_offset.reshape(n, 2 * g_off * k, ho, wo)
    return grad_offset, None if grad_mask is None else grad_mask.reshape(n, g_off * k, ho, wo)
