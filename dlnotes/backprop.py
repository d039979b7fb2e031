"""Backpropagation (反向传播) by hand, and vanishing/exploding gradients measured.

Part 1, NumPy, checked against autograd: the backward pass of a linear layer, of a small
MLP with softmax cross-entropy, and of a 2-D convolution (whose input gradient is itself
a convolution with the flipped kernel, :func:`dlnotes.conv.conv2d`).

Part 2, torch: deep MLPs built for experiments (activation × initialisation × batch
normalisation × residual connections), the gradient norm of every layer, gradient-norm
clipping, and a tiny training loop to measure each remedy.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validate import check_choice, check_int, pair
from .activations import ACTIVATIONS
from .conv import conv2d, conv_output_size
from .losses import softmax

__all__ = [
    "linear_forward", "linear_backward", "softmax_cross_entropy_grad",
    "mlp_init", "mlp_forward", "mlp_backward", "mlp_loss_and_grads",
    "conv2d_backward", "numerical_gradient",
    "Conv2dByHand", "INITS", "DeepMLP", "layer_grad_norms", "clip_grad_norm", "train_steps",
]


# --------------------------------------------------------------------------- NumPy ---

def linear_forward(x, weight, bias=None):
    """:math:`y = xW^\\top + b`, as ``F.linear``: x (N, in), weight (out, in), bias (out,) -> (N, out)."""
    y = x @ weight.T                                   # (N, out)
    return y if bias is None else y + bias


def linear_backward(grad_out, x, weight):
    """Gradients of :func:`linear_forward` given :math:`G = \\partial L/\\partial y`.

    .. math::
        \\frac{\\partial L}{\\partial x} = G W,\\qquad
        \\frac{\\partial L}{\\partial W} = G^\\top x,\\qquad
        \\frac{\\partial L}{\\partial b} = \\textstyle\\sum_n G_n

    Parameters
    ----------
    grad_out : ndarray, shape (N, out)
    x : ndarray, shape (N, in)
    weight : ndarray, shape (out, in)

    Returns
    -------
    grad_x : ndarray, shape (N, in)
    grad_weight : ndarray, shape (out, in)
    grad_bias : ndarray, shape (out,)
    """
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)


def softmax_cross_entropy_grad(logits, target):
    """:math:`\\partial L/\\partial z = (\\mathrm{softmax}(z) - \\mathrm{onehot}(y)) / N` for the mean CE.

    Parameters
    ----------
    logits : ndarray, shape (N, C)
    target : ndarray of int, shape (N,)

    Returns
    -------
    ndarray, shape (N, C)
    """
    n = logits.shape[0]
    grad = softmax(logits, axis=1)                     # (N, C)
    grad[np.arange(n), target] -= 1.0
    return grad / n


def mlp_init(sizes, rng, init="kaiming"):
    """Weights and biases of an MLP with layer widths ``sizes`` (e.g. ``[64, 32, 10]``).

    ``init='kaiming'``: :math:`W \\sim \\mathcal N(0, 2/\\text{fan\\_in})`; ``'xavier'``:
    :math:`\\mathcal N(0, 2/(\\text{fan\\_in}+\\text{fan\\_out}))`.  Biases start at 0.

    Returns
    -------
    weights : list of ndarray, shapes (sizes[i+1], sizes[i])
    biases : list of ndarray, shapes (sizes[i+1],)
    """
    check_choice("init", init, ("kaiming", "xavier"))
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes!r}")
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        var = 2.0 / fan_in if init == "kaiming" else 2.0 / (fan_in + fan_out)
        weights.append(rng.standard_normal((fan_out, fan_in)) * np.sqrt(var))
        biases.append(np.zeros(fan_out))
    return weights, biases


def mlp_forward(x, weights, biases, activation="relu"):
    """Forward pass of an MLP: ``Linear → act → … → Linear`` (no activation on the logits).

    Parameters
    ----------
    x : ndarray, shape (N, in)
    weights, biases : lists from :func:`mlp_init`
    activation : str
        A key of :data:`dlnotes.activations.ACTIVATIONS`.

    Returns
    -------
    logits : ndarray, shape (N, out)
    cache : list of (input, pre_activation) per layer, kept for :func:`mlp_backward`
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    act, _ = ACTIVATIONS[activation]
    cache, h = [], x
    for i, (w, b) in enumerate(zip(weights, biases)):
        z = linear_forward(h, w, b)                    # (N, out_i)
        cache.append((h, z))
        h = z if i == len(weights) - 1 else act(z)
    return h, cache


