"""Optimizers from scratch in NumPy, step for step equal to ``torch.optim``.

Each class is built like its ``torch.optim`` namesake -- a list of parameters plus the
same keyword arguments and defaults -- except that the parameters are NumPy arrays
(updated in place) and :meth:`Optimizer.step` takes the gradients explicitly, one per
parameter.  The per-parameter state uses torch's names (``momentum_buffer``, ``sum``,
``square_avg``, ``grad_avg``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``, ``step``)
so the two can be compared entry by entry.

The second half of the module holds 2-D test surfaces (Rosenbrock, an ill-conditioned
quadratic, Beale) and :func:`run_trajectory`, which follows an optimizer across one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._validate import check_choice, check_int

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
           "Surface", "SURFACES", "get_surface", "run_trajectory", "run_trajectory_reference"]


def _nonneg(what, name, value):
    """torch's ``Invalid <what>: <value>`` check, with the parameter's name added."""
    if not value >= 0.0:  # also rejects NaN, as torch does
        raise ValueError(f"Invalid {what}: {name}={value!r}; it must be >= 0")
    return float(value)


def _lerp(start, end, weight):
    """``torch.lerp`` exactly: two formulas, chosen by ``weight`` for accuracy."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class Optimizer:
    """Base class: holds the parameters, their state and the shared checks.

    Parameters
    ----------
    params : list of ndarray
        Floating-point arrays of any shape, updated in place by :meth:`step`.
    """

    def __init__(self, params, maximize=False):
        if isinstance(params, np.ndarray):
            raise TypeError("params must be a list of arrays, got a single ndarray; "
                            "wrap it: [param]")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                kind = p.dtype if isinstance(p, np.ndarray) else type(p).__name__
                raise TypeError(f"params[{i}] must be a floating-point ndarray (it is updated "
                                f"in place), got {kind}; use np.asarray(p, dtype=float)")
        self.params = params
        self.maximize = bool(maximize)
        self.state = [{} for _ in params]

    def step(self, grads):
        """Update every parameter in place from its gradient.

        Parameters
        ----------
        grads : list of ndarray
            ``grads[i]`` has the shape of ``params[i]``.
        """
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"step() needs one gradient per parameter: {len(self.params)} "
                             f"parameters, got {len(grads)} gradients")
        grads = [np.asarray(g, dtype=p.dtype) for g, p in zip(grads, self.params)]
        for i, (g, p) in enumerate(zip(grads, self.params)):
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape} but params[{i}] has shape "
                                 f"{p.shape}; pass the gradient of that parameter")
        for p, g, state in zip(self.params, grads, self.state):
            self._update(p, -g if self.maximize else g, state)

    def _update(self, param, grad, state):  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    .. math::
        g_t = \\nabla f(\\theta_{t-1}) + \\lambda\\theta_{t-1},\\quad
        b_t = \\mu b_{t-1} + (1-\\tau) g_t\\ (b_1 = g_1),\\quad
        \\theta_t = \\theta_{t-1} - \\eta\\,(g_t + \\mu b_t \\text{ if nesterov else } b_t)

    Parameters
    ----------
    params : list of ndarray
    lr : float, default 1e-3
        Learning rate :math:`\\eta`.
    momentum : float, default 0
        :math:`\\mu`; 0 is plain SGD.
    dampening : float, default 0
        :math:`\\tau`, scales the new gradient in the buffer (not on the first step).
    weight_decay : float, default 0
        L2 penalty :math:`\\lambda`, added to the gradient.
    nesterov : bool, default False
        Nesterov momentum (Sutskever et al., ICML 2013, eq. 3-4, in torch's form).
    maximize : bool, default False

    Raises
    ------
    ValueError
        Negative ``lr``/``momentum``/``weight_decay``; ``nesterov`` without momentum
        or with dampening.

    Notes
    -----
    Like torch, the buffer is ``b = mu*b + g`` (the lr multiplies it later), not
    Polyak's / Sutskever's ``v = mu*v - lr*g``; the two agree while ``lr`` is constant.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        self.lr = _nonneg("learning rate", "lr", lr)
        self.momentum = _nonneg("momentum value", "momentum", momentum)
        self.weight_decay = _nonneg("weight_decay value", "weight_decay", weight_decay)
        self.dampening = float(dampening)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening: got "
                             f"momentum={momentum!r}, dampening={dampening!r}")
        self.nesterov = bool(nesterov)
        super().__init__(params, maximize)

    def _update(self, param, grad, state):
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        if self.momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            grad = grad + self.momentum * buf if self.nesterov else buf
        param -= self.lr * grad


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, JMLR 2011, eq. 1 diagonal form), as ``torch.optim.Adagrad``.

    .. math::
        s_t = s_{t-1} + g_t^2,\\qquad
        \\theta_t = \\theta_{t-1} - \\frac{\\eta}{1 + (t-1)\\,\\text{lr\\_decay}}
        \\frac{g_t}{\\sqrt{s_t} + \\epsilon}

    Parameters
    ----------
    params : list of ndarray
    lr : float, default 1e-2
    lr_decay : float, default 0
    weight_decay : float, default 0
    initial_accumulator_value : float, default 0
        Starting value of the sum of squares :math:`s_0`.
    eps : float, default 1e-10
    maximize : bool, default False

    Notes
    -----
    :math:`s_t` never decreases, so the effective step ``lr / (sqrt(s_t) + eps)``
    shrinks for ever -- the property RMSprop was designed to fix.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        self.lr = _nonneg("learning rate", "lr", lr)
        self.lr_decay = _nonneg("lr_decay value", "lr_decay", lr_decay)
        self.weight_decay = _nonneg("weight_decay value", "weight_decay", weight_decay)
        self.initial_accumulator_value = _nonneg(
            "initial_accumulator_value value", "initial_accumulator_value",
            initial_accumulator_value)
        self.eps = _nonneg("epsilon value", "eps", eps)
        super().__init__(params, maximize)
        for p, state in zip(self.params, self.state):
            state["step"] = 0
            state["sum"] = np.full_like(p, self.initial_accumulator_value)

    def _update(self, param, grad, state):
        state["step"] += 1
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        state["sum"] += grad * grad
        std = np.sqrt(state["sum"]) + self.eps
        param -= clr * (grad / std)


