"""Counting a model: parameters and multiply-accumulates (MACs).

``count_macs`` runs one forward pass with forward hooks on the layers that do the
arithmetic.  Build the model under ``with torch.device("meta"):`` and the pass costs
nothing: meta tensors carry shapes but no data, so even VGG-19 at 224×224 is counted in
milliseconds.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .._validate import check_int

__all__ = ["count_parameters", "count_macs", "layer_macs"]

_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def count_parameters(model, trainable_only=False):
    """Number of scalar parameters of ``model``.

    Parameters
    ----------
    model : nn.Module
    trainable_only : bool
        Count only parameters with ``requires_grad=True``.

    Returns
    -------
    int
        ``sum(p.numel() for p in model.parameters())``; works on meta-device models.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def layer_macs(module, inputs, output):
    """MACs of one call of ``module`` (0 for layers that are not counted).

    Parameters
    ----------
    module : nn.Module
        ``nn.Conv2d``, ``nn.Linear`` or a 2-D pooling layer; anything else counts 0.
    inputs : tuple of Tensor
        The positional inputs of the call, ``inputs[0]`` of shape ``(N, C, H, W)``
        (or ``(..., in_features)`` for ``nn.Linear``).
    output : Tensor
        Output of the call, ``(N, C_out, H_out, W_out)`` or ``(..., out_features)``.

    Returns
    -------
    int
        * conv: ``N·C_out·H_out·W_out · (C_in/groups)·k_h·k_w`` (bias adds are not MACs);
        * linear: ``(#rows) · in_features · out_features``;
        * pooling: one operation per input element each window reads,
          ``N·C·H_out·W_out · k_h·k_w`` (adaptive pooling: the mean window size).
    """
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kh, kw = _pair(module.kernel_size)
        return output.numel() * kh * kw
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        x = inputs[0]
        h_in, w_in = x.shape[-2:]
        h_out, w_out = output.shape[-2:]
        return output.numel() * math.ceil(h_in / h_out) * math.ceil(w_in / w_out)
    return 0


def count_macs(model, input_size, batch_size=1, by_layer=False):
    """Multiply-accumulates of one forward pass, counted with forward hooks.

    Parameters
    ----------
    model : nn.Module
        Any model; its parameters fix the device and dtype of the dummy input.  A model
        built under ``torch.device("meta")`` is counted without any arithmetic.
    input_size : tuple of int
        ``(C, H, W)`` of one image, e.g. ``(3, 224, 224)``.
    batch_size : int
        Images in the dummy batch; the result is per batch (so per image when 1).
    by_layer : bool
        Also return a dict ``{module name: MACs}`` (summed over repeated calls).

    Returns
    -------
    int or (int, dict)
        Total MACs of ``nn.Conv2d``, ``nn.Linear`` and 2-D pooling layers (see
        :func:`layer_macs`).  Element-wise work (BN, ReLU, additions, concatenation,
        SE gating, channel shuffle) is not counted, as in the papers' "FLOPs".

    Raises
    ------
    ValueError
        If ``input_size`` is not three positive ints.

    Notes
    -----
    The papers report "FLOPs" but mean multiply-adds: ResNet-50's "3.8×10⁹ FLOPs" (He et
    al. 2016, Table 1) and the usual 4.1 G are both MAC counts (4.1 G for torchvision's
    v1.5, whose stride sits on the 3×3 conv).  Hooks see only ``nn.Module`` calls: a
    functional ``F.avg_pool2d`` or ``x.mean((2, 3))`` in ``forward`` is not counted.
    The model is run in eval mode (and put back into its previous mode).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(input_size, (tuple, list)) or len(input_size) != 3:
        raise ValueError(f"input_size must be (C, H, W), got {input_size!r}")
    size = tuple(check_int(f"input_size[{i}]", v, minimum=1) for i, v in enumerate(input_size))
    batch_size = check_int("batch_size", batch_size, minimum=1)
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32

    per_layer = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear) + _POOLS):
            def hook(mod, inputs, output, name=name):
                per_layer[name] = per_layer.get(name, 0) + layer_macs(mod, inputs, output)
            handles.append(module.register_forward_hook(hook))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros((batch_size, *size), device=device, dtype=dtype))  # (N, C, H, W)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    total = sum(per_layer.values())
    return (total, per_layer) if by_layer else total
