"""2-D convolution from scratch: output sizes, a readable loop version and a fast one.

Everything here follows ``torch.nn.functional.conv2d``: arrays are NCHW, ``weight`` is
``(C_out, C_in / groups, kH, kW)``, and ``stride``/``padding``/``dilation`` take an int or
a pair.  (Like torch and every deep-learning library, "convolution" here is really
cross-correlation: the kernel is not flipped.)
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import check_int, check_ndim, pair

__all__ = [
    "conv_output_size", "conv_transpose_output_size", "same_padding",
    "conv2d_naive", "conv2d", "im2col", "conv2d_matrix", "conv_connections",
]


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1, ceil_mode=False):
    """Length of a convolution's output along one axis.

    .. math::
        o = \\left\\lfloor \\frac{n + 2p - d(k - 1) - 1}{s} \\right\\rfloor + 1

    Parameters
    ----------
    size : int
        Input length ``n``.
    kernel_size, stride, padding, dilation : int
        ``k``, ``s``, ``p``, ``d`` as in ``torch.nn.Conv2d``.
    ceil_mode : bool
        Round up instead of down (Caffe's pooling convention).  Convolutions in torch
        always round down.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the dilated kernel ``d(k-1)+1`` is larger than the padded input ``n+2p``
        (torch: "Kernel size can't be greater than actual input size").
    """
    n = check_int("size", size, 0)
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    p = check_int("padding", padding, 0)
    d = check_int("dilation", dilation, 1)
    span = d * (k - 1) + 1
    if n + 2 * p < span:
        raise ValueError(
            f"input {n} plus padding 2*{p} is smaller than the dilated kernel {span} "
            f"(kernel_size={k}, dilation={d}); use a smaller kernel or more padding")
    num = n + 2 * p - span
    return (math.ceil(num / s) if ceil_mode else num // s) + 1


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0,
                               dilation=1):
    """Length of a transposed convolution's output along one axis.

    .. math::
        o = (n - 1)s - 2p + d(k - 1) + \\text{output\\_padding} + 1

    Raises
    ------
    ValueError
        If ``output_padding`` is not smaller than ``stride`` or ``dilation`` (torch's
        rule), or the result is not positive.
    """
    n = check_int("size", size, 1)
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    p = check_int("padding", padding, 0)
    op = check_int("output_padding", output_padding, 0)
    d = check_int("dilation", dilation, 1)
    if op >= s and op >= d:
        raise ValueError(
            f"output_padding={op} must be smaller than either stride={s} or dilation={d}")
    out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out < 1:
        raise ValueError(f"padding={p} is too large: the output size would be {out}")
    return out


def same_padding(size, kernel_size, stride=1, dilation=1):
    """TensorFlow's ``padding='SAME'``: the ``(before, after)`` padding along one axis.

    SAME makes the output ``ceil(n / s)`` long.  The total padding is
    ``max((ceil(n/s) - 1) s + d(k-1) + 1 - n, 0)``; TensorFlow puts the smaller half
    *before* and the extra pixel *after* (asymmetric when the total is odd), whereas
    PyTorch's symmetric ``padding`` cannot express that.

    Returns
    -------
    (int, int)
    """
    n = check_int("size", size, 1)
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    d = check_int("dilation", dilation, 1)
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def _check_conv_args(x, weight, bias, stride, padding, dilation, groups):
    """Validate like ``F.conv2d`` and return the normalised arguments."""
    x = np.asarray(x)
    weight = np.asarray(weight)
    if x.ndim not in (3, 4):
        raise ValueError(f"input must be 4-D (N, C_in, H, W) or 3-D unbatched (C_in, H, W) "
                         f"like torch, got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"weight must be 4-D (C_out, C_in/groups, kH, kW), got shape {weight.shape}")
    sh, sw = pair("stride", stride, 1)
    ph, pw = pair("padding", padding, 0)
    dh, dw = pair("dilation", dilation, 1)
    g = check_int("groups", groups, 1)
    c_in, h, w = x.shape[-3:]
    c_out, c_per_group, kh, kw = weight.shape
    if c_in % g:
        raise ValueError(f"input channels {c_in} are not divisible by groups={g}")
    if c_out % g:
        raise ValueError(f"weight's output channels {c_out} are not divisible by groups={g}")
    if c_per_group * g != c_in:
        raise ValueError(
            f"weight expects {c_per_group * g} input channels ({c_per_group} per group x "
            f"groups={g}), but input has {c_in}; weight must be (C_out, {c_in // g}, kH, kW)")
    if bias is not None:
        bias = np.asarray(bias)
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape ({c_out},), got {bias.shape}")
    for axis, size, k, s, p, d in (("height", h, kh, sh, ph, dh), ("width", w, kw, sw, pw, dw)):
        span = d * (k - 1) + 1
        if size + 2 * p < span:
            raise ValueError(
                f"input {axis} {size} plus padding 2*{p} is smaller than the dilated kernel "
                f"{span} (kernel {k}, dilation {d}); use a smaller kernel or more padding")
    return x, weight, bias, (sh, sw), (ph, pw), (dh, dw), g


def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution with plain loops: one output value at a time.

    Readable, and slow (use :func:`conv2d`).  Same arguments and result as
    ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W) or (C_in, H, W)
        A 3-D input is one unbatched image, as in torch; the output is then 3-D too.
    weight : ndarray, shape (C_out, C_in / groups, kH, kW)
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation : int or (int, int)
    groups : int
        Input and output channels are split into ``groups`` groups; output channel ``o``
        sees only the input channels of its group.

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = conv_output_size(H, kH, stride, padding, dilation)``, likewise ``W_out``.
    """
    x, weight, bias, (sh, sw), (ph, pw), (dh, dw), g = _check_conv_args(
        x, weight, bias, stride, padding, dilation, groups)
    if x.ndim == 3:  # unbatched (C, H, W), as torch allows
        return conv2d_naive(x[None], weight, bias, stride, padding, dilation, groups)[0]
    n, c_in, h, w = x.shape
    c_out, cg, kh, kw = weight.shape
    ho = conv_output_size(h, kh, sh, ph, dh)
    wo = conv_output_size(w, kw, sw, pw, dw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # zeros around H and W
    out = np.zeros((n, c_out, ho, wo), dtype=np.result_type(x, weight))
    out_per_group = c_out // g
    for b in range(n):
        for o in range(c_out):
            first_in = (o // out_per_group) * cg  # first input channel of o's group
            for i in range(ho):
                for j in range(wo):
                    acc = 0.0
                    for c in range(cg):
                        for u in range(kh):
                            for v in range(kw):
                                acc += (xp[b, first_in + c, i * sh + u * dh, j * sw + v * dw]
                                        * weight[o, c, u, v])
                    out[b, o, i, j] = acc + (bias[o] if bias is not None else 0)
    return out


def _windows(xp, kh, kw, stride, dilation, out_hw):
    """A strided *view* of every kernel window: shape (N, C, kH, kW, H_out, W_out). No copy.

    ``view[n, c, u, v, i, j] == xp[n, c, i*sh + u*dh, j*sw + v*dw]``.
    """
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    sn, sc, shh, sww = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, shape=(xp.shape[0], xp.shape[1], kh, kw, ho, wo),
        strides=(sn, sc, shh * dh, sww * dw, shh * sh, sww * sw), writeable=False)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Unfold every kernel window of ``x`` into a column (like ``torch.nn.functional.unfold``).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride, padding, dilation : int or (int, int)

    Returns
    -------
    ndarray, shape (N, C·kH·kW, H_out·W_out)
        Column ``l`` holds the window of output position ``l`` (row-major over
        ``(H_out, W_out)``), its rows ordered ``(c, u, v)``, as ``F.unfold``.
    """
    x = check_ndim("x", x, 4, "N, C, H, W")
    kh, kw = pair("kernel_size", kernel_size, 1)
    (sh, sw), (ph, pw), (dh, dw) = (pair("stride", stride, 1), pair("padding", padding, 0),
                                    pair("dilation", dilation, 1))
    ho = conv_output_size(x.shape[2], kh, sh, ph, dh)
    wo = conv_output_size(x.shape[3], kw, sw, pw, dw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = _windows(xp, kh, kw, (sh, sw), (dh, dw), (ho, wo))  # (N, C, kH, kW, Ho, Wo) view
    return np.ascontiguousarray(cols).reshape(x.shape[0], -1, ho * wo)  # the one copy


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution, vectorised: im2col, then one (batched) matrix product.

    Same arguments, shapes and result as :func:`conv2d_naive` and
    ``torch.nn.functional.conv2d`` (equal to 1e-9 in float64).

    Notes
    -----
    The windows are first a free strided view ``(N, C, kH, kW, H_out, W_out)``; one copy
    makes them the im2col matrix ``(N, C·kH·kW, H_out·W_out)``, and a single BLAS matmul
    with the weight ``(C_out, C·kH·kW)`` gives the output directly in NCHW.  Groups are a
    batch axis of that matmul.  Floating inputs keep their dtype (float32 stays float32).
    """
    x, weight, bias, stride, (ph, pw), dilation, g = _check_conv_args(
        x, weight, bias, stride, padding, dilation, groups)
    if x.ndim == 3:  # unbatched (C, H, W), as torch allows
        return conv2d(x[None], weight, bias, stride, padding, dilation, groups)[0]
    n, c_in, h, w = x.shape
    c_out, cg, kh, kw = weight.shape
    ho = conv_output_size(h, kh, stride[0], ph, dilation[0])
    wo = conv_output_size(w, kw, stride[1], pw, dilation[1])
    dtype = np.result_type(x, weight, np.float32)
    if bias is not None:
        dtype = np.result_type(dtype, bias)
    xp = np.pad(x.astype(dtype, copy=False), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = _windows(xp, kh, kw, stride, dilation, (ho, wo))  # (N, C_in, kH, kW, Ho, Wo) view
    cols = np.ascontiguousarray(cols).reshape(n, g, cg * kh * kw, ho * wo)  # im2col: one copy
    w_mat = weight.astype(dtype, copy=False).reshape(g, c_out // g, cg * kh * kw)
    out = np.matmul(w_mat, cols)  # (N, g, C_out/g, Ho*Wo)
    out = out.reshape(n, c_out, ho, wo)
    if bias is not None:
        out += bias.astype(dtype, copy=False)[:, None, None]
    return out


def conv2d_matrix(weight, input_shape, stride=1, padding=0, dilation=1):
    """The convolution as an ordinary matrix: ``conv2d(x).ravel() == M @ x.ravel()``.

    Shows what "weight sharing" and "local connectivity" mean: ``M`` is a dense layer's
    weight matrix in which most entries are zero and the non-zero ones repeat the few
    kernel weights (a block-Toeplitz matrix).  Its transpose is the transposed
    convolution.

    Parameters
    ----------
    weight : ndarray, shape (C_out, C_in, kH, kW)
    input_shape : (int, int, int)
        ``(C_in, H, W)`` of one input image.
    stride, padding, dilation : int or (int, int)

    Returns
    -------
    ndarray, shape (C_out·H_out·W_out, C_in·H·W)
    """
    weight = check_ndim("weight", weight, 4, "C_out, C_in, kH, kW")
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C_in, H, W), got {input_shape!r}")
    c_in, h, w = (check_int(f"input_shape[{i}]", v, 1) for i, v in enumerate(input_shape))
    if weight.shape[1] != c_in:
        raise ValueError(f"weight has {weight.shape[1]} input channels but input_shape has {c_in}")
    eye = np.eye(c_in * h * w, dtype=np.result_type(weight, np.float32)).reshape(-1, c_in, h, w)
    # column k of M is the response to the k-th unit input (convolution is linear)
    return conv2d(eye, weight, stride=stride, padding=padding, dilation=dilation).reshape(
        c_in * h * w, -1).T


def conv_connections(in_channels, out_channels, kernel_size, output_size, groups=1, bias=True):
    """Connections of a convolution layer: weighted inputs of every output value, plus its bias.

    .. math::
        H_\\text{out} W_\\text{out} C_\\text{out} \\left(\\frac{C_\\text{in}}{g} k_H k_W + 1\\right)

    This is LeCun et al.'s count ("Gradient-based learning applied to document
    recognition", 1998, §II.B: C1 has 156 parameters and 122,304 connections): each of the
    ``H_out·W_out·C_out`` output values is connected to ``(C_in/g)·kH·kW`` inputs through
    a weight and to its bias.  Unlike the parameter count it grows with the output size,
    because the same weights are shared by every position.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    output_size : int or (int, int)
        ``(H_out, W_out)`` (:func:`conv_output_size`).
    groups : int
    bias : bool
        Count the bias connection (``+1``) of every output value.

    Returns
    -------
    int
        With ``bias=False`` this is the number of multiplications (multiply-adds) of one
        forward pass of one image.

    Raises
    ------
    ValueError
        If the channels are not divisible by ``groups``.
    """
    from ._conv_cost import _channels

    c_in, c_out, g = _channels(in_channels, out_channels, groups)
    kh, kw = pair("kernel_size", kernel_size, 1)
    ho, wo = pair("output_size", output_size, 1)
    return ho * wo * c_out * ((c_in // g) * kh * kw + (1 if bias else 0))


# Variants written in their own modules, exported here so that readers find every
# convolution in ``dlnotes.conv``.
from . import _conv_cost, _conv_transpose, _deform_conv  # noqa: E402
from ._conv_cost import *  # noqa: E402,F401,F403
from ._conv_transpose import *  # noqa: E402,F401,F403
from ._deform_conv import *  # noqa: E402,F401,F403

__all__ += _conv_cost.__all__ + _conv_transpose.__all__ + _deform_conv.__all__
