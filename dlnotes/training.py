"""A small, deterministic training loop and the helpers chapter 13 trains with.

- :func:`split_digits` -- a stratified train/test split of scikit-learn's bundled digits.
- :func:`fit`, :func:`evaluate`, :func:`accuracy` -- minibatch training with a
  per-epoch history; the same seed gives the same numbers, run after run.
- :func:`seeded` -- build a model with seeded weights without touching global state.
- :func:`deep_net` -- plain vs residual deep CNNs for the degradation experiment
  (He et al., 2016).
- :func:`freeze`, :func:`count_trainable` -- layer freezing for fine-tuning.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._validate import check_choice, check_int
from .device import get_device

__all__ = ["split_digits", "per_class_subset", "accuracy", "evaluate", "fit", "fit_autoencoder", "seeded", "deep_net",
           "PlainBlock", "ResidualBlock", "freeze", "count_trainable"]


# --------------------------------------------------------------------------- data
def split_digits(size=28, test_fraction=0.25, classes=None, rng=None):
    """Stratified train/test split of scikit-learn's digits (``dlnotes.data.load_digits``).

    Parameters
    ----------
    size : int
        Image side; 28 upscales the 8×8 digits to MNIST size, 8 keeps them.
    test_fraction : float
        Fraction of each class that goes to the test set, in ``(0, 1)``.
    classes : sequence of int, optional
        Keep only these digits, relabelled ``0 .. len(classes) - 1`` in the given order
        (``classes=(5, 6, 7, 8, 9)`` maps 5 -> 0, ..., 9 -> 4).  All ten by default.
    rng : numpy.random.Generator
        Source of the shuffle.  Required (library code never uses global state).

    Returns
    -------
    x_train : ndarray, shape (N_train, 1, size, size), float32 in [0, 1]
    y_train : ndarray, shape (N_train,), int64
    x_test : ndarray, shape (N_test, 1, size, size), float32
    y_test : ndarray, shape (N_test,), int64

    Raises
    ------
    ValueError
        If ``test_fraction`` is not in ``(0, 1)``, a class is not a digit 0-9 or repeats,
        or ``rng`` is missing.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    classes = tuple(range(10)) if classes is None else tuple(classes)
    if not classes or any(isinstance(c, bool) or not isinstance(c, (int, np.integer))
                          or not 0 <= c <= 9 for c in classes) or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct digits 0-9, got {classes!r}")
    from .data import load_digits

    images, labels = load_digits(size)  # (1797, 1, size, size), (1797,)
    train_idx, test_idx = [], []
    for new_label, digit in enumerate(classes):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        n_test = max(1, int(round(test_fraction * len(idx))))
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = np.sort(np.concatenate(test_idx))
    relabel = np.full(10, -1, dtype=np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    return (images[train_idx], relabel[labels[train_idx]],
            images[test_idx], relabel[labels[test_idx]])


def per_class_subset(y, k, rng):
    """Indices of ``k`` randomly chosen samples of every class in ``y`` (a few-shot subset).

    Parameters
    ----------
    y : ndarray, shape (N,), int
    k : int
        Samples per class; every class must have at least ``k``.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (k * n_classes,), int64
        Sorted indices into ``y``.
    """
    k = check_int("k", k, minimum=1)
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < k:
        raise ValueError(f"k={k} but class {classes[counts.argmin()]} has only {counts.min()} "
                         f"samples; use k <= {counts.min()}")
    picks = [rng.choice(np.flatnonzero(y == c), size=k, replace=False) for c in classes]
    return np.sort(np.concatenate(picks)).astype(np.int64)


# --------------------------------------------------------------------------- loop
def accuracy(logits, targets):
    """Fraction of rows whose arg-max equals the target.

    Parameters
    ----------
    logits : Tensor, shape (N, C)
    targets : Tensor, shape (N,), integer class indices

    Returns
    -------
    float
    """
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ValueError(f"logits must be (N, C) and targets (N,), got {tuple(logits.shape)} "
                         f"and {tuple(targets.shape)}")
    return (logits.argmax(dim=1) == targets).sum().item() / len(targets)


def _param_dtype(model):
    """The floating dtype of the model's first floating parameter (float32 if it has none)."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.float32


def _as_tensors(x, y, device, dtype=torch.float32):
    x = torch.as_tensor(np.asarray(x), dtype=dtype).to(device)        # (N, ...)
    y = torch.as_tensor(np.asarray(y, dtype=np.int64)).to(device)    # (N,)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x has {x.shape[0]} samples but y has {y.shape[0]}; pass matching arrays")
    return x, y


@torch.no_grad()
def evaluate(model, x, y, batch_size=256, device=None):
    """Mean cross-entropy and accuracy of ``model`` on ``(x, y)`` in eval mode.

    ``x`` is cast to the dtype of the model's parameters (float32 or float64).

    Parameters
    ----------
    model : nn.Module
        Maps ``(N, ...)`` to logits ``(N, C)``.
    x : ndarray or Tensor, shape (N, ...)
    y : ndarray or Tensor, shape (N,)
    batch_size : int
    device : torch.device, optional
        Defaults to the device of the model's first parameter.

    Returns
    -------
    loss : float
    acc : float
    """
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if device is None:
        device = next(model.parameters()).device
    x, y = _as_tensors(x, y, device, _param_dtype(model))
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        logits = model(x[start:start + batch_size])                     # (B, C)
        target = y[start:start + batch_size]                            # (B,)
        total_loss += F.cross_entropy(logits, target, reduction="sum").item()
        correct += (logits.argmax(1) == target).sum().item()
    model.train(was_training)
    return total_loss / len(x), correct / len(x)


def fit(model, x_train, y_train, *, x_test=None, y_test=None, epochs=5, batch_size=64,
        lr=1e-3, optimizer="adam", weight_decay=0.0, momentum=0.9, schedule=None, seed=0,
        drop_last=False, device=None):
    """Train ``model`` with minibatch cross-entropy; return a per-epoch history.

    The shuffle order comes from a ``torch.Generator`` seeded with ``seed``, so two
    calls with equally initialised models give identical losses (on the CPU; on a GPU
    also call ``torch.use_deterministic_algorithms(True)``).

    The model trains in the dtype of its parameters: the inputs are cast to it.  In
    float32, another CPU's kernels or thread count round differently (about 1e-7) and the
    differences grow over a few hundred steps until a loss's third digit moves; a float64
    model (``model.double()``, or built under ``torch.set_default_dtype(torch.float64)``)
    starts from differences near 1e-16, which stay far below printed digits (the book's
    ``.ci/portability`` pass checks this for every chapter that trains).

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, ...)`` inputs to ``(B, C)`` logits.  Moved to ``device``; only
        parameters with ``requires_grad`` are optimised (see :func:`freeze`).
    x_train : ndarray or Tensor, shape (N, ...)
    y_train : ndarray or Tensor, shape (N,), int
    x_test, y_test : optional
        Evaluated after every epoch when given.
    epochs, batch_size : int
    lr : float
    optimizer : {"adam", "sgd"}
        ``torch.optim.Adam`` or ``torch.optim.SGD`` (with ``momentum``).
    weight_decay, momentum : float
    schedule : {None, "cosine"}
        Constant learning rate, or cosine annealing from ``lr`` to 0 over all steps
        (``torch.optim.lr_scheduler.CosineAnnealingLR`` stepped every minibatch).
    seed : int
        Seed of the shuffling generator.
    drop_last : bool
        Skip the last, smaller minibatch of each epoch (as ``DataLoader(drop_last=True)``):
        with batch norm, a batch of a few samples gives noisy statistics and a loss spike.
    device : torch.device, optional
        Defaults to :func:`dlnotes.get_device`.

    Returns
    -------
    dict
        ``train_loss``: mean training loss of each epoch (running average over its
        minibatches, per sample seen); ``train_acc``; ``step_loss``: every minibatch loss; and, when a
        test set is given, ``test_loss`` and ``test_acc`` after each epoch.

    Raises
    ------
    ValueError
        For a non-positive ``epochs``/``batch_size``/``lr``, an unknown ``optimizer``,
        mismatched ``x``/``y``, or a model without trainable parameters.
    """
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    check_choice("optimizer", optimizer, ("adam", "sgd"))
    check_choice("schedule", schedule, (None, "cosine"))
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if (x_test is None) != (y_test is None):
        raise ValueError("pass both x_test and y_test, or neither")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters (all frozen?); unfreeze some layers")
    device = get_device() if device is None else torch.device(device)
    model.to(device)
    x, y = _as_tensors(x_train, y_train, device, _param_dtype(model))
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    n = len(x)
    used = n - n % batch_size if drop_last else n                      # samples per epoch
    if used == 0:
        raise ValueError(f"drop_last=True with batch_size={batch_size} > {n} samples leaves no batch; "
                         f"use a smaller batch_size")
    steps = epochs * -(-used // batch_size)
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
             if schedule == "cosine" else None)
    gen = torch.Generator().manual_seed(seed)
    history = {"train_loss": [], "train_acc": [], "step_loss": []}
    if x_test is not None:
        history.update(test_loss=[], test_acc=[])
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen).to(device)             # (N,)
        loss_sum, correct = 0.0, 0
        for start in range(0, used, batch_size):
            idx = order[start:start + batch_size]
            logits = model(x[idx])                                      # (B, C)
            loss = F.cross_entropy(logits, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            history["step_loss"].append(loss.item())
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y[idx]).sum().item()
        history["train_loss"].append(loss_sum / used)
        history["train_acc"].append(correct / used)
        if x_test is not None:
            test_loss, test_acc = evaluate(model, x_test, y_test, device=device)
            history["test_loss"].append(test_loss)
            history["test_acc"].append(test_acc)
    return history


def fit_autoencoder(model, x_train, *, noise=0.3, kind="mask", epochs=10, batch_size=64,
                    lr=1e-3, code_l1=0.0, seed=0, device=None):
    """Train a denoising (or sparse) autoencoder: reconstruct clean ``x`` from ``corrupt(x)``.

    The loss of a batch is ``BCE(model(x~), x) + code_l1 * mean_n ||model.encode(x~)_n||_1``:
    binary cross-entropy per pixel, plus, for a sparse autoencoder, the L1 norm of each
    code vector averaged over the batch (Goodfellow, Bengio & Courville, *Deep Learning*,
    2016, §14.2.1: ``L(x, g(f(x))) + Ω(h)`` with ``Ω(h) = λ Σ_i |h_i|``).  The model trains
    in the dtype of its parameters.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, ...)`` to a reconstruction of the same shape with values in [0, 1].
    x_train : ndarray or Tensor, shape (N, ...), values in [0, 1]
    noise, kind :
        Passed to :func:`dlnotes.rnn.corrupt` (``p`` and ``kind``); ``noise=0`` gives a
        plain autoencoder.
    epochs, batch_size, lr, seed, device :
        As in :func:`fit` (Adam; the seed drives both the shuffle and the noise).
    code_l1 : float
        Weight λ of the L1 penalty on the code; 0 (the default) trains without it.  Needs
        ``model.encode`` and ``model.decode`` (as :class:`dlnotes.rnn.DenoisingAutoencoder`
        has); a model with both is trained through them, ``decode(encode(x~))``.

    Returns
    -------
    dict
        ``train_loss``: mean binary cross-entropy between reconstruction and clean
        input, per epoch (without the penalty); ``code_l1`` (for a model with ``encode``
        and ``decode``): mean L1 norm of the code, per epoch.

    Raises
    ------
    ValueError
        For non-positive ``epochs``/``batch_size``/``lr``, a negative ``code_l1``, inputs
        outside [0, 1], or ``code_l1 > 0`` with a model without ``encode``/``decode``.
    """
    from .rnn import corrupt

    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if not code_l1 >= 0:
        raise ValueError(f"code_l1 must be >= 0, got {code_l1!r}")
    if code_l1 > 0 and not (callable(getattr(model, "encode", None))
                            and callable(getattr(model, "decode", None))):
        raise ValueError("code_l1 > 0 needs the model's code: give the model encode(x) and "
                         "decode(code) methods (DenoisingAutoencoder has both)")
    x = np.asarray(x_train)
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"x_train must lie in [0, 1] (binary cross-entropy targets), got values in "
                         f"[{x.min():.3g}, {x.max():.3g}]; rescale the images first")
    device = get_device() if device is None else torch.device(device)
    model.to(device)
    x = torch.as_tensor(x, dtype=_param_dtype(model)).to(device)        # (N, ...)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    has_code = callable(getattr(model, "encode", None)) and callable(getattr(model, "decode", None))
    history = {"train_loss": [], "code_l1": []} if has_code else {"train_loss": []}
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen).to(device)
        total, total_l1 = 0.0, 0.0
        for start in range(0, len(x), batch_size):
            clean = x[order[start:start + batch_size]]                      # (B, ...)
            noisy = corrupt(clean.cpu(), noise, kind, generator=gen).to(device)
            if has_code:
                code = model.encode(noisy)                                  # (B, code)
                recon = model.decode(code).view(clean.shape)                # (B, ...)
                l1 = code.abs().sum(1).mean()
            else:
                recon, l1 = model(noisy), torch.zeros(())
            bce = F.binary_cross_entropy(recon, clean)
            loss = bce + code_l1 * l1 if code_l1 > 0 else bce
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += bce.item() * len(clean)
            total_l1 += l1.item() * len(clean)
        history["train_loss"].append(total / len(x))
        if has_code:
            history["code_l1"].append(total_l1 / len(x))
    return history


@contextlib.contextmanager
def seeded(seed):
    """Context manager: torch's global generator is seeded inside, restored afterwards.

    ``with seeded(0): model = lenet5()`` gives the same initial weights every time
    without changing the random state the rest of a program sees.
    """
    seed = check_int("seed", seed, minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


# --------------------------------------------------------------------------- deep nets
class PlainBlock(nn.Module):
    """``relu(bn(conv3x3(x)))``: one layer of a plain network, ``(N, C, H, W) -> same``."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))                            # (N, C, H, W)


