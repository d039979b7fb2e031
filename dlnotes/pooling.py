"""Pooling from scratch: max, average, their backward passes, stochastic, SPP, global.

Arrays are NCHW; arguments, defaults and output sizes follow ``torch.nn.functional``.
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import check_choice, check_int, check_ndim, pair

__all__ = [
    "pool_output_size", "max_pool2d", "avg_pool2d", "max_pool2d_backward",
    "avg_pool2d_backward", "max_unpool2d", "stochastic_pool2d", "adaptive_pool_bins",
    "adaptive_max_pool2d", "adaptive_avg_pool2d", "spatial_pyramid_pool", "global_avg_pool2d",
    "global_max_pool2d",
]


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Length of a pooling output along one axis, torch's rule.

    .. math::
        o = \\left\\lfloor \\frac{n + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1
        \\quad(\\lceil\\cdot\\rceil \\text{ with ceil\\_mode})

    With ``ceil_mode`` the last window must *start* inside the input or the left
    padding: if ``(o - 1)s >= n + p`` the last window is dropped (torch's
    ``pooling_output_shape``; Caffe has the same clip).

    Parameters
    ----------
    size : int
    kernel_size, stride, padding, dilation : int
        ``stride`` defaults to ``kernel_size``.
    ceil_mode : bool

    Returns
    -------
    int

    Raises
    ------
    ValueError
        ``padding`` larger than ``kernel_size // 2`` (torch checks the undilated kernel), or
        an output smaller than 1 (torch: "pad should be smaller than or equal to half of
        kernel size",
        "Output size is too small").
    """
    n = check_int("size", size, 1)
    k = check_int("kernel_size", kernel_size, 1)
    s = k if stride is None else check_int("stride", stride, 1)
    p = check_int("padding", padding, 0)
    d = check_int("dilation", dilation, 1)
    span = d * (k - 1) + 1
    if p > k // 2:  # torch compares with the kernel size itself, even when dilated
        raise ValueError(f"padding={p} should be at most half of the kernel size "
                         f"(kernel_size={k}); use padding <= {k // 2}")
    num = n + 2 * p - span
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and out >= 1 and (out - 1) * s >= n + p:
        out -= 1
    if out < 1:
        raise ValueError(f"input {n} with padding {p} is smaller than the pooling window {span}: "
                         f"the output size would be {out}; use a smaller kernel_size")
    return out


def _args(x, kernel_size, stride, padding, dilation, ceil_mode):
    x = check_ndim("x", x, 4, "N, C, H, W")
    k = pair("kernel_size", kernel_size, 1)
    s = k if stride is None or stride == () or stride == [] else pair("stride", stride, 1)
    p = pair("padding", padding, 0)
    d = pair("dilation", dilation, 1)
    out = tuple(pool_output_size(n, k_, s_, p_, d_, ceil_mode)
                for n, k_, s_, p_, d_ in zip(x.shape[2:], k, s, p, d))
    return x, k, s, p, d, out


def _padded_windows(x, k, s, p, d, out, fill):
    """Pad (left ``p``, right as far as the last window needs) and view every window.

    Returns a view of shape ``(N, C, H_out, W_out, kH, kW)`` and the padded array.
    """
    need = [(o - 1) * s_ + d_ * (k_ - 1) + 1 for o, s_, d_, k_ in zip(out, s, d, k)]
    right = [max(nd - n - p_, 0) for nd, n, p_ in zip(need, x.shape[2:], p)]
    dtype = np.result_type(x, np.float32)
    xp = np.pad(x.astype(dtype, copy=False), ((0, 0), (0, 0), (p[0], right[0]), (p[1], right[1])),
                constant_values=fill)
    sn, sc, sh, sw = xp.strides
    win = np.lib.stride_tricks.as_strided(
        xp, shape=(*xp.shape[:2], out[0], out[1], k[0], k[1]),
        strides=(sn, sc, sh * s[0], sw * s[1], sh * d[0], sw * d[1]), writeable=False)
    return win, xp


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling, equal to ``torch.nn.functional.max_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride, padding, dilation : int or (int, int)
        ``stride`` defaults to ``kernel_size``; padding is ``-inf`` (never the max).
    ceil_mode : bool
        Round the output size up (see :func:`pool_output_size`).
    return_indices : bool
        Also return, like torch, the flat index ``h * W + w`` of each max in its input plane.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
    indices : ndarray of int64, same shape (only with ``return_indices``)

    Notes
    -----
    Ties go to the first maximum in row-major window order, as in torch's CPU kernel.
    """
    x, k, s, p, d, out = _args(x, kernel_size, stride, padding, dilation, ceil_mode)
    win, _ = _padded_windows(x, k, s, p, d, out, -np.inf)  # (N, C, Ho, Wo, kH, kW)
    flat = win.reshape(*win.shape[:4], -1)
    arg = flat.argmax(-1)  # (N, C, Ho, Wo), first max
    result = np.take_along_axis(flat, arg[..., None], -1)[..., 0]
    if not return_indices:
        return result
    u, v = np.divmod(arg, k[1])
    rows = np.arange(out[0])[:, None] * s[0] - p[0] + u * d[0]
    cols = np.arange(out[1])[None, :] * s[1] - p[1] + v * d[1]
    return result, (rows * x.shape[3] + cols).astype(np.int64)


def _avg_divisors(n_hw, k, s, p, out, count_include_pad):
    """torch's divisor for every output position: (H_out, W_out)."""
    divs = []
    for n, k_, s_, p_, o in zip(n_hw, k, s, p, out):
        start = np.arange(o) * s_ - p_
        end = np.minimum(start + k_, n + p_)
        size = end - start  # counts the padding, not the ceil_mode overhang
        inside = np.minimum(end, n) - np.maximum(start, 0)
        divs.append(size if count_include_pad else inside)
    return np.outer(divs[0], divs[1]).astype(float)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """2-D average pooling, equal to ``torch.nn.functional.avg_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride, padding : int or (int, int)
    ceil_mode : bool
    count_include_pad : bool
        Divide by the window size including zero padding (torch's default) or by the
        number of real input pixels in the window.  With ``ceil_mode`` a window hanging
        over the right edge is divided by its part inside the padded input.

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out)
    """
    x, k, s, p, d, out = _args(x, kernel_size, stride, padding, 1, ceil_mode)
    win, _ = _padded_windows(x, k, s, p, d, out, 0.0)
    div = _avg_divisors(x.shape[2:], k, s, p, out, count_include_pad)  # (Ho, Wo)
    return win.sum(axis=(-2, -1)) / div