def mlp_backward(grad_logits, cache, weights, activation="relu"):
    """Backward pass of :func:`mlp_forward`: the chain rule, layer by layer from the top.

    For each layer :math:`z = hW^\\top + b`, :math:`h' = f(z)`:
    :math:`\\partial L/\\partial z = \\partial L/\\partial h' \\odot f'(z)`, then
    :func:`linear_backward`.

    Returns
    -------
    grad_weights, grad_biases : lists like ``weights`` and the biases
    grad_x : ndarray, shape (N, in)
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    _, act_grad = ACTIVATIONS[activation]
    grad_w, grad_b = [None] * len(weights), [None] * len(weights)
    g = grad_logits                                    # dL/dz of the last layer
    for i in reversed(range(len(weights))):
        h, z = cache[i]
        if i != len(weights) - 1:
            g = g * act_grad(z)                        # through the activation
        g_in, grad_w[i], grad_b[i] = linear_backward(g, h, weights[i])
        g = g_in
    return grad_w, grad_b, g


def mlp_loss_and_grads(x, target, weights, biases, activation="relu"):
    """Mean softmax cross-entropy of the MLP and its gradients by hand.

    Returns
    -------
    loss : float
    grad_weights, grad_biases : lists like ``weights`` and ``biases``
    """
    from .losses import cross_entropy

    logits, cache = mlp_forward(x, weights, biases, activation)
    loss = float(cross_entropy(logits, target))
    gw, gb, _ = mlp_backward(softmax_cross_entropy_grad(logits, target), cache, weights, activation)
    return loss, gw, gb


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1):
    """Gradients of ``conv2d(x, weight, bias, stride, padding, dilation)`` (groups = 1).

    - :math:`\\partial L/\\partial b_o = \\sum_{n,i,j} G_{n,o,i,j}`
    - :math:`\\partial L/\\partial W_{o,c,u,v} = \\sum_{n,i,j} G_{n,o,i,j}\\,
      x^{pad}_{n,c,\\,si+du,\\,sj+dv}`: the input windows correlated with ``G``.
    - :math:`\\partial L/\\partial x`: spread ``G`` back over the windows.  With ``s - 1``
      zeros inserted between the rows/columns of ``G`` and a border of ``d(k-1)``
      zeros, this is a *full convolution with the kernel flipped by 180° and its
      in/out channels swapped*, computed here with :func:`dlnotes.conv.conv2d`.

    Parameters
    ----------
    grad_out : ndarray, shape (N, C_out, H_out, W_out)
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_out, C_in, kH, kW)
    stride, padding, dilation : int or pair of ints

    Returns
    -------
    grad_x : ndarray, shape (N, C_in, H, W)
    grad_weight : ndarray, shape (C_out, C_in, kH, kW)
    grad_bias : ndarray, shape (C_out,)

    Raises
    ------
    ValueError
        If ``grad_out`` does not have the shape the convolution produces.
    """
    (sh, sw), (ph, pw), (dh, dw) = pair("stride", stride, 1), pair("padding", padding, 0), \
        pair("dilation", dilation, 1)
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    ho = conv_output_size(h, kh, sh, ph, dh)
    wo = conv_output_size(w, kw, sw, pw, dw)
    if grad_out.shape != (n, c_out, ho, wo):
        raise ValueError(f"grad_out has shape {grad_out.shape}, but the convolution's output is "
                         f"{(n, c_out, ho, wo)}")
    grad_bias = grad_out.sum(axis=(0, 2, 3))           # (C_out,)

    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # (N, C_in, H+2p, W+2p)
    grad_weight = np.empty_like(weight, dtype=np.result_type(x, grad_out))
    for u in range(kh):
        for v in range(kw):
            patch = xp[:, :, u * dh: u * dh + sh * (ho - 1) + 1: sh,
                       v * dw: v * dw + sw * (wo - 1) + 1: sw]    # (N, C_in, Ho, Wo)
            grad_weight[:, :, u, v] = np.tensordot(grad_out, patch, axes=([0, 2, 3], [0, 2, 3]))

    # input gradient: dilate G by the stride, pad by d(k-1), correlate with the flipped kernel
    g = np.zeros((n, c_out, (ho - 1) * sh + 1, (wo - 1) * sw + 1), dtype=grad_out.dtype)
    g[:, :, ::sh, ::sw] = grad_out
    flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)     # (C_in, C_out, kH, kW)
    gxp = conv2d(g, np.ascontiguousarray(flipped), padding=(dh * (kh - 1), dw * (kw - 1)),
                 dilation=(dh, dw))                   # (N, C_in, (Ho-1)s + d(k-1) + 1, ...)
    full = np.zeros(xp.shape, dtype=gxp.dtype)         # rows the last window never reached get 0
    full[:, :, :gxp.shape[2], :gxp.shape[3]] = gxp
    return full[:, :, ph:ph + h, pw:pw + w], grad_weight, grad_bias


def numerical_gradient(f, x, eps=1e-6):
    """Central differences :math:`(f(x+\\epsilon e_i) - f(x-\\epsilon e_i)) / 2\\epsilon` for every entry.

    ``f`` maps the array ``x`` (modified in place and restored) to a scalar.  The error is
    :math:`O(\\epsilon^2)`; this is what ``torch.autograd.gradcheck`` compares against.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f(x)
        x[i] = old - eps
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