class RMSprop(Optimizer):
    """RMSprop (Hinton, Coursera lecture 6e, 2012), as ``torch.optim.RMSprop``.

    .. math::
        v_t = \\alpha v_{t-1} + (1-\\alpha) g_t^2,\\qquad
        \\theta_t = \\theta_{t-1} - \\eta \\frac{g_t}{\\sqrt{v_t} + \\epsilon}

    With ``centered`` the denominator is :math:`\\sqrt{v_t - \\bar g_t^2}`, with
    :math:`\\bar g_t` the running mean of the gradient (Graves 2013, arXiv:1308.0850,
    eq. 38-41); with ``momentum`` the step goes through a buffer
    :math:`b_t = \\mu b_{t-1} + g_t / (\\sqrt{\\cdot} + \\epsilon)`.

    Parameters
    ----------
    params : list of ndarray
    lr : float, default 1e-2
    alpha : float, default 0.99
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False
    maximize : bool, default False
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        self.lr = _nonneg("learning rate", "lr", lr)
        self.eps = _nonneg("epsilon value", "eps", eps)
        self.momentum = _nonneg("momentum value", "momentum", momentum)
        self.weight_decay = _nonneg("weight_decay value", "weight_decay", weight_decay)
        self.alpha = _nonneg("alpha value", "alpha", alpha)
        self.centered = bool(centered)
        super().__init__(params, maximize)
        for p, state in zip(self.params, self.state):
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p)

    def _update(self, param, grad, state):
        state["step"] += 1
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        sq = state["square_avg"]
        sq *= self.alpha
        sq += (1 - self.alpha) * grad * grad
        if self.centered:
            state["grad_avg"][...] = _lerp(state["grad_avg"], grad, 1 - self.alpha)
            avg = np.sqrt(sq - state["grad_avg"] * state["grad_avg"])
        else:
            avg = np.sqrt(sq)
        avg += self.eps
        if self.momentum > 0:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += grad / avg
            param -= self.lr * buf
        else:
            param -= self.lr * (grad / avg)


class Adam(Optimizer):
    """Adam (Kingma & Ba, ICLR 2015, arXiv:1412.6980, Algorithm 1), as ``torch.optim.Adam``.

    .. math::
        m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t,\\quad
        v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2,\\quad
        \\theta_t = \\theta_{t-1} - \\frac{\\eta}{1-\\beta_1^t}
        \\frac{m_t}{\\sqrt{v_t / (1-\\beta_2^t)} + \\epsilon}

    Parameters
    ----------
    params : list of ndarray
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        Each in ``[0, 1)``.
    eps : float, default 1e-8
    weight_decay : float, default 0
        Adam: L2 penalty added to the gradient (coupled).  AdamW: decoupled decay.
    amsgrad : bool, default False
        Use the running maximum of :math:`v_t` (Reddi et al., ICLR 2018, Algorithm 2).
    maximize : bool, default False

    Notes
    -----
    :math:`\\epsilon` is added after the bias correction of :math:`\\sqrt{v_t}`, as in
    the paper's Algorithm 1 and torch (not the paper's "efficient" variant of §2).
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
        self.lr = _nonneg("learning rate", "lr", lr)
        self.eps = _nonneg("epsilon value", "eps", eps)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: betas[{i}]={b!r}; "
                                 "each beta must be in [0, 1)")
        self.betas = (float(betas[0]), float(betas[1]))
        self.weight_decay = _nonneg("weight_decay value", "weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)
        super().__init__(params, maximize)
        for p, state in zip(self.params, self.state):
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p)

    def _update(self, param, grad, state):
        beta1, beta2 = self.betas
        state["step"] += 1
        t = state["step"]
        if self.weight_decay != 0:
            if self._decoupled:
                param *= 1 - self.lr * self.weight_decay
            else:
                grad = grad + self.weight_decay * param
        state["exp_avg"][...] = _lerp(state["exp_avg"], grad, 1 - beta1)
        v = state["exp_avg_sq"]
        v *= beta2
        v += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1 ** t
        bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        denom = np.sqrt(v) / bias_correction2_sqrt + self.eps
        param -= (self.lr / bias_correction1) * (state["exp_avg"] / denom)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019,
    arXiv:1711.05101, Algorithm 2), as ``torch.optim.AdamW``.

    Before the Adam step, :math:`\\theta \\leftarrow \\theta(1 - \\eta\\lambda)`; the decay
    never enters :math:`m_t` or :math:`v_t`.  Default ``weight_decay=1e-2``.

    Notes
    -----
    torch multiplies the decay by the full ``lr`` (the paper uses a schedule
    multiplier :math:`\\eta_t` and a separate :math:`\\lambda`).
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


