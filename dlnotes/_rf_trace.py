"""Receptive field of any torch model, by tracing one forward pass (private).

Re-exported from :mod:`dlnotes.receptive_field` (import :func:`receptive_field_of` from
there).  A :class:`torch.overrides.TorchFunctionMode` sees every torch function applied to
the image and carries each tensor's receptive field (size, jump, start along H and W)
through it: convolutions and pooling apply the recurrence of
:func:`dlnotes.receptive_field.receptive_field`; additions and concatenations take the union
of their inputs' boxes; reshapes and permutes that keep H and W carry the field along.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional

from ._validate import check_int, pair
from .receptive_field import RFRow, _collapse, _num, _step

__all__ = ["receptive_field_of"]

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
