"""Transposed convolution ("deconvolution", 转置卷积), re-exported by :mod:`dlnotes.conv`.

A transposed convolution is the *adjoint* (gradient) of a convolution: every input
pixel scatters a copy of the kernel, scaled by its value, into the output, ``stride``
pixels apart; overlapping copies add up.  It is not the inverse of a convolution.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_int, pair
from .conv import conv2d, conv_transpose_output_size

__all__ = ["conv_transpose2d", "conv_transpose2d_as_conv"]


def _check_transpose_args(x, weight, bias, stride, padding, output_padding, groups, dilation):
    x = np.asarray(x)
    weight = np.asarray(weight)
    if x.ndim != 4:
        raise ValueError(f"input must be 4-D (N, C_in, H, W), got shape {x.shape}; "
                         f"add a batch axis with x[None] for a single image")
    if weight.ndim != 4:
        raise ValueError(f"weight must be 4-D (C_in, C_out/groups, kH, kW), got shape {weight.shape}")
    g = check_int("groups", groups, 1)
    s = pair("stride", stride, 1)
    p = pair("padding", padding, 0)
    op = pair("output_padding", output_padding, 0)
    d = pair("dilation", dilation, 1)
    c_in = x.shape[1]
    if weight.shape[0] != c_in:
        raise ValueError(f"weight must be (C_in={c_in}, C_out/groups, kH, kW) for a transposed "
                         f"convolution (torch's layout), got {weight.shape}")
    if c_in % g:
        raise ValueError(f"input channels {c_in} are not divisible by groups={g}")
    c_out = weight.shape[1] * g
    if bias is not None:
        bias = np.asarray(bias)
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape ({c_out},), got {bias.shape}")
    out = tuple(conv_transpose_output_size(n, k, s_, p_, op_, d_)
                for n, k, s_, p_, op_, d_ in zip(x.shape[2:], weight.shape[2:], s, p, op, d))
    return x, weight, bias, s, p, op, d, g, out


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution, equal to ``torch.nn.functional.conv_transpose2d``.

    .. math::
        H_{out} = (H - 1)s - 2p + d(k - 1) + \\text{output\\_padding} + 1

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_in, C_out / groups, kH, kW)
        torch's layout (input channels first, unlike ``conv2d``).
    bias : ndarray, shape (C_out,), optional
    stride, padding, output_padding, dilation : int or (int, int)
        ``padding`` crops ``p`` pixels from each side of the full scatter (it undoes
        the padding of the matching convolution); ``output_padding`` (< stride or dilation) adds
        rows/columns at the bottom/right to pick one of the input sizes that a strided
        convolution maps to the same output size.
    groups : int

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out)

    Notes
    -----
    Scatter form (Dumoulin & Visin, "A guide to convolution arithmetic for deep
    learning", arXiv:1603.07285, §4): for each kernel tap ``(u, v)`` one matrix
    product puts ``x · w[:, :, u, v]`` at rows ``u·d + i·s`` of the un-cropped output.
    """
    x, weight, bias, s, p, op, d, g, out = _check_transpose_args(
        x, weight, bias, stride, padding, output_padding, groups, dilation)
    n, c_in, h, w = x.shape
    _, og, kh, kw = weight.shape
    cg = c_in // g
    dtype = np.result_type(x, weight, np.float32)
    full_h, full_w = out[0] + 2 * p[0], out[1] + 2 * p[1]  # before cropping the padding
    full = np.zeros((n, og * g, full_h, full_w), dtype=dtype)
    for gi in range(g):
        xg = x[:, gi * cg:(gi + 1) * cg].astype(dtype, copy=False)  # (N, cg, H, W)
        wg = weight[gi * cg:(gi + 1) * cg].astype(dtype, copy=False)  # (cg, og, kH, kW)
        # all taps at once: (N, H, W, og, kH, kW)
        contrib = np.tensordot(xg, wg, axes=([1], [0])).transpose(0, 3, 4, 5, 1, 2)
        for u in range(kh):
            for v in range(kw):
                r0, c0 = u * d[0], v * d[1]
                full[:, gi * og:(gi + 1) * og, r0:r0 + s[0] * (h - 1) + 1:s[0],
                     c0:c0 + s[1] * (w - 1) + 1:s[1]] += contrib[:, :, u, v]
    result = full[:, :, p[0]:p[0] + out[0], p[1]:p[1] + out[1]]
    if bias is not None:
        result = result + bias.astype(dtype, copy=False)[:, None, None]
    return np.ascontiguousarray(result)


def conv_transpose2d_as_conv(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                             groups=1, dilation=1):
    """The same transposed convolution written as an ordinary convolution.

    Insert ``s - 1`` zeros between input pixels, pad ``d(k-1) - p`` on each side
    (plus ``output_padding`` at the bottom/right), and convolve (stride 1) with the
    kernel flipped in space and with its in/out channels swapped.

    Same parameters and result as :func:`conv_transpose2d`, for any ``padding``: when
    ``padding > dilation·(kernel - 1)`` the "padding" ``d(k-1) - p`` is negative, and the
    zero-inserted input is cropped by that many pixels on each side instead (the
    ``output_padding`` rows still go to the bottom/right before the crop).
    Dumoulin & Visin, arXiv:1603.07285, §4.
    """
    x, weight, bias, s, p, op, d, g, out = _check_transpose_args(
        x, weight, bias, stride, padding, output_padding, groups, dilation)
    n, c_in, h, w = x.shape
    _, og, kh, kw = weight.shape
    cg = c_in // g
    up = np.zeros((n, c_in, (h - 1) * s[0] + 1, (w - 1) * s[1] + 1), dtype=np.result_type(x, np.float32))
    up[:, :, ::s[0], ::s[1]] = x  # zero insertion
    pads = [d[0] * (kh - 1) - p[0], d[1] * (kw - 1) - p[1]]
    padded = np.pad(up, ((0, 0), (0, 0), (max(pads[0], 0), max(pads[0], 0) + op[0]),
                         (max(pads[1], 0), max(pads[1], 0) + op[1])))
    padded = padded[:, :, max(-pads[0], 0):padded.shape[2] - max(-pads[0], 0),
                    max(-pads[1], 0):padded.shape[3] - max(-pads[1], 0)]
    # (C_in, og, kH, kW) -> (C_out, cg, kH, kW), flipped in space
    w_conv = np.concatenate([weight[gi * cg:(gi + 1) * cg].transpose(1, 0, 2, 3)
                             for gi in range(g)], axis=0)[:, :, ::-1, ::-1]
    return conv2d(padded, np.ascontiguousarray(w_conv), bias, 1, 0, d, g)
