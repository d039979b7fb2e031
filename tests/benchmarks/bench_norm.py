"""NumPy batch/layer/group norm against torch.nn.functional (float32, CPU)."""
import numpy as np
import torch
import torch.nn.functional as F
from run import Case

from dlnotes import norm

_rng = np.random.default_rng(0)
_x = _rng.normal(size=(16, 64, 28, 28)).astype(np.float32)
_xt = torch.from_numpy(_x)
_c = _x.shape[1]
_rm, _rv = np.zeros(_c, np.float32), np.ones(_c, np.float32)
_rmt, _rvt = torch.zeros(_c), torch.ones(_c)
_shape = "(16,64,28,28) float32"

CASES = [
    Case(name=f"batch_norm train {_shape}",
         ours=lambda: norm.batch_norm(_x, _rm, _rv, training=True),
         reference=lambda: F.batch_norm(_xt, _rmt, _rvt, training=True)),
    Case(name=f"batch_norm eval {_shape}",
         ours=lambda: norm.batch_norm(_x, _rm, _rv),
         reference=lambda: F.batch_norm(_xt, _rmt, _rvt)),
    Case(name=f"layer_norm (C,H,W) {_shape}",
         ours=lambda: norm.layer_norm(_x, _x.shape[1:]),
         reference=lambda: F.layer_norm(_xt, _xt.shape[1:])),
    Case(name=f"group_norm G=8 {_shape}",
         ours=lambda: norm.group_norm(_x, 8),
         reference=lambda: F.group_norm(_xt, 8),
         naive=lambda: norm.group_norm_naive(_x, 8)),
]