def _scatter(grad_out, x_shape, k, s, p, d, out, weights):
    """Add ``grad_out * weights[..., u, v]`` to window tap (u, v) of every window."""
    need = [(o - 1) * s_ + d_ * (k_ - 1) + 1 for o, s_, d_, k_ in zip(out, s, d, k)]
    hp = max(need[0], x_shape[2] + p[0])
    wp = max(need[1], x_shape[3] + p[1])
    gp = np.zeros((*x_shape[:2], hp + p[0], wp + p[1]), dtype=np.result_type(grad_out, np.float32))
    for u in range(k[0]):
        for v in range(k[1]):
            r0, c0 = u * d[0], v * d[1]
            # one tap of every window: distinct positions, so += does not collide
            gp[:, :, r0:r0 + s[0] * (out[0] - 1) + 1:s[0],
               c0:c0 + s[1] * (out[1] - 1) + 1:s[1]] += grad_out * weights[..., u, v]
    return gp[:, :, p[0]:p[0] + x_shape[2], p[1]:p[1] + x_shape[3]]


def max_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    """Gradient of :func:`max_pool2d` with respect to ``x`` (equal to autograd).

    Each output's gradient goes to the position of its window's maximum (the first
    one on ties); overlapping windows that share a maximum add up there.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out)
    x : ndarray, shape (N, C, H, W)
        The forward input (the maxima are recomputed from it).

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    x, k, s, p, d, out = _args(x, kernel_size, stride, padding, dilation, ceil_mode)
    grad_output = check_ndim("grad_output", grad_output, 4, "N, C, H_out, W_out")
    if grad_output.shape != (*x.shape[:2], *out):
        raise ValueError(f"grad_output must have the output's shape {(*x.shape[:2], *out)}, "
                         f"got {grad_output.shape}")
    win, _ = _padded_windows(x, k, s, p, d, out, -np.inf)
    arg = win.reshape(*win.shape[:4], -1).argmax(-1)  # (N, C, Ho, Wo)
    onehot = np.zeros(win.shape, dtype=bool)
    np.put_along_axis(onehot.reshape(*win.shape[:4], -1), arg[..., None], True, -1)
    return _scatter(grad_output, x.shape, k, s, p, d, out, onehot)


def avg_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True):
    """Gradient of :func:`avg_pool2d` with respect to ``x`` (equal to autograd).

    Each output's gradient is *divided by its divisor* and spread over its window
    (padding positions take their share and drop it).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out)
    x : ndarray, shape (N, C, H, W)
        The forward input (only its shape is used).

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    x, k, s, p, d, out = _args(x, kernel_size, stride, padding, 1, ceil_mode)
    grad_output = check_ndim("grad_output", grad_output, 4, "N, C, H_out, W_out")
    if grad_output.shape != (*x.shape[:2], *out):
        raise ValueError(f"grad_output must have the output's shape {(*x.shape[:2], *out)}, "
                         f"got {grad_output.shape}")
    div = _avg_divisors(x.shape[2:], k, s, p, out, count_include_pad)
    ones = np.ones((1, 1, *out, *k))
    return _scatter(grad_output / div, x.shape, k, s, p, d, out, ones)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put every value back at the position its max came from; zeros elsewhere.

    Equal to ``torch.nn.functional.max_unpool2d`` (used by SegNet-style decoders to
    upsample with the encoder's pooling indices).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Values to place (the pooled maxima, or gradients).
    indices : ndarray of int, shape (N, C, H, W)
        Flat positions ``h * W_out + w`` in the output plane, as returned by
        ``max_pool2d(..., return_indices=True)``.
    kernel_size, stride, padding : int or (int, int)
        Those of the pooling; ``stride`` defaults to ``kernel_size``.
    output_size : (int, int), optional
        ``(H_out, W_out)``; default ``(H - 1)·s - 2p + k``.  Like torch, it must lie strictly
        within ``stride`` of the default (it picks one of the input sizes that pooled to ``H``).

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out)

    Raises
    ------
    ValueError
        ``indices`` of another shape, an index outside the output plane, or an
        ``output_size`` out of range.

    Notes
    -----
    Where windows overlap, two outputs can carry the same index; the value written last (in
    row-major order) is kept, as in torch's CPU kernel.  For pooled maxima both carry the same
    value; for gradients this is *not* the max-pool backward, which adds them
    (:func:`max_pool2d_backward`).
    """
    x = check_ndim("x", x, 4, "N, C, H, W")
    indices = check_ndim("indices", indices, 4, "N, C, H, W")
    if indices.shape != x.shape:
        raise ValueError(f"indices must have the shape of x {x.shape}, got {indices.shape}")
    k = pair("kernel_size", kernel_size, 1)
    s = k if stride is None else pair("stride", stride, 1)
    p = pair("padding", padding, 0)
    default = [(n - 1) * s_ - 2 * p_ + k_ for n, s_, p_, k_ in zip(x.shape[2:], s, p, k)]
    if output_size is None:
        out = default
    else:
        out = list(output_size)[-2:]
        for name, o, dflt, s_ in zip(("H_out", "W_out"), out, default, s):
            if not dflt - s_ < o < dflt + s_:
                raise ValueError(f"output_size {name}={o} must be strictly between {dflt - s_} and "
                                 f"{dflt + s_} (the default is {dflt})")
    plane = out[0] * out[1]
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        raise ValueError(f"indices must lie in [0, {plane}) for a {out[0]}x{out[1]} output, got "
                         f"[{indices.min()}, {indices.max()}]")
    result = np.zeros((*x.shape[:2], plane), dtype=np.result_type(x, np.float32))
    flat_idx = indices.reshape(*x.shape[:2], -1)
    n_idx, c_idx = np.indices(x.shape[:2])
    # row-major assignment: with repeated indices the last one wins
    result[n_idx[..., None], c_idx[..., None], flat_idx] = x.reshape(*x.shape[:2], -1)
    return result.reshape(*x.shape[:2], *out)


def stochastic_pool2d(x, kernel_size, stride=None, training=True, rng=None):
    """Stochastic pooling (Zeiler & Fergus, ICLR 2013, §3, eqs. 3-5).

    In each window the activations ``a_i >= 0`` define probabilities
    ``p_i = a_i / Σ_k a_k``.  *Training*: output ``a_l`` with ``l`` drawn from that
    multinomial (large activations are picked more often; the output is always one
    of the window's values).  *Test* (``training=False``): the probability-weighted
    average ``Σ_i p_i a_i`` ("probabilistic weighting", eq. 5), deterministic.
    A window of zeros gives 0.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), non-negative (e.g. after ReLU)
    kernel_size, stride : int or (int, int)
        ``stride`` defaults to ``kernel_size``; no padding.
    training : bool
    rng : numpy.random.Generator, optional
        Draws the samples (a fresh default generator if omitted).

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out)

    Raises
    ------
    ValueError
        Negative activations (the probabilities would not be defined).
    """
    x, k, s, p, d, out = _args(x, kernel_size, stride, 0, 1, False)
    if np.any(x < 0):
        raise ValueError("stochastic pooling needs non-negative activations (apply ReLU first); "
                         f"got a minimum of {x.min():g}")
    win, _ = _padded_windows(x, k, s, p, d, out, 0.0)
    a = win.reshape(*win.shape[:4], -1)  # (N, C, Ho, Wo, kH*kW)
    total = a.sum(-1, keepdims=True)
    probs = np.divide(a, total, out=np.zeros_like(a), where=total > 0)
    if not training:
        return (probs * a).sum(-1)
    rng = np.random.default_rng() if rng is None else rng
    u = rng.random(a.shape[:4])[..., None]  # (N, C, Ho, Wo, 1)
    idx = (np.cumsum(probs, -1) <= u).sum(-1, keepdims=True)  # first cdf value above u
    idx = np.minimum(idx, a.shape[-1] - 1)
    return np.take_along_axis(a, idx, -1)[..., 0]


def adaptive_pool_bins(size, output_size):
    """The bins of torch's adaptive pooling along one axis: ``[floor(i n/o), ceil((i+1) n/o))``.

    Parameters
    ----------
    size : int
        Input length ``n``.
    output_size : int
        Number of bins ``o``, at most ``n``.

    Returns
    -------
    starts, ends : ndarrays of int, shape (o,)
        Bin ``i`` covers ``starts[i] <= h < ends[i]``.  The bins always tile ``[0, n)``; when
        ``o`` does not divide ``n`` neighbouring bins can share a pixel (13 → 4 bins:
        [0, 4), [3, 7), [6, 10), [9, 13)).
    """
    n = check_int("size", size, 1)
    o = check_int("output_size", output_size, 1)
    if o > n:
        raise ValueError(f"output_size={o} is larger than size={n}: some bins would repeat "
                         f"pixels; use output_size <= {n}")
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)  # floor(i n / o), ceil((i+1) n / o)


def _adaptive(x, output_size, reduce):
    x = check_ndim("x", x, 4, "N, C, H, W")
    oh, ow = pair("output_size", output_size, 1)
    h, w = x.shape[2:]
    if oh > h or ow > w:
        raise ValueError(f"output_size {(oh, ow)} is larger than the {h}x{w} map: some bins "
                         f"would repeat pixels; use at most {(h, w)} (or a larger input)")
    hs, he = adaptive_pool_bins(h, oh)
    ws, we = adaptive_pool_bins(w, ow)
    out = np.empty((*x.shape[:2], oh, ow), dtype=np.result_type(x, np.float32))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = reduce(x[:, :, hs[i]:he[i], ws[j]:we[j]], axis=(2, 3))
    return out


def adaptive_max_pool2d(x, output_size):
    """``F.adaptive_max_pool2d``: bin ``i`` spans ``[floor(i n/o), ceil((i+1) n/o))``.

    Returns
    -------
    ndarray, shape (N, C, oH, oW)
    """
    return _adaptive(x, output_size, np.max)


def adaptive_avg_pool2d(x, output_size):
    """``F.adaptive_avg_pool2d`` with the same bins as :func:`adaptive_max_pool2d`."""
    return _adaptive(x, output_size, np.mean)


def spatial_pyramid_pool(x, levels=(1, 2, 4), mode="max"):
    """Spatial pyramid pooling (He et al., "Spatial pyramid pooling in deep convolutional
    networks for visual recognition", ECCV 2014 / TPAMI 2015, §2.3).

    Pools the map into an ``n×n`` grid for every level ``n`` and concatenates the
    flattened grids, so the output length ``C·Σn²`` does not depend on ``H, W``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    levels : sequence of int
        Grid sizes, each at most ``min(H, W)``.
    mode : {'max', 'avg'}

    Returns
    -------
    ndarray, shape (N, C·Σ n²)
        Level by level, each flattened as ``(C, n, n)``: equal to
        ``torch.cat([F.adaptive_max_pool2d(x, n).flatten(1) for n in levels], 1)``.

    Notes
    -----
    The paper's bins use window ``ceil(a/n)`` and stride ``floor(a/n)``; torch's
    adaptive bins (used here, and by most re-implementations) always tile the map
    exactly.  They agree when ``n`` divides ``a``.
    """
    check_choice("mode", mode, ("max", "avg"))
    x = check_ndim("x", x, 4, "N, C, H, W")
    levels = [check_int("levels[i]", n, 1) for n in levels]
    if not levels:
        raise ValueError("levels must list at least one grid size, e.g. (1, 2, 4)")
    small = [n for n in levels if n > min(x.shape[2:])]
    if small:
        raise ValueError(f"levels {small} are larger than the {x.shape[2]}x{x.shape[3]} map; "
                         f"use levels <= {min(x.shape[2:])} or a larger input")
    pool = adaptive_max_pool2d if mode == "max" else adaptive_avg_pool2d
    return np.concatenate([pool(x, n).reshape(x.shape[0], -1) for n in levels], axis=1)


def global_avg_pool2d(x, keepdim=False):
    """Global average pooling (NiN, Lin et al. 2014 §3.2): one mean per channel.

    Returns
    -------
    ndarray, shape (N, C), or (N, C, 1, 1) with ``keepdim``
    """
    x = check_ndim("x", x, 4, "N, C, H, W")
    return x.mean(axis=(2, 3), keepdims=keepdim)


def global_max_pool2d(x, keepdim=False):
    """Global max pooling: one maximum per channel; shape as :func:`global_avg_pool2d`."""
    x = check_ndim("x", x, 4, "N, C, H, W")
    return x.max(axis=(2, 3), keepdims=keepdim)
