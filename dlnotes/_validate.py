"""Shared argument checks (private).

Every public function checks its input before doing any work and raises a
``ValueError``/``TypeError`` that says what was expected, what arrived and how to
fix it -- never ``assert``, which vanishes under ``python -O``.
"""
from __future__ import annotations

import numbers

import numpy as np


def check_choice(name, value, choices):
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not supported; choose one of {tuple(choices)}")
    return value


def check_ndim(name, array, ndim, layout=None):
    """Return ``array`` as an ndarray, raising ``ValueError`` unless it has ``ndim`` dimensions."""
    array = np.asarray(array)
    if array.ndim != ndim:
        hint = f" ({layout})" if layout else ""
        raise ValueError(
            f"{name} must be a {ndim}-D array{hint}, got shape {array.shape} ({array.ndim}-D)")
    return array


def check_int(name, value, minimum=None):
    """Return ``value`` as an int, raising ``TypeError``/``ValueError`` when it is not one (or too small)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def pair(name, value, minimum=None):
    """Return ``value`` (an int or a pair of ints) as a tuple ``(a, b)``, checked.

    Mirrors torch's ``_pair``: ``3 -> (3, 3)``, ``(1, 2) -> (1, 2)``.
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return (check_int(f"{name}[0]", value[0], minimum), check_int(f"{name}[1]", value[1], minimum))
    v = check_int(name, value, minimum)
    return (v, v)


def check_probability(name, value, *, upper_inclusive=True):
    """Raise ``ValueError`` unless ``0 <= value <= 1`` (or ``< 1``)."""
    ok = 0.0 <= value <= 1.0 if upper_inclusive else 0.0 <= value < 1.0
    if not ok:
        rng = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise ValueError(f"{name} must be in {rng}, got {value!r}")
    return float(value)
