"""BN-Inception ("Inception-v2" of the batch-normalisation paper).

Ioffe & Szegedy, "Batch normalization: accelerating deep network training by reducing
internal covariate shift", ICML 2015, arXiv:1502.03167, §4.2 and Appendix, Fig. 5
(the network table).  The changes to GoogLeNet (:func:`~dlnotes.models.googlenet`):

* batch normalisation after every convolution (before the ReLU), no LRN, no dropout;
* every 5×5 convolution replaced by two stacked 3×3 convolutions (up to 128 filters);
* three 28×28 modules (3a, 3b, 3c) instead of two;
* no pooling layer between the module groups: modules 3c and 4e reduce the grid with
  stride-2 convolutions and a stride-2 max-pool whose output is passed through;
* average or max pooling inside the modules (Fig. 5's "Pool +proj" column).

The widths below are those of Fig. 5 (the same as the released Caffe model).
"""
from __future__ import annotations

import torch
from torch import nn

from .._validate import check_int
from .googlenet import conv_block

__all__ = ["BNInceptionModule", "INCEPTION_BN", "BNInception", "bn_inception"]

#: Fig. 5: #1×1, #3×3 reduce, #3×3, double #3×3 reduce, double #3×3, pool, pool proj.
#: Modules with #1×1 = 0 (3c, 4e) have stride 2 and pass the max-pool through.
INCEPTION_BN = {
    "3a": (64, 64, 64, 64, 96, "avg", 32), "3b": (64, 64, 96, 64, 96, "avg", 64),
    "3c": (0, 128, 160, 64, 96, "max", 0), "4a": (224, 64, 96, 96, 128, "avg", 128),
    "4b": (192, 96, 128, 96, 128, "avg", 128), "4c": (160, 128, 160, 128, 160, "avg", 128),
    "4d": (96, 128, 192, 160, 192, "avg", 128), "4e": (0, 128, 192, 192, 256, "max", 0),
    "5a": (352, 192, 320, 160, 224, "avg", 128), "5b": (352, 192, 320, 192, 224, "max", 128),
}


def _conv(i, o, k, stride=1):
    return conv_block(i, o, True, kernel_size=k, stride=stride, padding=k // 2)


class BNInceptionModule(nn.Module):
    """One row of Fig. 5: 1×1 | 1×1→3×3 | 1×1→3×3→3×3 (the factorised 5×5) | pool→1×1.

    ``(N, C, H, W) -> (N, ch1x1 + ch3x3 + dbl3x3 + (pool_proj or C), H/s, W/s)``; a
    module with ``ch1x1 = 0`` has stride 2 and no pool projection.
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, dblred, dbl3x3, pool, pool_proj):
        super().__init__()
        stride = 2 if ch1x1 == 0 else 1
        self.out_channels = ch1x1 + ch3x3 + dbl3x3 + (pool_proj or in_channels)
        self.branch1 = _conv(in_channels, ch1x1, 1) if ch1x1 else None
        self.branch3 = nn.Sequential(_conv(in_channels, ch3x3red, 1), _conv(ch3x3red, ch3x3, 3, stride))
        self.branch3dbl = nn.Sequential(_conv(in_channels, dblred, 1), _conv(dblred, dbl3x3, 3),
                                        _conv(dbl3x3, dbl3x3, 3, stride))
        pool_layer = (nn.AvgPool2d(3, stride=1, padding=1) if pool == "avg"
                      else nn.MaxPool2d(3, stride=stride, padding=1 if stride == 1 else 0,
                                        ceil_mode=True))
        self.branch_pool = (nn.Sequential(pool_layer, _conv(in_channels, pool_proj, 1)) if pool_proj
                            else pool_layer)

    def forward(self, x):                                   # (N, C, H, W)
        if self.branch1 is None and (x.shape[-2] % 2 or x.shape[-1] % 2):
            raise ValueError(
                f"a stride-2 BN-Inception module needs even map sides, got {x.shape[-2]}×{x.shape[-1]} "
                "(its ceil-mode pool and padded convs disagree on odd sides): use an input whose "
                "sides are multiples of 32, e.g. 224×224")
        out = [self.branch3(x), self.branch3dbl(x), self.branch_pool(x)]
        if self.branch1 is not None:
            out.insert(0, self.branch1(x))
        return torch.cat(out, 1)


class BNInception(nn.Module):
    """BN-Inception, ``(N, 3, H, W) -> (N, num_classes)`` with ``H, W`` multiples of 32 (224).

    ``stem`` (7×7/2 conv, pool, 1×1 and 3×3 convs, pool: 28×28×192) and the modules
    ``blocks["3a"]`` … ``blocks["5b"]``: 28×28 until 3b (320 maps), 14×14 from 3c
    (576) to 4d (608), 7×7 from 4e (1056) on, 1024 maps after 5a and 5b.  No auxiliary
    classifiers and no dropout, as in the released model.
    """

    def __init__(self, num_classes=1000):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        super().__init__()
        self.stem = nn.Sequential(
            _conv(3, 64, 7, stride=2), nn.MaxPool2d(3, stride=2, ceil_mode=True),   # 56×56
            _conv(64, 64, 1), _conv(64, 192, 3), nn.MaxPool2d(3, stride=2, ceil_mode=True))
        blocks, c = {}, 192
        for name, spec in INCEPTION_BN.items():
            blocks[name] = BNInceptionModule(c, *spec)
            c = blocks[name].out_channels
        self.blocks = nn.ModuleDict(blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):                                   # (N, 3, 224, 224)
        x = self.stem(x)                                    # (N, 192, 28, 28)
        for block in self.blocks.values():
            x = block(x)                                    # ... (N, 1024, 7, 7)
        return self.fc(self.avgpool(x).flatten(1))          # (N, num_classes)


def bn_inception(num_classes=1000):
    """BN-Inception of Fig. 5 (11,285,224 parameters; see :class:`BNInception`).

    The released Caffe model (ported by Cadene's ``pretrainedmodels``) has 11,295,240:
    the same layers plus 10,016 conv biases, which the BN after each conv makes redundant.
    """
    return BNInception(num_classes)
