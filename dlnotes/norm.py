"""Normalisation layers from scratch in NumPy: BN, LN, IN, GN and LRN.

Every function follows its ``torch.nn.functional`` namesake (argument names, defaults,
which axes are reduced, biased vs unbiased variance, the errors it raises).  Arrays are
``(N, C, *spatial)``.  They differ only in *which axes the mean and variance are taken
over*:

=============  ==========================  ======================
layer          reduced axes of (N,C,H,W)   number of statistics
=============  ==========================  ======================
batch norm     N, H, W                     C
layer norm     C, H, W                     N
instance norm  H, W                        N·C
group norm     C/G channels, H, W          N·G
=============  ==========================  ======================

The N-C-H-W cube figure is drawn by :func:`draw_norm_cube` (in ``_norm_plot.py``).
"""
from __future__ import annotations

import numbers

import numpy as np

from ._norm_plot import draw_norm_cube, reduced_axes_mask  # noqa: F401  (re-exported)
from ._validate import check_int

__all__ = [
    "batch_norm", "batch_norm_naive", "layer_norm", "instance_norm", "group_norm",
    "group_norm_naive", "local_response_norm", "local_response_norm_alexnet",
    "draw_norm_cube", "reduced_axes_mask",
]


def _check_input(x, min_ndim, name="x"):
    x = np.asarray(x)
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions (N, C, ...), "
                         f"got shape {x.shape} ({x.ndim}-D)")
    return x


def _check_channel_vector(name, value, channels):
    if value is None:
        return None
    value = np.asarray(value)
    if value.shape != (channels,):
        raise ValueError(f"{name} must have shape ({channels},) -- one entry per channel of x -- "
                         f"got shape {value.shape}")
    return value


def _per_channel(v, ndim):
    """Reshape a (C,) vector to broadcast against (N, C, *spatial)."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _affine(y, weight, bias):
    if weight is not None:
        y = y * _per_channel(weight, y.ndim)
    if bias is not None:
        y = y + _per_channel(bias, y.ndim)
    return y


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation (批归一化), as ``torch.nn.functional.batch_norm``.

    .. math::
        y = \\frac{x - \\mu_c}{\\sqrt{\\sigma_c^2 + \\epsilon}}\\,\\gamma_c + \\beta_c

    with :math:`\\mu_c, \\sigma^2_c` the mean and *biased* variance of channel ``c`` over
    the batch and spatial axes (training) or the running estimates (evaluation).

    Parameters
    ----------
    x : ndarray, shape (N, C, *spatial)
        At least 2-D; ``(N, C)`` for a fully connected layer, ``(N, C, H, W)`` for a conv.
    running_mean, running_var : ndarray, shape (C,), or None
        Running estimates.  Used to normalise when ``training`` is False (then they are
        required).  When ``training`` is True and they are given, they are **updated in
        place**: ``r <- (1 - momentum) * r + momentum * batch_stat``, where the variance
        pushed into ``running_var`` is the *unbiased* one (divided by ``n - 1``).
    weight, bias : ndarray, shape (C,), optional
        ``γ`` and ``β``.
    training : bool
        Normalise with the batch's statistics (True) or the running ones (False).
    momentum : float
        Weight of the *new* batch statistic (torch's convention; Keras's ``momentum=0.99``
        is the weight of the *old* value, i.e. torch's ``0.01``).
    eps : float

    Returns
    -------
    ndarray, shape like ``x``

    Raises
    ------
    ValueError
        ``x`` has fewer than 2 dimensions; a running statistic, weight or bias is not
        ``(C,)``; ``training`` with only one value per channel; evaluation without running
        statistics.

    Notes
    -----
    Ioffe & Szegedy, "Batch Normalization", ICML 2015 (arXiv:1502.03167), Algorithm 1
    (training) and Algorithm 2 (inference).  Algorithm 2 uses the *population* average of
    the mini-batch statistics; torch (and this function) uses an exponential moving average
    instead (``nn.BatchNorm2d(momentum=None)`` gives the cumulative average).
    """
    x = _check_input(x, 2)
    c = x.shape[1]
    running_mean = _check_channel_vector("running_mean", running_mean, c)
    running_var = _check_channel_vector("running_var", running_var, c)
    weight = _check_channel_vector("weight", weight, c)
    bias = _check_channel_vector("bias", bias, c)
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // c if c else 0
    if training and n <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {x.shape}; use a larger batch or evaluation mode")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("running_mean and running_var must be given in evaluation mode "
                         "(training=False); pass them or set training=True")
    if training:
        mean = x.mean(axis=axes)                                   # (C,)
        var = x.var(axis=axes)                                     # (C,) biased, 1/n
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += momentum * var * n / (n - 1)            # unbiased, 1/(n-1)
    else:
        mean, var = running_mean, running_var
    y = (x - _per_channel(mean, x.ndim)) / np.sqrt(_per_channel(var, x.ndim) + eps)
    return _affine(y, weight, bias)


