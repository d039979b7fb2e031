"""Receptive fields: the layer-by-layer recurrence, any torch model, and the effective RF.

Coordinates are input *pixel indices*: pixel 0 has centre 0.  For one axis, a layer
with kernel ``k``, stride ``s``, left padding ``p`` and dilation ``d`` (effective kernel
``k_eff = d(k-1)+1``) maps the input's ``(rf, jump, start)`` to

.. math::
    rf_{out} = rf_{in} + (k_{eff} - 1)\\,j_{in}, \\qquad
    j_{out} = j_{in}\\,s, \\qquad
    start_{out} = start_{in} + \\left(\\tfrac{k_{eff} - 1}{2} - p\\right) j_{in}

starting from ``rf = 1, jump = 1, start = 0`` at the image (Araujo, Norris & Sim,
"Computing receptive fields of convolutional neural networks", Distill 2019, eqs. 1-3).
Unit ``i`` of a layer is centred on input pixel ``start + i·jump`` and sees the
``rf`` pixels around it (some may lie in the padding).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional, Union

import numpy as np

from ._validate import check_int, pair

__all__ = ["RFRow", "receptive_field", "receptive_field_of", "rf_box",
           "effective_receptive_field"]

Number = Union[int, float]


@dataclasses.dataclass(frozen=True)
class RFRow:
    """One layer of a receptive-field table.

    Each numeric field is a number when height and width agree, else a ``(h, w)`` pair.

    Attributes
    ----------
    name : str
        Layer name (the notes' name, or the module's qualified name in a model).
    kernel, stride, padding, dilation
        The layer's hyper-parameters (``padding`` is the left/top padding).
    rf : int or float
        Receptive-field size in input pixels.
    jump : int or float
        Effective stride: input pixels between neighbouring units of this layer.
    start : float
        Input coordinate of the centre of unit 0 (negative: it sits in the padding).
    size : int or None
        Output length when the input size is known.
    """
    name: str
    kernel: object
    stride: object
    padding: object
    dilation: object
    rf: object
    jump: object
    start: object
    size: object = None


def _num(x):
    """Render floats that are whole numbers as ints (``4.0 -> 4``)."""
    return int(x) if float(x).is_integer() else float(x)


def _collapse(h, w):
    return h if h == w else (h, w)


def _step(rf, jump, start, k, s, p, d):
    """The recurrence along one axis (``p`` is the left padding)."""
    k_eff = d * (k - 1) + 1
    return rf + (k_eff - 1) * jump, jump * s, start + ((k_eff - 1) / 2 - p) * jump


def receptive_field(layers, input_size=None, names=None):
    """Receptive field, jump and start of every layer of a plain chain of layers.

    Parameters
    ----------
    layers : sequence of [kernel, stride, padding] or [kernel, stride, padding, dilation]
        The notes' ``net_struct`` format (note 001 §8.1); pooling layers are listed like
        convolutions.  Ints, one axis (square layers).
    input_size : int, optional
        Input side length; when given each row also has the output ``size``
        (``floor((n + 2p - d(k-1) - 1)/s) + 1``, torch's rule).
    names : sequence of str, optional
        One name per layer (default ``"layer1"``, ``"layer2"``, ...).

    Returns
    -------
    list of RFRow
        One row per layer, in order.

    Raises
    ------
    ValueError
        A layer that is not 3 or 4 ints, a kernel larger than the padded input, or
        ``names`` of the wrong length.

    Examples
    --------
    >>> [r.rf for r in receptive_field([[3, 1, 1], [3, 1, 1], [2, 2, 0]])]
    [3, 5, 6]
    """
    layers = list(layers)
    if names is None:
        names = [f"layer{i + 1}" for i in range(len(layers))]
    names = list(names)
    if len(names) != len(layers):
        raise ValueError(f"names has {len(names)} entries but layers has {len(layers)}; "
                         f"give one name per layer")
    parsed = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, (list, tuple)) or len(layer) not in (3, 4):
            raise ValueError(f"layers[{i}]={layer!r}: expected [kernel, stride, padding] or "
                             f"[kernel, stride, padding, dilation]")
        k = check_int(f"layers[{i}] kernel", layer[0], 1)
        s = check_int(f"layers[{i}] stride", layer[1], 1)
        p = check_int(f"layers[{i}] padding", layer[2], 0)
        d = check_int(f"layers[{i}] dilation", layer[3], 1) if len(layer) == 4 else 1
        parsed.append((k, s, p, d))
    n = None if input_size is None else check_int("input_size", input_size, 1)
    rf, jump, start = 1, 1, 0.0
    rows = []
    for name, (k, s, p, d) in zip(names, parsed):
        rf, jump, start = _step(rf, jump, start, k, s, p, d)
        if n is not None:
            span = d * (k - 1) + 1
            if n + 2 * p < span:
                raise ValueError(f"layer {name!r}: input {n} plus padding 2*{p} is smaller than "
                                 f"the dilated kernel {span}; use a larger input_size")
            n = (n + 2 * p - span) // s + 1
        rows.append(RFRow(name, k, s, p, d, _num(rf), _num(jump), _num(start), n))
    return rows


def rf_box(row, unit):
    """The receptive field of ``unit = (i, j)`` of a layer as a box in input pixels.

    Returns
    -------
    (y0, x0, y1, x1) : floats
        Inclusive pixel-index bounds; they may lie outside the image (in the padding).
    """
    i, j = unit
    rf_h, rf_w = _pair_of(row.rf)
    jh, jw = _pair_of(row.jump)
    sh, sw = _pair_of(row.start)
    cy, cx = sh + i * jh, sw + j * jw
    return (cy - (rf_h - 1) / 2, cx - (rf_w - 1) / 2, cy + (rf_h - 1) / 2, cx + (rf_w - 1) / 2)


def _pair_of(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


# ---------------------------------------------------------------- any torch model
@dataclasses.dataclass(frozen=True)
class _Axis:
    rf: float
    jump: float
    start: float


@dataclasses.dataclass(frozen=True)
class _Info:
    """What we know about a tensor: the RF along its height and width axes (at ``axes``)."""
    h: Optional[_Axis] = None
    w: Optional[_Axis] = None
    axes: tuple = (2, 3)
    lost_by: Optional[str] = None  # an op we could not follow changed the spatial axes


def _union_axis(a, b):
    if not math.isclose(a.jump, b.jump):
        raise ValueError(f"cannot merge paths with different jumps {a.jump} and {b.jump} "
                         f"(their units are not aligned)")
    lo = min(a.start - (a.rf - 1) / 2, b.start - (b.rf - 1) / 2)
    hi = max(a.start + (a.rf - 1) / 2, b.start + (b.rf - 1) / 2)
    return _Axis(hi - lo + 1, a.jump, (lo + hi) / 2)


def _tensors_in(obj):
    import torch

    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


_ATTR = "_dlnotes_rf"
_FAMILIES = {}


def _families():
    """The torch functions (Python wrappers and builtins) of each spatial op family."""
    if not _FAMILIES:
        import torch
        import torch.nn.functional as F

        def some(*names):
            found = set()
            for name in names:
                owner, _, attr = name.rpartition(".")
                obj = {"torch": torch, "F": F, "nn": torch._C._nn}[owner]
                if hasattr(obj, attr):
                    found.add(getattr(obj, attr))
            return found

        _FAMILIES.update(
            conv=some("torch.conv2d", "F.conv2d"),
            conv_transpose=some("torch.conv_transpose2d", "F.conv_transpose2d"),
            max_pool=some("F.max_pool2d", "torch.max_pool2d", "F.max_pool2d_with_indices",
                          "torch.max_pool2d_with_indices", "nn.max_pool2d_with_indices"),
            avg_pool=some("F.avg_pool2d", "nn.avg_pool2d", "torch.avg_pool2d"),
            adaptive_pool=some("F.adaptive_avg_pool2d", "F.adaptive_max_pool2d",
                               "nn.adaptive_avg_pool2d", "torch.adaptive_max_pool2d",
                               "F.adaptive_max_pool2d_with_indices", "nn.adaptive_max_pool2d",
                               "torch.adaptive_avg_pool2d"))
        _FAMILIES["pool"] = _FAMILIES["max_pool"] | _FAMILIES["avg_pool"]
    return _FAMILIES


class _Tracer:
    """Follows the receptive field through every torch function called on the input."""

    def __init__(self, ignore_global):
        self.ignore_global = ignore_global
        self.stack = []  # names of the modules being executed
        self.leaves = set()
        self.rows = []

    # -- naming (module hooks; they must return None or they would replace the output)
    def enter(self, name):
        def hook(module, inputs):
            self.stack.append(name)
        return hook

    def leave(self, module, inputs, output):
        if self.stack:
            self.stack.pop()

    def layer_name(self, func):
        top = self.stack[-1] if self.stack else ""
        if top in self.leaves:
            return top or getattr(func, "__name__", "op")
        fname = getattr(func, "__name__", "op")
        return f"{top}:{fname}" if top else fname

    # -- the spatial ops
    def spatial(self, func, args, kwargs, out):
        """Return the output info for a convolution / pooling call, or None if not one."""
        import torch
        import torch.nn.functional as F

        def arg(i, name, default):
            return kwargs[name] if name in kwargs else (args[i] if len(args) > i else default)

        fam = _families()
        if func in fam["conv"]:
            w = arg(1, "weight", None)
            k = tuple(w.shape[-2:])
            s, p, d = arg(3, "stride", 1), arg(4, "padding", 0), arg(5, "dilation", 1)
            d = pair("dilation", d)
            if isinstance(p, str):  # 'valid' or 'same' (torch puts the extra pixel after)
                p = (0, 0) if p == "valid" else tuple(d_ * (k_ - 1) // 2 for k_, d_ in zip(k, d))
            return "conv", k, pair("stride", s), pair("padding", p), d
        if func in fam["conv_transpose"]:
            return "conv_transpose", None, None, None, None
        if func in fam["pool"]:
            k = pair("kernel_size", arg(1, "kernel_size", None))
            s = arg(2, "stride", None)
            s = k if s is None or s == [] or s == () else pair("stride", s)
            p = pair("padding", arg(3, "padding", 0))
            d = pair("dilation", arg(4, "dilation", 1)) if func in fam["max_pool"] else (1, 1)
            return "pool", k, s, p, d
        if func in fam["adaptive_pool"]:
            return "adaptive_pool", None, None, None, None
        return None

    def handle(self, func, args, kwargs, out):
        import torch

        ins = [t for t in _tensors_in((args, kwargs)) if hasattr(t, _ATTR)]
        outs = list(_tensors_in(out))
        if not ins or not outs:
            return
        infos = [getattr(t, _ATTR) for t in ins]
        fname = getattr(func, "__name__", str(func))
        spec = self.spatial(func, args, kwargs, out)
        if spec is not None:
            info = infos[0]
            x = ins[0]
            if (spec[0] == "adaptive_pool" and self.ignore_global
                    and tuple(outs[0].shape[-2:]) == (1, 1)):
                for o in outs:  # a global pool of anything is global context
                    setattr(o, _ATTR, _Info())
                return
            if info.lost_by is not None:
                raise ValueError(f"receptive_field_of lost track of the spatial axes at "
                                 f"{info.lost_by!r} before {self.layer_name(func)!r}; "
                                 f"it follows convolutions, pooling, padding, elementwise ops, "
                                 f"concatenation, reshapes that keep H and W, and permutes")
            if info.h is None:  # global context (e.g. after global pooling): no spatial extent
                for o in outs:
                    setattr(o, _ATTR, info)
                return
            kind, k, s, p, d = spec
            n_in = (x.shape[-2], x.shape[-1])
            n_out = (outs[0].shape[-2], outs[0].shape[-1])
            if kind == "adaptive_pool":
                if n_out == (1, 1) and self.ignore_global and n_in != (1, 1):
                    for o in outs:
                        setattr(o, _ATTR, _Info())
                    return
                # the widest window and the mean stride of torch's adaptive windows
                k = tuple(max(math.ceil((i + 1) * n / m) - (i * n) // m for i in range(m))
                          for n, m in zip(n_in, n_out))
                s = tuple(n / m for n, m in zip(n_in, n_out))
                p, d = (0, 0), (1, 1)
            elif kind == "conv_transpose":
                w = args[1] if len(args) > 1 else kwargs["weight"]
                kt = tuple(w.shape[-2:])
                st = pair("stride", args[3] if len(args) > 3 else kwargs.get("stride", 1))
                pt = pair("padding", args[4] if len(args) > 4 else kwargs.get("padding", 0))
                dt = pair("dilation", args[7] if len(args) > 7 else kwargs.get("dilation", 1))
                # output o gathers inputs i with i*s - p + u*d = o: about ceil(k_eff/s) of them
                k = tuple(math.ceil((d_ * (k_ - 1) + 1) / s_) for k_, s_, d_ in zip(kt, st, dt))
                s = tuple(1 / s_ for s_ in st)
                # centre of output unit 0 in input units: (p - d(k-1)/2) / s
                p = tuple((kk - 1) / 2 - (p_ - d_ * (k_ - 1) / 2) / s_
                          for k_, s_, p_, d_, kk in zip(kt, st, pt, dt, k))
                d = (1, 1)
            new = []
            for a, kk, ss, pp, dd in zip((info.h, info.w), k, s, p, d):
                rf, jump, start = _step(a.rf, a.jump, a.start, kk, ss, pp, dd)
                new.append(_Axis(rf, jump, start))
            result = _Info(new[0], new[1], (outs[0].ndim - 2, outs[0].ndim - 1))
            self.rows.append(RFRow(
                self.layer_name(func), _collapse(*map(_num, k)), _collapse(*map(_num, s)),
                _collapse(*map(_num, p)), _collapse(*map(_num, d)),
                _collapse(_num(new[0].rf), _num(new[1].rf)),
                _collapse(_num(new[0].jump), _num(new[1].jump)),
                _collapse(_num(new[0].start), _num(new[1].start)), _collapse(*n_out)))
            for o in outs:
                setattr(o, _ATTR, result)
            return
        if fname == "pad" and infos[0].h is not None and infos[0].lost_by is None:
            pads = list(args[1] if len(args) > 1 else kwargs["pad"]) + [0, 0, 0, 0]
            info = infos[0]
            ah, aw = info.axes
            x = ins[0]
            if (ah, aw) == (x.ndim - 2, x.ndim - 1):  # F.pad lists the last axis first
                h = dataclasses.replace(info.h, start=info.h.start - pads[2] * info.h.jump)
                w = dataclasses.replace(info.w, start=info.w.start - pads[0] * info.w.jump)
                for o in outs:
                    setattr(o, _ATTR, _Info(h, w, info.axes))
                return
        result = self.follow(func, args, kwargs, ins, infos, outs[0], fname)
        for o in outs:
            if isinstance(o, torch.Tensor) and o.ndim == outs[0].ndim and o.shape[-2:] == outs[0].shape[-2:]:
                setattr(o, _ATTR, result)

    def follow(self, func, args, kwargs, ins, infos, out, fname):
        """Non-spatial ops: merge the inputs' fields and find the spatial axes in ``out``."""
        lost = [i for i in infos if i.lost_by is not None]
        if lost:
            return lost[0]
        spatial = [(t, i) for t, i in zip(ins, infos) if i.h is not None]
        if not spatial:
            return _Info()
        ref, info = spatial[0]
        h, w = info.h, info.w
        for _, other in spatial[1:]:
            h, w = _union_axis(h, other.h), _union_axis(w, other.w)
        hsize, wsize = ref.shape[info.axes[0]], ref.shape[info.axes[1]]
        ah, aw = info.axes
        if fname in ("permute",):
            dims = args[1:] if len(args) > 2 or (len(args) == 2 and isinstance(args[1], int)) \
                else tuple(args[1] if len(args) > 1 else kwargs["dims"])
            dims = [d_ % ref.ndim for d_ in dims]
            new_axes = (dims.index(ah), dims.index(aw))
        elif fname in ("transpose", "swapaxes", "swapdims", "transpose_"):
            d0, d1 = (a % ref.ndim for a in args[1:3])
            swap = {d0: d1, d1: d0}
            new_axes = (swap.get(ah, ah), swap.get(aw, aw))
        elif out.ndim == ref.ndim:
            new_axes = (ah, aw)
        else:  # reshapes, indexing, broadcasting: count the axes from the end
            new_axes = (out.ndim - (ref.ndim - ah), out.ndim - (ref.ndim - aw))
        ok = (0 <= new_axes[0] < out.ndim and 0 <= new_axes[1] < out.ndim
              and out.shape[new_axes[0]] == hsize and out.shape[new_axes[1]] == wsize)
        if ok:
            return _Info(h, w, new_axes)
        if self.ignore_global and (out.ndim <= ref.ndim) and (
                out.numel() * hsize * wsize == ref.numel() or out.ndim < 3
                or (0 <= new_axes[0] < out.ndim and 0 <= new_axes[1] < out.ndim
                    and out.shape[new_axes[0]] == 1 and out.shape[new_axes[1]] == 1)):
            return _Info()  # a reduction over H and W (a global mean, flatten): global context
        return _Info(lost_by=f"{self.layer_name(func)}")


def receptive_field_of(model, input_size, ignore_global=True):
    """Receptive field of every convolution and pooling in a torch model, in execution order.

    Runs ``model`` once on zeros of shape ``(1, *input_size)`` and follows the receptive
    field through every torch function applied to the input (a
    :class:`torch.overrides.TorchFunctionMode`): convolutions, transposed convolutions,
    max/avg/adaptive pooling and padding update it with the recurrence; elementwise ops,
    additions of residual paths and concatenations *merge* the fields of their inputs
    (the union of the boxes; the paths must have the same jump); reshapes and permutes
    that keep H and W carry it along.  So ResNet blocks, Inception concatenations and
    DenseNet work.

    Parameters
    ----------
    model : torch.nn.Module or callable
        Run in ``eval`` mode under ``torch.no_grad`` (its mode is restored afterwards).
    input_size : (C, H, W)
    ignore_global : bool
        Global pooling (output 1×1) gives "global context" with no spatial extent, so
        that squeeze-and-excitation branches (``x * sigmoid(fc(mean(x)))``) do not make
        every later receptive field the whole image.  With False such a branch raises
        (no finite box describes it).

    Returns
    -------
    list of RFRow
        One row per convolution/pooling whose input depends on the image position,
        ending at the last spatial layer; ``name`` is the module's qualified name.
        ``size`` is the actual output size.

    Raises
    ------
    ValueError
        A bad ``input_size``; paths with different jumps merged; a convolution applied
        after an op that the tracer cannot follow (named in the message).

    Notes
    -----
    Transposed convolution and adaptive pooling with a non-integer ratio are
    approximated (fractional jump, the widest window).  The start offset assumes
    torch's symmetric padding (``padding='same'`` with an even kernel puts the extra
    pixel after; the start is then off by half a jump).  Upsampling by
    ``F.interpolate`` is not followed: a convolution after it raises, naming the op.
    The tracer runs the model once; the cost is one forward pass.
    """
    import torch
    from torch.overrides import TorchFunctionMode

    if not isinstance(input_size, (tuple, list)) or len(input_size) != 3:
        raise ValueError(f"input_size must be (C, H, W), got {input_size!r}")
    c, h, w = (check_int(f"input_size[{i}]", v, 1) for i, v in enumerate(input_size))
    tracer = _Tracer(ignore_global)

    class _Mode(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            if getattr(func, "__name__", "") not in ("size", "dim", "__get__", "shape"):
                tracer.handle(func, args, kwargs, out)
            return out

    hooks = []
    modules = dict(model.named_modules()) if isinstance(model, torch.nn.Module) else {}
    for name, m in modules.items():
        if not any(True for _ in m.children()):
            tracer.leaves.add(name)
        hooks.append(m.register_forward_pre_hook(tracer.enter(name)))
        hooks.append(m.register_forward_hook(tracer.leave, always_call=True))
    was_training = getattr(model, "training", False)
    try:
        if isinstance(model, torch.nn.Module):
            model.eval()
        param = next((q for q in model.parameters() if q.is_floating_point()), None) \
            if isinstance(model, torch.nn.Module) else None
        x = torch.zeros(1, c, h, w, dtype=param.dtype if param is not None else None,
                        device=param.device if param is not None else None)
        setattr(x, _ATTR, _Info(_Axis(1, 1, 0.0), _Axis(1, 1, 0.0), (2, 3)))
        with torch.no_grad(), _Mode():
            model(x)
    finally:
        for hk in hooks:
            hk.remove()
        if isinstance(model, torch.nn.Module):
            model.train(was_training)
    return tracer.rows


# ---------------------------------------------------------------- effective RF
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
