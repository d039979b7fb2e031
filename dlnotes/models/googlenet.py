"""GoogLeNet (Inception v1): parallel 1×1 / 3×3 / 5×5 / pool branches, 1×1 reductions,
auxiliary classifiers.

Szegedy et al., "Going deeper with convolutions", CVPR 2015, arXiv:1409.4842, §4
(Inception module with dimension reductions, Fig. 2b), §5 and Table 1 (the 22-layer
network), auxiliary classifiers (§5, weight 0.3, discarded at inference).
"""
from __future__ import annotations

import torch
from torch import nn

from .._validate import check_int

__all__ = ["conv_block", "Inception", "InceptionAux", "GoogLeNet", "googlenet"]


def conv_block(in_channels, out_channels, batch_norm, **kwargs):
    """Conv + ReLU (paper) or conv (no bias) + BN(eps=1e-3) + ReLU (torchvision's BasicConv2d)."""
    if batch_norm:
        return nn.Sequential(nn.Conv2d(in_channels, out_channels, bias=False, **kwargs),
                             nn.BatchNorm2d(out_channels, eps=0.001), nn.ReLU(inplace=True))
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, **kwargs), nn.ReLU(inplace=True))


class Inception(nn.Module):
    """Fig. 2(b): four branches concatenated on channels.

    ``(N, C, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)``; the "#3×3 reduce"
    and "#5×5 reduce" 1×1 convs of Table 1 shrink the channels before the costly convs.
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
                 batch_norm=False, large_kernel=5):
        super().__init__()
        k = large_kernel
        self.branch1 = conv_block(in_channels, ch1x1, batch_norm, kernel_size=1)
        self.branch2 = nn.Sequential(conv_block(in_channels, ch3x3red, batch_norm, kernel_size=1),
                                     conv_block(ch3x3red, ch3x3, batch_norm, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(conv_block(in_channels, ch5x5red, batch_norm, kernel_size=1),
                                     conv_block(ch5x5red, ch5x5, batch_norm, kernel_size=k,
                                                padding=k // 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     conv_block(in_channels, pool_proj, batch_norm, kernel_size=1))

    def forward(self, x):                                    # (N, C, H, W)
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier: 5×5/3 avg-pool → 1×1 conv (128) → FC 1024 → dropout 0.7 → FC.

    ``(N, 512 or 528, 14, 14) -> (N, num_classes)``.
    """

    def __init__(self, in_channels, num_classes, batch_norm=False, dropout=0.7):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((4, 4))             # = AvgPool(5, stride 3) on 14×14
        self.conv = conv_block(in_channels, 128, batch_norm, kernel_size=1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.conv(self.pool(x)).flatten(1)               # (N, 2048)
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


#: Table 1 of the paper: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj.
INCEPTION_V1 = {
    "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128), "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}


class GoogLeNet(nn.Module):
    """GoogLeNet, ``(N, 3, 224, 224) -> (N, num_classes)``.

    Parameters
    ----------
    num_classes : int
    aux_logits : bool
        Build the two auxiliary classifiers (after 4a and 4d).  In training mode the
        forward pass then returns ``(logits, aux1, aux2)``; in eval mode only ``logits``.
    batch_norm : bool
        torchvision's variant: BN after every conv (the BN-Inception idea), no LRN.
    large_kernel : {5, 3}
        Kernel of the "5×5" branch.  torchvision uses 3 — a slip in an early port, kept
        for compatibility with its pretrained weights.
    lrn : bool or None
        Local response normalisation in the stem as in the paper (default: ``not batch_norm``).
    dropout : float
        Before the classifier: 0.4 in the paper (torchvision: 0.2).

    Notes
    -----
    With the defaults (the paper's network) the model has 6,998,552 parameters without
    auxiliary classifiers (the paper claims "12 times fewer" than AlexNet;
    against :func:`~dlnotes.models.alexnet_paper` it is 8.7 times fewer).  ``googlenet(batch_norm=True,
    large_kernel=3)`` has exactly torchvision's 13,004,888 (6,624,904 without aux).
    """

    def __init__(self, num_classes=1000, aux_logits=True, batch_norm=False, large_kernel=5,
                 lrn=None, dropout=0.4):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        if large_kernel not in (3, 5):
            raise ValueError(f"large_kernel must be 5 (paper) or 3 (torchvision), got {large_kernel!r}")
        lrn = (not batch_norm) if lrn is None else lrn
        super().__init__()
        bn = batch_norm
        norm = [nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)] if lrn else []
        self.stem = nn.Sequential(
            conv_block(3, 64, bn, kernel_size=7, stride=2, padding=3),          # 112×112
            nn.MaxPool2d(3, stride=2, ceil_mode=True), *norm,                  # 56×56
            conv_block(64, 64, bn, kernel_size=1),
            conv_block(64, 192, bn, kernel_size=3, padding=1), *norm,
            nn.MaxPool2d(3, stride=2, ceil_mode=True))                         # 28×28

        def inception(name):
            return Inception(*INCEPTION_V1[name], batch_norm=bn, large_kernel=large_kernel)

        self.inception3 = nn.Sequential(inception("3a"), inception("3b"),
                                        nn.MaxPool2d(3, stride=2, ceil_mode=True))   # 14×14
        self.inception4a = inception("4a")
        self.inception4bcd = nn.Sequential(inception("4b"), inception("4c"), inception("4d"))
        self.inception4e = nn.Sequential(inception("4e"), nn.MaxPool2d(2, stride=2, ceil_mode=True))
        self.inception5 = nn.Sequential(inception("5a"), inception("5b"))           # 7×7
        self.aux1 = InceptionAux(512, num_classes, bn) if aux_logits else None
        self.aux2 = InceptionAux(528, num_classes, bn) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):                                    # (N, 3, 224, 224)
        x = self.inception3(self.stem(x))                    # (N, 480, 14, 14)
        x = self.inception4a(x)                              # (N, 512, 14, 14)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4bcd(x)                            # (N, 528, 14, 14)
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.inception5(self.inception4e(x))             # (N, 1024, 7, 7)
        logits = self.fc(self.dropout(self.avgpool(x).flatten(1)))   # (N, num_classes)
        return (logits, aux1, aux2) if aux1 is not None else logits


def googlenet(num_classes=1000, aux_logits=True, **kwargs):
    """The paper's GoogLeNet (Inception v1); see :class:`GoogLeNet` for the options."""
    return GoogLeNet(num_classes, aux_logits, **kwargs)
