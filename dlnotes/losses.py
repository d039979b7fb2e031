"""Softmax, log-sum-exp and classification losses, numerically stable, in NumPy.

Every function here equals its torch/torchvision counterpart (same argument names,
defaults and reductions) and stays finite and warning-free for logits of ``±1e4``:
nothing ever exponentiates a positive number that could overflow, and nothing takes
the log of a probability that could round to 0.

Layout follows ``torch.nn.functional.cross_entropy``: logits are ``(N, C)``,
``(N, C, d1, ...)`` or unbatched ``(C,)``; class-index targets are ``(N,)``,
``(N, d1, ...)`` or ``()``.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_choice

__all__ = [
    "logsumexp", "softmax", "softmax_jacobian", "log_softmax", "cross_entropy",
    "binary_cross_entropy_with_logits", "sigmoid_focal_loss", "kl_div", "entropy",
]

_REDUCTIONS = ("none", "mean", "sum")


def _as_float(x, name):
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real-valued array, got dtype {x.dtype}")
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _check_axis(x, axis):
    if not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"axis={axis} is out of range for an array with {x.ndim} dimensions "
                         f"(shape {x.shape}); use -1 for the last axis")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def logsumexp(x, axis=-1, keepdims=False):
    """:math:`\\log\\sum_j e^{x_j}` along ``axis``, computed as :math:`m + \\log\\sum_j e^{x_j-m}`.

    With :math:`m = \\max_j x_j` every exponent is :math:`\\le 0`, so the sum lies in
    :math:`[1, n]`: no overflow, and its log never sees 0.

    Parameters
    ----------
    x : array_like, any shape
    axis : int
    keepdims : bool

    Returns
    -------
    ndarray
        ``x``'s shape without ``axis`` (or with it of length 1 if ``keepdims``); equal to
        ``torch.logsumexp(x, dim=axis)``.  A slice of all ``-inf`` gives ``-inf``.
    """
    x = _as_float(x, "x")
    _check_axis(x, axis)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)          # all -inf (or +inf) slices: shift by 0
    with np.errstate(divide="ignore"):            # log(0) = -inf for all -inf slices
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x, axis=-1):
    """:math:`\\log \\mathrm{softmax}(x)_i = x_i - \\mathrm{logsumexp}(x)`, equal to ``F.log_softmax``."""
    x = _as_float(x, "x")
    _check_axis(x, axis)
    # (x - m) - log(sum(exp(x - m))): subtracting m first keeps float32 precise when
    # |x| is large (x - logsumexp(x) would lose the digits of log(sum) next to m).
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    shifted = x - m
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis=-1):
    """:math:`\\mathrm{softmax}(x)_i = e^{x_i - m} / \\sum_j e^{x_j - m}`, :math:`m = \\max_j x_j`.

    The shift by the maximum is taken *per slice along* ``axis`` (per sample), not over
    the whole array; equal to ``torch.softmax(x, dim=axis)``.
    """
    x = _as_float(x, "x")
    _check_axis(x, axis)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))   # every exponent <= 0
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(x):
    """Jacobian of softmax over the last axis: :math:`J = \\mathrm{diag}(p) - pp^\\top`.

    .. math::
        J_{ij} = \\frac{\\partial p_i}{\\partial x_j} = p_i(\\delta_{ij} - p_j),
        \\qquad p = \\mathrm{softmax}(x).

    (Differentiate :math:`p_i = e^{x_i}/S`, :math:`S = \\sum_k e^{x_k}`: the numerator
    gives :math:`\\delta_{ij} p_i`, the denominator :math:`-e^{x_i}e^{x_j}/S^2 = -p_ip_j`.)
    Each row sums to 0 (softmax is shift-invariant) and :math:`J` is symmetric.

    Parameters
    ----------
    x : array_like, shape (..., C)
        Logits; the class axis is the last one (C >= 1).

    Returns
    -------
    ndarray, shape (..., C, C)
        ``J[..., i, j]``; equal to ``torch.autograd.functional.jacobian(lambda z:
        torch.softmax(z, -1), x)`` for a vector ``x``.

    Raises
    ------
    ValueError
        If ``x`` is a scalar (no class axis).
    """
    x = _as_float(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have a class axis: shape (C,) or (..., C), got a scalar")
    p = softmax(x, axis=-1)                                  # (..., C)
    eye = np.eye(x.shape[-1], dtype=p.dtype)                 # (C, C)
    return p[..., :, None] * eye - p[..., :, None] * p[..., None, :]   # (..., C, C)


def _check_class_targets(logits, target):
    target = np.asarray(target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class indices, got dtype {target.dtype}; "
                        "use target.astype(np.int64) (probability targets are not supported)")
    if logits.ndim == 0:
        raise ValueError("logits must have a class axis: shape (C,), (N, C) or (N, C, d1, ...)")
    expected = () if logits.ndim == 1 else (logits.shape[0],) + logits.shape[2:]
    if target.shape != expected:
        if logits.ndim > 1 and (target.ndim == 0 or target.shape[0] != logits.shape[0]):
            got = target.shape[0] if target.ndim else "scalar"
            raise ValueError(f"Expected input batch_size ({logits.shape[0]}) to match target "
                             f"batch_size ({got}): logits {logits.shape}, target {target.shape}")
        raise ValueError(f"target shape {target.shape} does not fit logits {logits.shape}; "
                         f"expected {expected} (logits without the class axis 1)")
    return target


def cross_entropy(logits, target, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    """Softmax cross-entropy (交叉熵) with class-index targets, as ``F.cross_entropy``.

    .. math::
        \\ell_n = -\\log \\mathrm{softmax}(x_n)_{y_n}
                = \\mathrm{logsumexp}(x_n) - x_{n, y_n}

    computed through :func:`log_softmax`, never through ``log(softmax(x))``.

    Parameters
    ----------
    logits : array_like, shape (N, C), (N, C, d1, ...) or (C,)
        Unnormalised scores.
    target : array_like of int, shape (N,), (N, d1, ...) or ()
        Class indices in ``[0, C)``, or ``ignore_index``.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` averages over the targets that are not ignored.
    ignore_index : int
        Targets equal to it contribute 0 and are left out of the mean.
    label_smoothing : float in [0, 1]
        Mixes the one-hot target with the uniform distribution (Szegedy et al., CVPR
        2016, §7): :math:`\\ell = (1-\\varepsilon)\\,\\ell_{\\text{nll}} + \\varepsilon \\cdot
        \\tfrac{1}{C}\\sum_c -\\log p_c`.

    Returns
    -------
    ndarray
        Shape of ``target`` for ``reduction='none'``, else a scalar.  ``nan`` when every
        target is ignored and ``reduction='mean'`` (as torch).

    Raises
    ------
    ValueError
        Unknown ``reduction``; ``label_smoothing`` outside [0, 1]; target shape that does
        not fit; a class index outside ``[0, C)`` (torch raises ``IndexError``).
    TypeError
        Non-integer ``target``.
    """
    check_choice("reduction", reduction, _REDUCTIONS)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    logits = _as_float(logits, "logits")
    target = _check_class_targets(logits, target)
    class_axis = 0 if logits.ndim == 1 else 1
    n_classes = logits.shape[class_axis]
    keep = target != ignore_index
    bad = keep & ((target < 0) | (target >= n_classes))
    if np.any(bad):
        raise ValueError(f"Target {target[bad].flat[0]} is out of bounds: class indices must be in "
                         f"[0, {n_classes}) or equal ignore_index={ignore_index}")
    logp = log_softmax(logits, axis=class_axis)                 # like logits
    safe = np.where(keep, target, 0)
    nll = -np.take_along_axis(logp, np.expand_dims(safe, class_axis), axis=class_axis)
    nll = np.squeeze(nll, axis=class_axis)                      # like target
    if label_smoothing > 0:
        smooth = -logp.mean(axis=class_axis)                   # like target
        nll = (1.0 - label_smoothing) * nll + label_smoothing * smooth
    loss = np.where(keep, nll, 0.0)
    if reduction == "mean":
        count = np.count_nonzero(keep)
        return np.asarray(loss.sum() / count if count else np.nan, dtype=logp.dtype)
    return _reduce(loss, reduction)


def _check_same_shape(logits, target):
    if logits.shape != target.shape:
        raise ValueError(f"Target size {target.shape} must be the same as input size "
                         f"{logits.shape}; reshape or broadcast the target explicitly")


def _softplus(x):
    """:math:`\\log(1 + e^{x}) = \\max(x, 0) + \\log(1 + e^{-|x|})`, never overflowing."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def binary_cross_entropy_with_logits(logits, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid cross-entropy on logits, as ``F.binary_cross_entropy_with_logits``.

    .. math::
        \\ell = -w\\,[\\,p\\,t \\log\\sigma(x) + (1-t)\\log(1-\\sigma(x))\\,]
              = w\\,[\\,p\\,t\\,\\mathrm{softplus}(-x) + (1-t)\\,\\mathrm{softplus}(x)\\,]

    using :math:`-\\log\\sigma(x) = \\mathrm{softplus}(-x)` and
    :math:`-\\log(1-\\sigma(x)) = \\mathrm{softplus}(x)`, with the overflow-free
    :math:`\\mathrm{softplus}(x) = \\max(x,0) + \\log(1+e^{-|x|})`.

    Parameters
    ----------
    logits : array_like, any shape
    target : array_like, same shape as ``logits``
        Targets in [0, 1] (soft targets allowed).
    weight : array_like, optional
        Broadcastable to ``logits``; multiplies each element's loss.
    reduction : {'mean', 'sum', 'none'}
    pos_weight : array_like, optional
        ``p`` above, broadcastable to ``logits`` (one per class, on the last axis).

    Raises
    ------
    ValueError
        Unknown ``reduction``, or ``target`` of a different shape (torch raises too).
    """
    check_choice("reduction", reduction, _REDUCTIONS)
    x = _as_float(logits, "logits")
    t = _as_float(target, "target")
    _check_same_shape(x, t)
    if pos_weight is None:
        loss = t * _softplus(-x) + (1.0 - t) * _softplus(x)
    else:
        loss = np.asarray(pos_weight) * t * _softplus(-x) + (1.0 - t) * _softplus(x)
    if weight is not None:
        loss = loss * np.asarray(weight)
    return _reduce(loss, reduction)


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """Focal loss (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017, eq. 5).

    .. math::
        \\mathrm{FL}(p_t) = -\\alpha_t (1 - p_t)^{\\gamma} \\log p_t,\\quad
        p_t = \\begin{cases} p & t = 1 \\\\ 1-p & t = 0\\end{cases},\\quad
        \\alpha_t = \\begin{cases} \\alpha & t = 1 \\\\ 1-\\alpha & t = 0\\end{cases}

    with :math:`p = \\sigma(x)`.  For soft targets :math:`p_t = pt + (1-p)(1-t)` and
    :math:`\\alpha_t = \\alpha t + (1-\\alpha)(1-t)`, exactly as
    ``torchvision.ops.sigmoid_focal_loss``.  :math:`-\\log p_t` is the sigmoid
    cross-entropy :func:`binary_cross_entropy_with_logits`; ``gamma = 0`` and
    ``alpha = -1`` give back plain BCE.

    Parameters
    ----------
    inputs : array_like, any shape
        Logits.
    targets : array_like, same shape
        0 (negative) or 1 (positive); values in between are allowed.
    alpha : float in [0, 1], or -1 for no class weighting
    gamma : float >= 0
        Focusing parameter: easy examples (:math:`p_t \\to 1`) are down-weighted by
        :math:`(1-p_t)^\\gamma`.
    reduction : {'none', 'mean', 'sum'}
        Default ``'none'``, as torchvision (not ``'mean'``).

    Notes
    -----
    :math:`1 - p_t` is computed as :math:`\\sigma(x)(1-t) + \\sigma(-x)\\,t` (algebraically
    equal), which avoids the cancellation ``1 - p_t`` suffers when :math:`p_t \\approx 1`.

    Raises
    ------
    ValueError
        ``alpha`` outside [0, 1] and not -1, negative ``gamma``, unknown ``reduction`` or
        a shape mismatch.
    """
    from .activations import sigmoid

    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] "
                         "or -1 for ignore.")
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    check_choice("reduction", reduction, _REDUCTIONS)
    x = _as_float(inputs, "inputs")
    t = _as_float(targets, "targets")
    _check_same_shape(x, t)
    ce = binary_cross_entropy_with_logits(x, t, reduction="none")   # -log p_t
    one_minus_pt = sigmoid(x) * (1.0 - t) + sigmoid(-x) * t
    loss = ce * one_minus_pt ** gamma
    if alpha >= 0:
        loss = (alpha * t + (1.0 - alpha) * (1.0 - t)) * loss
    return _reduce(loss, reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    """Kullback-Leibler divergence :math:`\\sum t\\,(\\log t - \\text{input})`, as ``F.kl_div``.

    Parameters
    ----------
    input : array_like
        **Log**-probabilities :math:`\\log q` (e.g. from :func:`log_softmax`).
    target : array_like, same shape
        Probabilities :math:`p` (or :math:`\\log p` if ``log_target``).  Terms with
        :math:`p = 0` contribute 0 (:math:`0 \\log 0 = 0`).
    reduction : {'mean', 'sum', 'none', 'batchmean'}
        ``'batchmean'`` (sum / N) is the mathematical :math:`\\mathrm{KL}(p\\,\\|\\,q)` per
        sample; torch's default ``'mean'`` divides by the number of *elements*.

    Returns
    -------
    ndarray
    """
    check_choice("reduction", reduction, _REDUCTIONS + ("batchmean",))
    logq = _as_float(input, "input")
    t = _as_float(target, "target")
    _check_same_shape(logq, t)
    if log_target:
        with np.errstate(invalid="ignore"):      # log p = -inf: 0 * inf -> define as 0
            loss = np.where(np.isneginf(t), 0.0, np.exp(t) * (t - logq))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1.0)) - logq), 0.0)
    if reduction == "batchmean":
        return loss.sum() / (loss.shape[0] if loss.ndim else 1)
    return _reduce(loss, reduction)


def entropy(p, axis=-1):
    """Shannon entropy (熵) :math:`H(p) = -\\sum_i p_i \\log p_i` in nats, with :math:`0\\log 0 = 0`.

    Used to check :math:`H(p, q) = H(p) + \\mathrm{KL}(p\\,\\|\\,q)`.
    """
    p = _as_float(p, "p")
    _check_axis(p, axis)
    safe = np.where(p > 0, p, 1.0)
    return -np.sum(np.where(p > 0, p * np.log(safe), 0.0), axis=axis)
