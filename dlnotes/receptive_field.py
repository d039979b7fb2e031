"""Receptive fields: the layer-by-layer recurrence, any torch model, and the effective RF.

This module holds the recurrence on a plain chain of layers (:func:`receptive_field`,
:func:`rf_box`, :func:`rf_cone`); :func:`receptive_field_of` (any torch model, traced) and
:func:`effective_receptive_field` (gradients) live in private modules and are imported
from here on first use.

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
from importlib import import_module as _import_module

import numpy as np

from ._validate import check_int

__all__ = ["RFRow", "receptive_field", "rf_box", "rf_cone", "receptive_field_of",
           "effective_receptive_field"]

# the public functions that live in private modules (imported on first use: they need torch)
_ELSEWHERE = {"receptive_field_of": "._rf_trace", "effective_receptive_field": "._erf"}


def __getattr__(name):
    if name in _ELSEWHERE:
        value = getattr(_import_module(_ELSEWHERE[name], __package__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ELSEWHERE))


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


def _parse_layers(layers):
    """``[(k, s, p, d), ...]`` from the notes' ``[k, s, p(, d)]`` lists, checked."""
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
    return parsed


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
    parsed = _parse_layers(layers)
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


def rf_cone(layers, layer, index):
    """The units of every earlier layer that feed unit ``index`` of ``layer`` (one axis).

    The note's top-down computation (note 001 §8.1, ``inFromOut``) done on index sets
    instead of sizes: unit ``i`` of layer ``m`` reads units ``i·s_m - p_m + t·d_m``,
    ``t = 0..k_m-1``, of layer ``m-1``.  Positions outside ``0..n_{m-1}-1`` are padding;
    like the receptive field itself, the cone continues below them as if the layer were
    extended, so that level 0 spans exactly the box of :func:`rf_box` (Araujo, Norris &
    Sim, Distill 2019, fig. "receptive field of a unit", drawn as stacked 1-D layers).

    Parameters
    ----------
    layers : sequence of [kernel, stride, padding] or [kernel, stride, padding, dilation]
        As for :func:`receptive_field`.
    layer : int
        0-based index of the layer that holds the unit.
    index : int
        The unit's index along the axis (it may be any integer; in-range is ``0..n-1``).

    Returns
    -------
    list of ndarray of int, length ``layer + 2``
        ``cone[0]`` holds input pixel indices, ``cone[m]`` indices of layer ``m-1``'s
        output (``cone[layer + 1] == [index]``); each sorted and unique.  Unit ``i`` of
        level ``m`` is centred on pixel ``start + i·jump`` of that level's row of
        :func:`receptive_field` (level 0: start 0, jump 1).

    Raises
    ------
    ValueError
        Bad layers (as :func:`receptive_field`) or ``layer`` out of range.

    Examples
    --------
    >>> [c.tolist() for c in rf_cone([[3, 1, 1], [2, 2, 0]], layer=1, index=0)]
    [[-1, 0, 1, 2], [0, 1], [0]]
    """
    parsed = _parse_layers(layers)
    layer = check_int("layer", layer, 0)
    if layer >= len(parsed):
        raise ValueError(f"layer={layer} is out of range; the chain has layers 0..{len(parsed) - 1}")
    index = check_int("index", index)
    cone = [np.array([index])]
    for k, s, p, d in reversed(parsed[:layer + 1]):
        below = (cone[0][:, None] * s - p + d * np.arange(k)[None, :]).ravel()
        cone.insert(0, np.unique(below))
    return cone