# --------------------------------------------------------------------------------------
# Test surfaces and trajectories
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Surface:
    """A 2-D test function with its gradient, minimum and a plotting window.

    ``f(x, y)`` uses only arithmetic, so it works on floats, NumPy arrays (for contour
    plots) and torch tensors (for autograd checks) alike.
    """

    name: str
    f: Callable
    grad: Callable
    minimum: tuple
    start: tuple
    xlim: tuple
    ylim: tuple
    log_levels: bool = True

    def __call__(self, x, y):
        return self.f(x, y)


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _rosenbrock_grad(x, y):
    return np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)])


def _quadratic(x, y):  # Hessian diag(1, 25): condition number 25
    return 0.5 * (x ** 2 + 25 * y ** 2)


def _quadratic_grad(x, y):
    return np.array([x, 25 * y])


def _beale(x, y):
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


def _beale_grad(x, y):
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3
    dx = 2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1)
    dy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y ** 2
    return np.array([dx, dy])


SURFACES = {
    "rosenbrock": Surface("rosenbrock", _rosenbrock, _rosenbrock_grad, (1.0, 1.0),
                          (-1.2, 1.0), (-2.0, 2.0), (-1.0, 3.0)),
    "quadratic": Surface("quadratic", _quadratic, _quadratic_grad, (0.0, 0.0),
                         (-4.0, 1.5), (-4.5, 4.5), (-2.0, 2.0)),
    "beale": Surface("beale", _beale, _beale_grad, (3.0, 0.5),
                     (1.0, 1.5), (-1.0, 4.5), (-1.5, 2.0)),
}
"""Rosenbrock (a=1, b=100; minimum (1, 1)), the quadratic ½(x² + 25y²) (minimum (0, 0),
condition number 25) and Beale's function (minimum (3, 0.5))."""


def get_surface(surface):
    """Return a :class:`Surface` given itself or its name (one of :data:`SURFACES`)."""
    if isinstance(surface, Surface):
        return surface
    return SURFACES[check_choice("surface", surface, tuple(SURFACES))]


def run_trajectory(optimizer_cls, start, surface, steps, **kwargs):
    """Follow ``optimizer_cls`` across a test surface.

    Parameters
    ----------
    optimizer_cls : type
        One of this module's optimizer classes (or any with the same interface).
    start : (float, float) or None
        Starting point; ``None`` uses the surface's default start.
    surface : str or Surface
        ``"rosenbrock"``, ``"quadratic"``, ``"beale"`` or a :class:`Surface`.
    steps : int
        Number of optimizer steps (>= 0).
    **kwargs
        Hyper-parameters passed to ``optimizer_cls`` (``lr``, ``momentum``, ``betas`` ...).

    Returns
    -------
    ndarray, shape (steps + 1, 2)
        The points visited, the start included.  Once a point stops being finite the
        rest of the path is NaN (the optimizer diverged).
    """
    surface = get_surface(surface)
    steps = check_int("steps", steps, 0)
    xy = np.array(surface.start if start is None else start, dtype=np.float64)
    if xy.shape != (2,):
        raise ValueError(f"start must be a point (x, y), got {start!r}")
    opt = optimizer_cls([xy], **kwargs)
    path = np.full((steps + 1, 2), np.nan)
    path[0] = xy
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            opt.step([surface.grad(*xy)])
            if not np.all(np.isfinite(xy)):
                break
            path[t] = xy
    return path


def run_trajectory_reference(torch_optimizer_cls, start, surface, steps, **kwargs):
    """:func:`run_trajectory` with a ``torch.optim`` class and autograd gradients.

    The oracle the tests and the chapter compare :func:`run_trajectory` with.

    Returns
    -------
    ndarray, shape (steps + 1, 2)
    """
    import torch

    surface = get_surface(surface)
    steps = check_int("steps", steps, 0)
    xy = torch.tensor(surface.start if start is None else start, dtype=torch.float64,
                      requires_grad=True)
    opt = torch_optimizer_cls([xy], foreach=False, **kwargs)
    path = np.full((steps + 1, 2), np.nan)
    path[0] = xy.detach().numpy()
    for t in range(1, steps + 1):
        opt.zero_grad()
        surface.f(xy[0], xy[1]).backward()
        opt.step()
        if not torch.isfinite(xy).all():
            break
        path[t] = xy.detach().numpy()
    return path

