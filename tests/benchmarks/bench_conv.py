"""conv2d: vectorised NumPy (strided im2col + one BLAS matmul) vs torch, float32."""
import numpy as np
import torch
import torch.nn.functional as F
from run import Case

from dlnotes import conv

_rng = np.random.default_rng(0)
_x = _rng.standard_normal((8, 64, 56, 56), dtype=np.float32)
_w = _rng.standard_normal((64, 64, 3, 3), dtype=np.float32)
_xt, _wt = torch.from_numpy(_x), torch.from_numpy(_w)

_xs = _rng.standard_normal((1, 3, 32, 32))
_ws = _rng.standard_normal((4, 3, 3, 3))
_xst, _wst = torch.from_numpy(_xs), torch.from_numpy(_ws)

CASES = [
    Case(name="conv2d (8,64,56,56)x(64,64,3,3) pad 1 float32",
         ours=lambda: conv.conv2d(_x, _w, padding=1),
         reference=lambda: F.conv2d(_xt, _wt, padding=1)),
    Case(name="conv2d (1,3,32,32)x(4,3,3,3) float64",
         ours=lambda: conv.conv2d(_xs, _ws, padding=1),
         reference=lambda: F.conv2d(_xst, _wst, padding=1),
         naive=lambda: conv.conv2d_naive(_xs, _ws, padding=1)),
]