# --------------------------------------------------------------------------- torch ---

class Conv2dByHand(torch.autograd.Function):
    """``conv2d`` whose forward is :func:`dlnotes.conv.conv2d` and whose backward is
    :func:`conv2d_backward`, so that ``torch.autograd.gradcheck`` can test the hand-written
    gradients against finite differences.

    Call as ``Conv2dByHand.apply(x, weight, bias, stride, padding, dilation)`` with float64
    tensors ``x`` (N, C_in, H, W), ``weight`` (C_out, C_in, kH, kW), ``bias`` (C_out,).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride=1, padding=0, dilation=1):
        ctx.save_for_backward(x, weight)
        ctx.conf = (stride, padding, dilation)
        out = conv2d(x.detach().numpy(), weight.detach().numpy(), bias.detach().numpy(),
                     stride, padding, dilation)       # (N, C_out, H_out, W_out)
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        gx, gw, gb = conv2d_backward(grad_out.numpy(), x.detach().numpy(),
                                     weight.detach().numpy(), *ctx.conf)
        return torch.from_numpy(gx), torch.from_numpy(gw), torch.from_numpy(gb), None, None, None



#: initialisations for :class:`DeepMLP` (name -> description)
INITS = {
    "small": "N(0, 0.01²): too small, signals and gradients shrink layer by layer",
    "large": "N(0, 1): too large, pre-activations blow up (saturate sigmoid / explode ReLU)",
    "xavier": "Glorot & Bengio 2010: Var W = 2/(fan_in+fan_out), for tanh (derived for an "
              "activation with f'(0) = 1 and zero-mean outputs; sigmoid has neither)",
    "kaiming": "He et al. 2015: Var W = 2/fan_in, for ReLU",
}


_TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu,
                      "leaky_relu": F.leaky_relu, "elu": F.elu, "gelu": F.gelu}


class DeepMLP(nn.Module):
    """A deep MLP for gradient experiments (float64).

    An input ``Linear(in_features, width)`` + activation, then ``depth`` hidden
    ``Linear(width, width)`` layers, each optionally followed by ``BatchNorm1d``
    (Ioffe & Szegedy, ICML 2015), then the activation; an output
    ``Linear(width, out_features)`` gives the logits.  Weights are drawn from ``init``
    (a key of :data:`INITS`) with ``generator``; biases start at 0.

    Parameters
    ----------
    depth, width : int >= 1
        Number and width of the hidden layers.
    in_features, out_features : int
    activation : str
        ``'sigmoid'``, ``'tanh'``, ``'relu'``, ``'leaky_relu'``, ``'elu'`` or ``'gelu'``.
    init : str
        A key of :data:`INITS`.
    batchnorm : bool
        ``BatchNorm1d`` after every hidden ``Linear``.
    residual : bool
        Skip connections around every hidden layer.  By default a hidden layer computes
        :math:`h + f(\\mathrm{BN}(Wh + b))`: the branch ends in the activation, so with
        ReLU every block *adds* a non-negative output and the forward signal grows with
        depth.  With ``act_after_add=True`` it computes :math:`f(h + \\mathrm{BN}(Wh + b))`,
        the order of ResNet's blocks (He et al., CVPR 2016, eq. 1 and Fig. 2, where the
        ReLU follows the addition).
    act_after_add : bool
        See ``residual``; requires ``residual=True``.
    zero_init_residual : bool
        Set the scale :math:`\\gamma` of every hidden ``BatchNorm1d`` to 0, so that each
        residual branch starts by outputting 0 and every block starts as (nearly) the
        identity: torchvision's ``resnet(zero_init_residual=True)``, after Goyal et al.
        2017 (arXiv:1706.02677).  At initialisation the hidden weights then get zero
        gradient (only :math:`\\gamma` and :math:`\\beta` do).  Requires ``residual``,
        ``batchnorm`` and ``act_after_add``: the BN must end the branch, since a branch
        ending in ReLU would output :math:`\\mathrm{relu}(0) = 0` with zero gradient
        (torch's ReLU has derivative 0 at 0), and never start learning.
    generator : torch.Generator, optional

    Raises
    ------
    ValueError
        For an unknown ``activation``/``init``, ``depth``/``width`` < 1, or
        ``act_after_add``/``zero_init_residual`` without what they need.
    """

    def __init__(self, depth, width, in_features, out_features, activation="sigmoid",
                 init="xavier", batchnorm=False, residual=False, act_after_add=False,
                 zero_init_residual=False, generator=None):
        super().__init__()
        check_int("depth", depth, 1)
        check_int("width", width, 1)
        check_choice("activation", activation, tuple(_TORCH_ACTIVATIONS))
        check_choice("init", init, tuple(INITS))
        if act_after_add and not residual:
            raise ValueError("act_after_add=True needs residual=True (it orders the residual "
                             "addition and the activation)")
        if zero_init_residual and not (residual and batchnorm and act_after_add):
            raise ValueError("zero_init_residual=True needs residual=True, batchnorm=True and "
                             "act_after_add=True (it zeroes the BatchNorm scale that ends each "
                             "branch; a branch ending in ReLU would output relu(0) = 0 with zero "
                             f"gradient forever); got residual={residual}, batchnorm={batchnorm}, "
                             f"act_after_add={act_after_add}")
        self.act = _TORCH_ACTIVATIONS[activation]
        self.residual = residual
        self.act_after_add = act_after_add
        self.inp = nn.Linear(in_features, width, dtype=torch.float64)
        self.hidden = nn.ModuleList(nn.Linear(width, width, dtype=torch.float64)
                                    for _ in range(depth))
        self.norms = nn.ModuleList((nn.BatchNorm1d(width, dtype=torch.float64) if batchnorm
                                    else nn.Identity()) for _ in range(depth))
        self.out = nn.Linear(width, out_features, dtype=torch.float64)
        for lin in [self.inp, *self.hidden, self.out]:
            nn.init.zeros_(lin.bias)
            if init == "small":
                nn.init.normal_(lin.weight, 0.0, 0.01, generator=generator)
            elif init == "large":
                nn.init.normal_(lin.weight, 0.0, 1.0, generator=generator)
            elif init == "xavier":
                nn.init.xavier_normal_(lin.weight, generator=generator)
            else:
                nn.init.kaiming_normal_(lin.weight, nonlinearity="relu", generator=generator)
        if zero_init_residual:
            for norm in self.norms:
                nn.init.zeros_(norm.weight)

    def forward(self, x):                              # x: (N, in_features)
        h = self.act(self.inp(x))                      # (N, width)
        for lin, norm in zip(self.hidden, self.norms):
            if self.act_after_add:                     # ResNet order: f(h + BN(Wh + b))
                h = self.act(h + norm(lin(h)))         # (N, width)
                continue
            z = self.act(norm(lin(h)))                 # (N, width)
            h = h + z if self.residual else z
        return self.out(h)                             # (N, out_features)


def layer_grad_norms(model, x, target):
    """Frobenius norm of :math:`\\partial L/\\partial W` for each hidden layer, input side first.

    Runs one forward/backward pass of the mean cross-entropy on ``(x, target)``.

    Parameters
    ----------
    model : DeepMLP
    x : torch.Tensor, shape (N, in_features)
    target : torch.Tensor of int64, shape (N,)

    Returns
    -------
    ndarray, shape (depth,)
    """
    model.zero_grad()
    F.cross_entropy(model(x), target).backward()
    return np.array([lin.weight.grad.norm().item() for lin in model.hidden])


def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``.

    Same rule as ``torch.nn.utils.clip_grad_norm_`` (Pascanu et al., ICML 2013, alg. 1):
    :math:`g \\leftarrow g \\cdot \\min(1, \\text{max\\_norm} / (\\lVert g\\rVert + 10^{-6}))`.
    The direction is kept; only the length changes.

    Parameters
    ----------
    grads : list of ndarray
    max_norm : float > 0

    Returns
    -------
    clipped : list of ndarray (new arrays)
    total_norm : float
        The norm before clipping (torch returns it too).
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    total = float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads)))
    coef = min(1.0, max_norm / (total + 1e-6))
    return [g * coef for g in grads], total


def train_steps(model, x, target, steps=50, lr=0.1, max_norm=None, weight_decay=0.0):
    """Plain SGD on the mean cross-entropy for ``steps`` full-batch steps; returns the losses.

    Each step is ``torch.optim.SGD(model.parameters(), lr, weight_decay=weight_decay)``'s:
    :math:`\\theta \\leftarrow \\theta - \\text{lr}\\,(g + \\lambda\\theta)`, the gradient of
    the loss plus the L2 penalty :math:`\\tfrac{\\lambda}{2}\\lVert\\theta\\rVert^2` (on every
    parameter, biases and BN included, as torch does).  With ``max_norm`` the loss
    gradients are clipped by ``torch.nn.utils.clip_grad_norm_`` first (before the decay
    term is added, as with ``clip_grad_norm_`` followed by ``SGD.step``).  A loss that
    becomes ``nan``/``inf`` stops the run (the rest is ``nan``).

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``x`` to logits of shape (N, C).
    x : torch.Tensor, shape (N, in_features)
    target : torch.Tensor of int64, shape (N,)
    steps : int >= 1
    lr : float > 0
    max_norm : float > 0, optional
    weight_decay : float >= 0
        :math:`\\lambda`.

    Returns
    -------
    ndarray, shape (steps,)

    Raises
    ------
    ValueError
        If ``steps`` < 1, ``lr`` <= 0 or ``weight_decay`` < 0.
    """
    check_int("steps", steps, 1)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if not weight_decay >= 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    losses = np.full(steps, np.nan)
    model.train()
    for i in range(steps):
        model.zero_grad()
        loss = F.cross_entropy(model(x), target)
        if not torch.isfinite(loss):
            break
        losses[i] = loss.item()
        loss.backward()
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        with torch.no_grad():
            for p in model.parameters():
                if p.grad is None:
                    continue
                step = p.grad if weight_decay == 0 else p.grad + weight_decay * p
                p -= lr * step
    return losses
