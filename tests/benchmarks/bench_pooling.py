"""Pooling and the transposed convolution: dlnotes (NumPy) vs torch, as ratios."""
import numpy as np
import torch
import torch.nn.functional as F
from run import Case

from dlnotes import conv, pooling

_rng = np.random.default_rng(0)
X = _rng.normal(size=(8, 64, 56, 56)).astype(np.float32)
XT = torch.from_numpy(X)
G = _rng.normal(size=(8, 64, 28, 28)).astype(np.float32)
Y = _rng.normal(size=(8, 64, 28, 28)).astype(np.float32)
W = _rng.normal(size=(64, 32, 4, 4)).astype(np.float32)
YT, WT = torch.from_numpy(Y), torch.from_numpy(W)


def _torch_max_backward():
    x = XT.clone().requires_grad_(True)
    F.max_pool2d(x, 3, 2, 1).backward(torch.from_numpy(G))
    return x.grad


CASES = [
    Case(name="max_pool2d 3x3/2 pad 1 (8,64,56,56) float32",
         ours=lambda: pooling.max_pool2d(X, 3, 2, 1), reference=lambda: F.max_pool2d(XT, 3, 2, 1)),
    Case(name="avg_pool2d 2x2/2 (8,64,56,56) float32",
         ours=lambda: pooling.avg_pool2d(X, 2), reference=lambda: F.avg_pool2d(XT, 2)),
    Case(name="max_pool2d backward 3x3/2 pad 1 (8,64,56,56)",
         ours=lambda: pooling.max_pool2d_backward(G, X, 3, 2, 1), reference=_torch_max_backward,
         reference_name="torch autograd"),
    Case(name="spatial_pyramid_pool (1,2,4) (8,64,56,56)",
         ours=lambda: pooling.spatial_pyramid_pool(X),
         reference=lambda: torch.cat([F.adaptive_max_pool2d(XT, n).flatten(1) for n in (1, 2, 4)], 1)),
    Case(name="conv_transpose2d 4x4/2 pad 1 (8,64,28,28)->(8,32,56,56) float32",
         ours=lambda: conv.conv_transpose2d(Y, W, stride=2, padding=1),
         reference=lambda: F.conv_transpose2d(YT, WT, stride=2, padding=1)),
]
