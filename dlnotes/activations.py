"""Activation functions (激活函数) and their derivatives, in NumPy.

Each activation ``f`` comes with ``f_grad(x)``, the derivative ``f'(x)`` evaluated at
the *input* ``x`` (element-wise, same shape).  Defaults and the value of the derivative
at kinks (``x = 0``) follow torch's autograd:

============  ==============================  =======================================
function      torch counterpart               derivative at 0 (torch's convention)
============  ==============================  =======================================
sigmoid       ``torch.sigmoid``               1/4
tanh          ``torch.tanh``                  1
relu          ``F.relu``                      0
leaky_relu    ``F.leaky_relu(slope=0.01)``    ``negative_slope``
elu           ``F.elu(alpha=1.0)``            ``alpha``
gelu          ``F.gelu(approximate='none')``  1/2
============  ==============================  =======================================

Every function accepts any array shape, keeps float32 as float32 (other inputs become
float64) and is finite and warning-free for inputs up to ``|x| = 1e4``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc

from ._validate import check_choice

__all__ = [
    "sigmoid", "sigmoid_reference", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad", "elu", "elu_grad", "gelu", "gelu_grad",
    "ACTIVATIONS",
]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_COEF = 0.044715


def _as_float(x):
    """``x`` as a floating ndarray: float32/float64 kept, everything else -> float64."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x


def sigmoid(x):
    """Logistic sigmoid :math:`\\sigma(x) = 1 / (1 + e^{-x})`, numerically stable.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
        Values in ``[0, 1]``; equal to ``torch.sigmoid`` and ``scipy.special.expit``.

    Notes
    -----
    Only ``e^{-|x|}`` is ever computed, which lies in ``(0, 1]`` and cannot overflow:

    .. math::
        \\sigma(x) = \\begin{cases} 1/(1+z) & x \\ge 0 \\\\ z/(1+z) & x < 0 \\end{cases},
        \\qquad z = e^{-|x|}.

    Both branches are exact rewrites of the formula (multiply top and bottom by
    :math:`e^{x}` for ``x < 0``), so nothing is clipped: ``sigmoid(-4000)`` is 0.0, the
    float nearest to :math:`e^{-4000}`, unlike note 003's ``np.clip(x, -709, None)``
    version, which returns :math:`\\sigma(-709) \\approx 1.2\\times10^{-308}` for every
    ``x < -709``; and ``sigmoid(-720)`` keeps the subnormal :math:`e^{-720}`.

    Accuracy: three roundings (``exp``, the addition, the division), so the result is
    within 2 ulp of the true value, not always the correctly rounded float; about 4 in
    10 random inputs in [-40, 40] are 1 ulp off (``tests/test_activations.py`` measures
    it against :func:`sigmoid_reference`).  ``scipy.special.expit`` and
    ``torch.sigmoid`` behave the same way.
    """
    x = _as_float(x)
    z = np.exp(-np.abs(x))          # in (0, 1]: never overflows; underflow to 0 is silent
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)


def sigmoid_reference(x, digits=60):
    """The correctly rounded sigmoid, computed in decimal arithmetic (slow: a reference).

    Each element is converted exactly to a ``decimal.Decimal``, and
    :math:`1/(1+e^{-x})` is evaluated with ``digits`` significant digits (``Decimal.exp``
    is correctly rounded to that precision); the final conversion to float64 rounds to
    nearest.  With 60 digits the only error is that last rounding, unless the true value
    lies within :math:`10^{-59}` (relative) of a rounding boundary.

    Parameters
    ----------
    x : array_like of float, any shape
    digits : int >= 20
        Working precision in decimal digits.

    Returns
    -------
    ndarray of float64, same shape as ``x``

    Raises
    ------
    ValueError
        If ``digits`` < 20 (too few to serve as a float64 reference).
    """
    import decimal

    if not (isinstance(digits, int) and digits >= 20):
        raise ValueError(f"digits must be an int >= 20 for a float64 reference, got {digits!r}")
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape)
    with decimal.localcontext() as ctx:
        ctx.prec = digits
        ctx.Emin, ctx.Emax = -10**6, 10**6          # e^(+-1e4) must not trap
        for i, v in np.ndenumerate(x):
            out[i] = float(1 / (1 + (-decimal.Decimal(float(v))).exp()))
    return out


def sigmoid_grad(x):
    """Derivative :math:`\\sigma'(x) = \\sigma(x)(1-\\sigma(x))`, at most 1/4 (at x = 0).

    Notes
    -----
    Computed as :math:`z/(1+z)^2` with :math:`z = e^{-|x|}` (the derivative is even), which
    keeps full relative precision in the tails, where :math:`\\sigma'(x) \\approx e^{-|x|}`.  torch's autograd computes
    ``s * (1 - s)`` from the output ``s``; that product rounds to exactly 0 once
    ``1 - s`` does (``x >= 37`` in float64), whereas the true value there is about
    :math:`e^{-x}`.  Both agree to ``atol=1e-16``.
    """
    x = _as_float(x)
    z = np.exp(-np.abs(x))
    return (z / (1.0 + z) ** 2).astype(x.dtype, copy=False)


