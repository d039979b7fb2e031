"""Where to run, and how to seed.

GPU cells in the book call :func:`get_device` and therefore run on the CPU when no
GPU is present.  :func:`seed_everything` is called once, in each chapter's setup cell.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["available_devices", "get_device", "seed_everything"]

_ENV = "DLNOTES_DEVICE"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """Device types usable here, best first, e.g. ``['cuda', 'cpu']``."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    found.append("cpu")
    return found


def get_device(prefer: str | None = None) -> torch.device:
    """Return the torch device a chapter should use.

    Parameters
    ----------
    prefer : str, optional
        A device such as ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"``.  When omitted,
        the environment variable ``DLNOTES_DEVICE`` is used; when that is unset too, the
        first available of cuda -> mps -> cpu.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If the requested device (argument or environment variable) is not available
        here; the message lists what is.
    """
    source = "prefer"
    if prefer is None:
        prefer = os.environ.get(_ENV) or None
        source = f"environment variable {_ENV}"
    available = available_devices()
    if prefer is None:
        return torch.device(available[0])
    try:
        device = torch.device(prefer)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"{source}={prefer!r} is not a device name; choose one of {available}") from exc
    if device.type not in available:
        raise ValueError(
            f"{source}={prefer!r} asks for a device that is not available here; "
            f"available: {available}")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(
            f"{source}={prefer!r}: only {torch.cuda.device_count()} CUDA device(s) here; "
            f"use 'cuda:0' .. 'cuda:{torch.cuda.device_count() - 1}' or one of {available}")
    return device


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python, NumPy's legacy global state and torch; return a fresh NumPy Generator.

    Library code in ``dlnotes`` never touches global random state; it takes the
    returned generator (``rng``) as an argument.  Only a notebook's setup cell calls this.

    Parameters
    ----------
    seed : int
        Non-negative seed.

    Returns
    -------
    numpy.random.Generator
        ``np.random.default_rng(seed)``.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)
