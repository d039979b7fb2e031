"""The effective receptive field (Luo et al. 2016): the gradient of one unit w.r.t. the image.

Re-exported from :mod:`dlnotes.receptive_field` (private module).
"""
from __future__ import annotations

import numpy as np

from ._validate import check_int

__all__ = ["effective_receptive_field"]

class _Stop(Exception):
    pass


def effective_receptive_field(model, input_size, layer=None, unit=None, inputs=None,
                              n_samples=1, rng=None):
    """The effective receptive field: ``|∂ y_unit / ∂ x|`` summed over input channels.

    Luo, Li, Urtasun & Zemel, "Understanding the effective receptive field in deep
    convolutional neural networks", NeurIPS 2016, §2: put a gradient of 1 on one output
    unit (all its channels) and back-propagate to the image; average the magnitude over
    ``n_samples`` random inputs.

    Parameters
    ----------
    model : torch.nn.Module
    input_size : (C, H, W)
    layer : str, optional
        Qualified name of the module whose output holds the unit (default: the model's
        output, which must be 4-D).
    unit : (int, int), optional
        Position in that output (default: its centre).
    inputs : torch.Tensor, shape (S, C, H, W), optional
        Inputs to average over; otherwise ``n_samples`` standard-normal images from ``rng``.
    n_samples : int
    rng : torch.Generator, optional

    Returns
    -------
    ndarray, shape (H, W), float64
        Mean gradient magnitude at every input pixel (zero outside the theoretical RF).
    """
    import torch

    if not isinstance(input_size, (tuple, list)) or len(input_size) != 3:
        raise ValueError(f"input_size must be (C, H, W), got {input_size!r}")
    c, h, w = (check_int(f"input_size[{i}]", v, 1) for i, v in enumerate(input_size))
    n_samples = check_int("n_samples", n_samples, 1)
    modules = dict(model.named_modules())
    if layer is not None and layer not in modules:
        raise ValueError(f"layer={layer!r} is not a module of the model; choose one of "
                         f"{[n for n in modules if n][:8]}...")
    if inputs is None:
        inputs = torch.randn(n_samples, c, h, w, generator=rng, dtype=torch.float64)
    param = next((q for q in model.parameters() if q.is_floating_point()), None)
    inputs = torch.as_tensor(inputs)
    if param is not None:
        inputs = inputs.to(dtype=param.dtype, device=param.device)
    if inputs.ndim != 4 or tuple(inputs.shape[1:]) != (c, h, w):
        raise ValueError(f"inputs must have shape (S, {c}, {h}, {w}), got {tuple(inputs.shape)}")
    total = np.zeros((h, w))
    captured = {}

    def grab(mod, inp, out):
        captured["y"] = out
        raise _Stop

    hook = modules[layer].register_forward_hook(grab) if layer is not None else None
    try:
        for s in range(inputs.shape[0]):
            x = inputs[s:s + 1].clone().requires_grad_(True)
            try:
                y = model(x)
            except _Stop:
                y = captured["y"]
            if y.ndim != 4:
                raise ValueError(f"the chosen layer's output must be 4-D (N, C, H, W), got "
                                 f"shape {tuple(y.shape)}; pick an earlier layer")
            i, j = unit if unit is not None else (y.shape[-2] // 2, y.shape[-1] // 2)
            if not (0 <= i < y.shape[-2] and 0 <= j < y.shape[-1]):
                raise ValueError(f"unit={unit} is outside the layer's {y.shape[-2]}x{y.shape[-1]} map")
            y[0, :, i, j].sum().backward()
            total += x.grad[0].abs().sum(0).double().cpu().numpy()
    finally:
        if hook is not None:
            hook.remove()
    return total / inputs.shape[0]
