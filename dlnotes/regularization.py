"""Regularisation: dropout (torch's inverted form and the paper's), L1/L2 penalties,
soft-thresholding, early stopping, and a small training loop for the experiments.

Arrays are NumPy unless a name says torch; the penalties work on NumPy arrays and torch
tensors alike (they use only ``abs``, ``*`` and ``.sum()``).
"""
from __future__ import annotations

import numpy as np

from ._validate import check_choice, check_int

__all__ = ["dropout", "dropout_paper", "l1_penalty", "l2_penalty", "soft_threshold",
           "EarlyStopping", "train_classifier"]


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}; "
                         "p is the probability of DROPPING a unit (torch's convention)")
    return float(p)


def dropout(x, p=0.5, training=True, rng=None):
    """Inverted dropout, as ``torch.nn.functional.dropout``.

    During training every element is zeroed independently with probability ``p`` and the
    survivors are multiplied by :math:`1/(1-p)`, so the expected output equals the input;
    at evaluation the function is the identity (no rescaling needed).

    Parameters
    ----------
    x : ndarray, any shape
    p : float in [0, 1], default 0.5
        Probability of **dropping** an element (torch's convention; the paper's ``p`` is
        the probability of keeping it).
    training : bool, default True
    rng : numpy.random.Generator, optional
        Source of the masks; a fresh unseeded generator when omitted.

    Returns
    -------
    ndarray, shape of ``x``
        ``x`` itself when ``training`` is False or ``p == 0`` (as torch), zeros when ``p == 1``.

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1] (torch's message).

    Notes
    -----
    The mask is drawn per element, so each example in a batch gets its own mask -- not
    one mask per mini-batch.  Srivastava et al., JMLR 15 (2014), §4 and §10 (the scaling
    moved from test time to training time).
    """
    p = _check_p(p)
    x = np.asarray(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return np.zeros_like(x)
    rng = np.random.default_rng() if rng is None else rng
    keep = rng.random(x.shape) >= p                      # Bernoulli(1 - p), one per element
    return x * (keep / (1 - p))


def dropout_paper(x, p=0.5, training=True, rng=None):
    """Dropout as in the original paper: no rescaling in training, times ``1 - p`` at test.

    Srivastava et al., JMLR 15 (2014), §4 and Figure 2: units are retained with
    probability :math:`q = 1 - p` while training; at test time the weights (here,
    equivalently, the outputs) are multiplied by :math:`q`.  Here ``p`` is the **drop**
    probability, as in :func:`dropout`; the paper calls the retain probability ``p``.

    Returns
    -------
    ndarray, shape of ``x``
        Training: ``x * mask``; evaluation: ``x * (1 - p)``.
    """
    p = _check_p(p)
    x = np.asarray(x)
    if not training:
        return x * (1 - p)
    rng = np.random.default_rng() if rng is None else rng
    return x * (rng.random(x.shape) >= p)


def _check_weight(name, weight):
    if not weight >= 0:
        raise ValueError(f"{name} must be >= 0, got {weight!r}")
    return weight


def l1_penalty(params, weight=1.0):
    """:math:`\\lambda \\sum_i |w_i|` over a list of arrays (NumPy or torch).

    Its (sub)gradient :math:`\\lambda\\,\\mathrm{sign}(w)` has the same size for small and
    large weights, which is why it drives weights to exactly zero (with a proximal
    step, see :func:`soft_threshold`).
    """
    _check_weight("weight", weight)
    return weight * sum(abs(p).sum() for p in params)


def l2_penalty(params, weight=1.0):
    """:math:`\\tfrac{\\lambda}{2} \\sum_i w_i^2` over a list of arrays (NumPy or torch).

    Its gradient is :math:`\\lambda w` -- exactly what ``torch.optim.SGD(weight_decay=λ)``
    adds to the gradient, so the two are the same regulariser for SGD.  (Note the
    *squared* norm: the L2 norm itself, :math:`\\lVert w\\rVert_2`, is not what is added.)
    """
    _check_weight("weight", weight)
    return 0.5 * weight * sum((p * p).sum() for p in params)


def soft_threshold(x, threshold):
    """Proximal operator of :math:`t\\lVert w\\rVert_1`: ``sign(x) * max(|x| - t, 0)``.

    Equal to ``torch.nn.functional.softshrink(x, threshold)``.  Every weight smaller than
    ``threshold`` in magnitude becomes exactly 0 -- the source of L1's sparsity.
    """
    _check_weight("threshold", threshold)
    x = np.asarray(x)
    return np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0)


