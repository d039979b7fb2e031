"""NumPy softmax cross-entropy (dlnotes.losses) against torch, float32 and float64."""
import numpy as np
import torch
import torch.nn.functional as F
from run import Case

from dlnotes import losses

_rng = np.random.default_rng(0)


def _case(n, c, dtype):
    logits = (_rng.standard_normal((n, c)) * 3).astype(dtype)
    target = _rng.integers(0, c, n)
    tl, tt = torch.from_numpy(logits), torch.from_numpy(target)
    return Case(name=f"cross_entropy ({n},{c}) {np.dtype(dtype).name}",
                ours=lambda: losses.cross_entropy(logits, target),
                reference=lambda: F.cross_entropy(tl, tt))


def _bce_case(n, c):
    logits = _rng.standard_normal((n, c)) * 3
    target = _rng.integers(0, 2, (n, c)).astype(np.float64)
    tl, tt = torch.from_numpy(logits), torch.from_numpy(target)
    return Case(name=f"binary_cross_entropy_with_logits ({n},{c}) float64",
                ours=lambda: losses.binary_cross_entropy_with_logits(logits, target),
                reference=lambda: F.binary_cross_entropy_with_logits(tl, tt))


CASES = [
    _case(128, 10, np.float32),
    _case(128, 10, np.float64),
    _case(1024, 1000, np.float32),
    _case(1024, 1000, np.float64),
    _bce_case(1024, 80),
]
