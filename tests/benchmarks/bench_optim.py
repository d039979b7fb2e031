"""dlnotes.optim against torch.optim: 20 steps on 0.8M parameters, float32 and float64.

Both sides get the same pre-computed gradients; torch runs its default single-tensor CPU
path (``foreach=False``) and its multi-tensor path (``foreach=True``).
"""
import numpy as np
import torch
from run import Case

from dlnotes import optim

SHAPES = [(512, 1024), (1024,), (512, 512), (512,), (10, 512), (10,)]   # ~0.8M parameters
STEPS = 20


def _make(dtype):
    rng = np.random.default_rng(0)
    params = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    grads = [[rng.normal(size=s).astype(dtype) for s in SHAPES] for _ in range(2)]
    return params, grads


def _ours(cls, dtype, **kwargs):
    params, grads = _make(dtype)
    opt = cls([p.copy() for p in params], **kwargs)

    def run():
        for t in range(STEPS):
            opt.step(grads[t % 2])
    return run


def _torch(cls, dtype, foreach, **kwargs):
    params, grads = _make(dtype)
    tp = [torch.tensor(p) for p in params]
    tg = [[torch.tensor(g) for g in gs] for gs in grads]
    opt = cls(tp, foreach=foreach, **kwargs)

    def run():
        for t in range(STEPS):
            for p, g in zip(tp, tg[t % 2]):
                p.grad = g
            opt.step()
    return run


CONFIGS = [("SGD momentum", "SGD", dict(lr=0.01, momentum=0.9)),
           ("Adagrad", "Adagrad", dict(lr=0.01)),
           ("RMSprop", "RMSprop", dict(lr=0.01)),
           ("Adam", "Adam", dict(lr=1e-3)),
           ("AdamW", "AdamW", dict(lr=1e-3))]

CASES = []
for label, name, kw in CONFIGS:
    for dtype in (np.float32, np.float64):
        for foreach in (False, True):
            CASES.append(Case(
                name=f"{label} {STEPS} steps, 0.8M params, {np.dtype(dtype).name}, foreach={foreach}",
                ours=_ours(getattr(optim, name), dtype, **kw),
                reference=_torch(getattr(torch.optim, name), dtype, foreach, **kw),
                reference_name="torch.optim", repeat=3))