def tanh(x):
    """Hyperbolic tangent :math:`\\tanh(x) = (e^{x}-e^{-x})/(e^{x}+e^{-x}) = 2\\sigma(2x) - 1`.

    Equal to ``torch.tanh`` (``np.tanh`` is already stable for any ``x``).
    """
    return np.tanh(_as_float(x))


def tanh_grad(x):
    """Derivative :math:`\\tanh'(x) = 1 - \\tanh^2(x) = 4\\sigma'(2x)`, at most 1 (at x = 0).

    In the tails :math:`\\tanh'(x) \\approx 4e^{-2|x|}`: it decays twice as fast (in the
    exponent) as :math:`\\sigma'(x) \\approx e^{-|x|}`, and is the smaller of the two for
    :math:`|x| > 1.663`.  ``1 - t*t`` rounds to 0 once ``|t|`` rounds to 1 (``|x| >= 18.99``
    in float64), as in torch's autograd.
    """
    t = np.tanh(_as_float(x))
    return 1.0 - t * t


def relu(x):
    """Rectified linear unit :math:`\\max(x, 0)` (Nair & Hinton, ICML 2010)."""
    x = _as_float(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_grad(x):
    """Derivative of ReLU: 1 for ``x > 0``, else 0 (torch uses 0 at the kink ``x = 0``)."""
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


def leaky_relu(x, negative_slope=0.01):
    """Leaky ReLU: ``x`` for ``x > 0``, ``negative_slope * x`` otherwise (Maas et al., 2013)."""
    x = _as_float(x)
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)


def leaky_relu_grad(x, negative_slope=0.01):
    """Derivative of leaky ReLU: 1 for ``x > 0``, ``negative_slope`` otherwise (also at 0, as torch)."""
    x = _as_float(x)
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype, copy=False)


def elu(x, alpha=1.0):
    """Exponential linear unit (Clevert et al., ICLR 2016, eq. 1).

    ``x`` for ``x > 0``, :math:`\\alpha(e^{x} - 1)` otherwise.  ``np.expm1`` is evaluated on
    ``min(x, 0)`` only, so large positive inputs never overflow.
    """
    x = _as_float(x)
    neg = alpha * np.expm1(np.minimum(x, 0))
    return np.where(x > 0, x, neg).astype(x.dtype, copy=False)


def elu_grad(x, alpha=1.0):
    """Derivative of ELU: 1 for ``x > 0``, :math:`\\alpha e^{x}` otherwise (``alpha`` at 0, as torch)."""
    x = _as_float(x)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype, copy=False)


def gelu(x, approximate="none"):
    """Gaussian error linear unit :math:`x\\,\\Phi(x)` (Hendrycks & Gimpel, arXiv:1606.08415).

    Parameters
    ----------
    x : array_like, any shape
    approximate : {'none', 'tanh'}
        ``'none'``: the exact form :math:`\\tfrac{x}{2}(1 + \\operatorname{erf}(x/\\sqrt2))`,
        evaluated as :math:`\\tfrac{x}{2}\\operatorname{erfc}(-x/\\sqrt2)` to avoid cancellation
        for negative ``x``.
        ``'tanh'``: the paper's approximation
        :math:`\\tfrac{x}{2}(1 + \\tanh(\\sqrt{2/\\pi}(x + 0.044715x^3)))`, as
        ``F.gelu(x, approximate='tanh')``.

    Raises
    ------
    ValueError
        If ``approximate`` is not ``'none'`` or ``'tanh'`` (torch raises too).
    """
    check_choice("approximate", approximate, ("none", "tanh"))
    x = _as_float(x)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + _GELU_TANH_COEF * x ** 3)
        # (1 + tanh(u)) / 2 = sigmoid(2u): no cancellation when tanh(u) is close to -1
        return (x * sigmoid(2.0 * inner)).astype(x.dtype, copy=False)
    # Phi(x) = erfc(-x / sqrt 2) / 2, which keeps its digits in the left tail (1 + erf does not)
    return (0.5 * x * erfc(-x / math.sqrt(2.0))).astype(x.dtype, copy=False)


def gelu_grad(x, approximate="none"):
    """Derivative of GELU: :math:`\\Phi(x) + x\\,\\varphi(x)` (or of its tanh approximation).

    Notes
    -----
    For ``approximate='tanh'`` the factors :math:`1 \\pm \\tanh u` are computed as
    :math:`2\\sigma(\\pm 2u)`; torch's formula ``1 + tanh(u)`` loses digits to cancellation for
    :math:`x \\lesssim -3` (relative error ~1e-8 at ``x = -5.6``), ours does not.  Both agree to
    ``atol=1e-15``.
    """
    check_choice("approximate", approximate, ("none", "tanh"))
    x = _as_float(x)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + _GELU_TANH_COEF * x ** 3)
        s, s_neg = sigmoid(2.0 * inner), sigmoid(-2.0 * inner)   # (1 ± tanh u) / 2, both accurate
        d_inner = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_COEF * x ** 2)
        out = s + 2.0 * x * s * s_neg * d_inner
        return out.astype(x.dtype, copy=False)
    cdf = 0.5 * erfc(-x / math.sqrt(2.0))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return (cdf + x * pdf).astype(x.dtype, copy=False)


#: name -> (function, derivative); used by :mod:`dlnotes.backprop` and the plots.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "gelu": (gelu, gelu_grad),
}