class ResidualBlock(nn.Module):
    """He et al. (2016) basic block: ``relu(x + bn(conv(relu(bn(conv(x))))))``.

    Two 3×3 convolutions, identity shortcut (option A with equal shapes), so a block
    counts as two layers.  ``(N, C, H, W) -> (N, C, H, W)``.
    """

    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))                            # (N, C, H, W)
        out = self.bn2(self.conv2(out))                                  # F(x)
        return F.relu(out + x)                                           # H(x) = F(x) + x


def deep_net(depth, width=16, residual=False, in_channels=1, num_classes=10):
    """A deep, narrow CNN: stem conv, ``depth - 2`` 3×3 layers, global average pool, linear.

    The plain and residual versions have the same layers and the same parameter count;
    the residual one only adds identity shortcuts around every pair of layers.  This
    is the comparison of He et al., "Deep Residual Learning for Image Recognition",
    CVPR 2016, §4.1 (plain-18/34 vs ResNet-18/34), shrunk to run on a laptop.

    Parameters
    ----------
    depth : int
        Number of weighted layers (convs + the final linear layer); ``depth - 2`` must
        be even and >= 0 so the residual version pairs its layers.
    width : int
        Channels of every conv layer.
    residual : bool
        Add identity shortcuts around each pair of 3×3 layers.
    in_channels, num_classes : int

    Returns
    -------
    nn.Sequential
        ``(N, in_channels, H, W) -> (N, num_classes)`` logits.
    """
    depth = check_int("depth", depth, minimum=2)
    width = check_int("width", width, minimum=1)
    if (depth - 2) % 2:
        raise ValueError(f"depth - 2 must be even (layers come in pairs), got depth={depth}; "
                         f"use {depth + 1} or {depth - 1}")
    n_pairs = (depth - 2) // 2
    body = ([ResidualBlock(width) for _ in range(n_pairs)] if residual
            else [PlainBlock(width) for _ in range(2 * n_pairs)])
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1, bias=False),         # (N, W, H, W)
        nn.BatchNorm2d(width),
        nn.ReLU(),
        *body,                                                           # (N, W, H, W)
        nn.AdaptiveAvgPool2d(1),                                         # (N, W, 1, 1)
        nn.Flatten(),                                                    # (N, W)
        nn.Linear(width, num_classes),                                   # (N, num_classes)
    )


# --------------------------------------------------------------------------- fine-tuning
def freeze(module, frozen=True):
    """Set ``requires_grad = not frozen`` on every parameter of ``module``; return it.

    A frozen layer keeps its weights while the optimiser trains the rest.  BatchNorm
    running statistics still update in train mode; call ``.eval()`` on such layers
    too if they must stay fixed.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be an nn.Module, got {type(module).__name__}")
    for p in module.parameters():
        p.requires_grad_(not frozen)
    return module


def count_trainable(model):
    """Number of parameters with ``requires_grad`` (what the optimiser will change)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