def batch_norm_naive(x, weight=None, bias=None, eps=1e-5):
    """Training-mode batch norm of an ``(N, C, H, W)`` array with explicit loops over channels.

    The readable version of :func:`batch_norm` (no running statistics); tests compare them.
    """
    x = _check_input(x, 4)
    out = np.empty_like(x, dtype=np.result_type(x, np.float64))
    for c in range(x.shape[1]):
        values = x[:, c].ravel()                                   # all N*H*W values of channel c
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / len(values)
        out[:, c] = (x[:, c] - mean) / np.sqrt(var + eps)
        if weight is not None:
            out[:, c] *= weight[c]
        if bias is not None:
            out[:, c] += bias[c]
    return out


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation (层归一化), as ``torch.nn.functional.layer_norm``.

    Normalises over the trailing ``len(normalized_shape)`` axes of every sample.

    Parameters
    ----------
    x : ndarray, shape (*, *normalized_shape)
    normalized_shape : int or tuple of int
        Must equal the last axes of ``x``; for an image batch ``(N, C, H, W)`` the usual
        choice is ``(C, H, W)``.
    weight, bias : ndarray, shape normalized_shape, optional
        Element-wise affine parameters (note: *per element*, not per channel as in BN/GN).
    eps : float

    Returns
    -------
    ndarray, shape like ``x``

    Raises
    ------
    ValueError
        If the trailing axes of ``x`` differ from ``normalized_shape`` (torch: "Given
        normalized_shape=[5], expected input with shape [*, 5] ...") or weight/bias have
        another shape.

    Notes
    -----
    Ba, Kiros & Hinton, "Layer Normalization", 2016 (arXiv:1607.06450), eq. 4.
    """
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    x = np.asarray(x)
    k = len(normalized_shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != normalized_shape:
        raise ValueError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {list(x.shape)}; "
            "normalized_shape must equal the last axes of x, e.g. x.shape[1:] for (C, H, W)")
    for name, v in (("weight", weight), ("bias", bias)):
        if v is not None and np.shape(v) != normalized_shape:
            raise ValueError(f"{name} must have shape normalized_shape={normalized_shape}, "
                             f"got {np.shape(v)}")
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)                        # (*, 1, ..., 1)
    var = x.var(axis=axes, keepdims=True)                          # biased
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation (组归一化), as ``torch.nn.functional.group_norm``.

    The ``C`` channels are split into ``num_groups`` consecutive groups; each sample's
    group is normalised over its ``C/G`` channels and all spatial positions.
    ``num_groups=1`` is layer norm over ``(C, *spatial)``; ``num_groups=C`` is instance norm
    (both without their affine parameters -- GN's ``γ, β`` are per channel).

    Parameters
    ----------
    x : ndarray, shape (N, C, *spatial)
    num_groups : int
        ``G``; must divide ``C``.
    weight, bias : ndarray, shape (C,), optional
    eps : float

    Returns
    -------
    ndarray, shape like ``x``

    Raises
    ------
    ValueError
        ``C`` not divisible by ``num_groups`` (torch: "Expected number of channels in input
        to be divisible by num_groups ..."), or bad weight/bias shapes.

    Notes
    -----
    Wu & He, "Group Normalization", ECCV 2018 (arXiv:1803.08494), eq. 1 and Sec. 3.1 (S_i).
    """
    x = _check_input(x, 2)
    g = check_int("num_groups", num_groups, 1)
    n, c = x.shape[:2]
    if c % g:
        raise ValueError(f"Expected number of channels in input to be divisible by num_groups, "
                         f"but got input of shape {list(x.shape)} and num_groups={g}; "
                         f"choose num_groups among the divisors of {c}")
    if n * (c // g) * int(np.prod(x.shape[2:])) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{list(x.shape)} with num_groups={g}: each group holds a single value")
    weight = _check_channel_vector("weight", weight, c)
    bias = _check_channel_vector("bias", bias, c)
    grouped = x.reshape(n, g, -1)                                  # (N, G, C/G * prod(spatial))
    mean = grouped.mean(axis=2, keepdims=True)                     # (N, G, 1)
    var = grouped.var(axis=2, keepdims=True)                       # (N, G, 1) biased
    y = ((grouped - mean) / np.sqrt(var + eps)).reshape(x.shape)   # (N, C, *spatial)
    return _affine(y, weight, bias)


def group_norm_naive(x, num_groups, eps=1e-5):
    """:func:`group_norm` without affine, as explicit loops over samples and groups (for tests)."""
    x = _check_input(x, 2)
    n, c = x.shape[:2]
    size = c // num_groups
    out = np.empty(x.shape)
    for i in range(n):
        for grp in range(num_groups):
            block = x[i, grp * size:(grp + 1) * size]               # (C/G, *spatial)
            out[i, grp * size:(grp + 1) * size] = (block - block.mean()) / np.sqrt(block.var() + eps)
    return out


def instance_norm(x, weight=None, bias=None, eps=1e-5):
    """Instance normalisation (实例归一化), as ``torch.nn.functional.instance_norm``.

    Each ``(sample, channel)`` map is normalised over its spatial positions, i.e.
    :func:`group_norm` with ``num_groups = C``.

    Parameters
    ----------
    x : ndarray, shape (N, C, *spatial)
        At least 3-D, with more than one spatial element.
    weight, bias : ndarray, shape (C,), optional
    eps : float

    Returns
    -------
    ndarray, shape like ``x``

    Raises
    ------
    ValueError
        Fewer than 3 dimensions, or a single spatial element (torch: "Expected more than
        1 spatial element when training ...").

    Notes
    -----
    Ulyanov, Vedaldi & Lempitsky, "Instance Normalization", 2016 (arXiv:1607.08022), eq. 4.
    Running statistics (``use_input_stats=False`` in torch) are not supported.
    """
    x = _check_input(x, 3)
    if int(np.prod(x.shape[2:])) <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{x.shape}; instance norm needs a spatial extent")
    weight = _check_channel_vector("weight", weight, x.shape[1])
    bias = _check_channel_vector("bias", bias, x.shape[1])
    axes = tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)                        # (N, C, 1, ..., 1)
    var = x.var(axis=axes, keepdims=True)
    return _affine((x - mean) / np.sqrt(var + eps), weight, bias)


def _channel_window_sum(sq, front, back):
    """Sum of ``sq`` over channels ``c-front .. c+back`` (zero outside), for every ``c``."""
    pad = [(0, 0)] * sq.ndim
    pad[1] = (front + 1, back)
    csum = np.cumsum(np.pad(sq, pad), axis=1)                      # (N, C+front+back+1, ...)
    c = sq.shape[1]
    hi = csum[:, front + back + 1:front + back + 1 + c]
    lo = csum[:, :c]
    return hi - lo                                                 # (N, C, ...)


def local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalisation (局部响应归一化) across channels, torch's formula.

    .. math::
        b_c = a_c \\left(k + \\frac{\\alpha}{n} \\sum_{c'=c-\\lfloor n/2\\rfloor}^{c+\\lfloor (n-1)/2\\rfloor}
              a_{c'}^2\\right)^{-\\beta}

    Parameters
    ----------
    x : ndarray, shape (N, C, *spatial)
        At least 3-D.
    size : int
        ``n``, the number of neighbouring channels summed over (zero padded at the ends).
    alpha, beta, k : float

    Returns
    -------
    ndarray, shape like ``x``

    Raises
    ------
    ValueError
        Fewer than 3 dimensions (as torch) or ``size < 1``.

    Notes
    -----
    torch (and Caffe) divide ``alpha`` by ``size``; AlexNet's paper does not -- see
    :func:`local_response_norm_alexnet`.  For even ``size`` torch's window is asymmetric
    (``n/2`` channels before, ``n/2 - 1`` after).
    """
    x = _check_input(x, 3)
    n = check_int("size", size, 1)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    sq = x * x                                                     # (N, C, *spatial)
    div = (k + alpha / n * _channel_window_sum(sq, n // 2, (n - 1) // 2)) ** beta
    return x / div


def local_response_norm_alexnet(x, size=5, alpha=1e-4, beta=0.75, k=2.0):
    """LRN exactly as written in AlexNet (Krizhevsky et al., NeurIPS 2012, Sec. 3.3).

    .. math::
        b^i = a^i \\Big/ \\left(k + \\alpha \\sum_{j=\\max(0, i-n/2)}^{\\min(N-1, i+n/2)}
              (a^j)^2\\right)^{\\beta}

    with the paper's defaults ``k=2, n=5, α=1e-4, β=0.75``.  ``α`` is *not* divided by
    ``n``, so for odd ``size`` this equals ``local_response_norm(x, size, alpha * size, beta, k)``.
    The window is ``⌊n/2⌋`` channels on both sides (``n+1`` channels for even ``n``).

    Parameters and shapes as :func:`local_response_norm`.
    """
    x = _check_input(x, 3)
    n = check_int("size", size, 1)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    sq = x * x                                                     # (N, C, *spatial)
    return x / (k + alpha * _channel_window_sum(sq, n // 2, n // 2)) ** beta