class EarlyStopping:
    """Stop when a validation metric has not improved for ``patience`` evaluations.

    Parameters
    ----------
    patience : int, default 5
    min_delta : float, default 0
        An improvement must beat the best value by more than this.
    mode : {"min", "max"}

    Attributes
    ----------
    best : float
    best_epoch : int
        Index (0-based) of the best evaluation: restore the weights saved there.
    """

    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        self.patience = check_int("patience", patience, 0)
        self.min_delta = _check_weight("min_delta", min_delta)
        self.mode = check_choice("mode", mode, ("min", "max"))
        self.best, self.best_epoch, self.epoch, self.bad_epochs = None, -1, -1, 0

    def step(self, value):
        """Record one evaluation; return True when training should stop."""
        self.epoch += 1
        sign = 1.0 if self.mode == "min" else -1.0
        if self.best is None or sign * (self.best - value) > self.min_delta:
            self.best, self.best_epoch, self.bad_epochs = value, self.epoch, 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs > self.patience


def train_classifier(model, x_train, y_train, x_val, y_val, *, epochs=50, lr=0.1,
                     batch_size=64, optimizer="sgd", momentum=0.9, weight_decay=0.0, l1=0.0,
                     seed=0, early_stopping=None, transform=None):
    """Train a torch classifier with cross-entropy; record losses and accuracies.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``x`` to logits ``(N, num_classes)``.
    x_train, x_val : torch.Tensor, shape (N, ...)
    y_train, y_val : torch.Tensor, shape (N,), int64
    epochs, lr, batch_size : training length, learning rate, mini-batch size
    optimizer : {"sgd", "adam"}
    momentum : float
        For SGD.
    weight_decay : float
        L2 penalty through the optimizer (``torch.optim`` convention).
    l1 : float
        Weight of :func:`l1_penalty` over the weight matrices (not biases), added to the loss.
    seed : int
        Seeds the shuffling (a local ``torch.Generator``; global state is untouched).
    early_stopping : EarlyStopping, optional
        Checked on the validation loss after each epoch; the best weights are restored.
    transform : callable, optional
        ``transform(x_batch) -> x_batch``, applied to every training mini-batch as it is
        drawn (*online* data augmentation: new variants every epoch); never to the
        evaluation passes.  It must keep the batch's shape.

    Returns
    -------
    dict of lists
        ``train_loss``, ``val_loss``, ``train_acc``, ``val_acc`` (one entry per epoch,
        measured in ``eval()`` mode on the un-transformed data), plus ``stopped_epoch`` and
        ``best_epoch`` when ``early_stopping`` is given.

    Raises
    ------
    ValueError
        For an unknown ``optimizer``, non-positive ``epochs`` or ``batch_size``, inputs and
        labels of different lengths, a ``transform`` that is not callable or that changes
        the batch's shape.

    Notes
    -----
    The model is trained in the dtype of its parameters; the chapters train in float64 so
    that the printed results do not depend on the CPU's kernels or thread count.
    """
    import copy

    import torch
    import torch.nn.functional as F

    check_choice("optimizer", optimizer, ("sgd", "adam"))
    epochs = check_int("epochs", epochs, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    if len(x_train) != len(y_train) or len(x_val) != len(y_val):
        raise ValueError(f"x and y lengths differ: train {len(x_train)} vs {len(y_train)}, "
                         f"val {len(x_val)} vs {len(y_val)}")
    if transform is not None and not callable(transform):
        raise ValueError(f"transform must be a callable batch -> batch, got {type(transform).__name__}")
    gen = torch.Generator().manual_seed(seed)
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    weights = [p for name, p in model.named_parameters() if p.ndim > 1]
    hist = {k: [] for k in ("train_loss", "val_loss", "train_acc", "val_acc")}
    best_state = None

    def evaluate(x, y):
        model.eval()
        with torch.no_grad():
            logits = model(x)
        return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()

    for epoch in range(epochs):
        model.train()
        for idx in torch.randperm(len(x_train), generator=gen).split(batch_size):
            xb = x_train[idx]
            if transform is not None:
                xb_new = transform(xb)
                if tuple(xb_new.shape) != tuple(xb.shape):
                    raise ValueError(f"transform changed the batch's shape from {tuple(xb.shape)} "
                                     f"to {tuple(xb_new.shape)}")
                xb = xb_new
            loss = F.cross_entropy(model(xb), y_train[idx])
            if l1:
                loss = loss + l1_penalty(weights, l1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        for split, (x, y) in (("train", (x_train, y_train)), ("val", (x_val, y_val))):
            loss, acc = evaluate(x, y)
            hist[f"{split}_loss"].append(loss)
            hist[f"{split}_acc"].append(acc)
        if early_stopping is not None:
            stop = early_stopping.step(hist["val_loss"][-1])
            if early_stopping.best_epoch == epoch:
                best_state = copy.deepcopy(model.state_dict())
            if stop:
                break
    if early_stopping is not None:
        hist["stopped_epoch"], hist["best_epoch"] = epoch, early_stopping.best_epoch
        if best_state is not None:
            model.load_state_dict(best_state)
    return hist
