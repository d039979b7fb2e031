"""Inception v2/v3: factorised convolutions and efficient grid reduction.

Szegedy, Vanhoucke, Ioffe, Shlens & Wojna, "Rethinking the Inception architecture for
computer vision", CVPR 2016, arXiv:1512.00567: §3.1 (5×5 → two 3×3, Fig. 5),
§3.2 (n×n → 1×n then n×1, Fig. 6), Fig. 7 (expanded 1×3 / 3×1 filter bank), §5 and
Fig. 10 (grid-size reduction by parallel stride-2 branches), §6 and Table 1.
The blocks follow torchvision's ``Inception3`` (names InceptionA–E) so that
:func:`inception_v3` has exactly its parameters.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .._validate import check_int
from .googlenet import conv_block

__all__ = ["InceptionA", "InceptionB", "InceptionC", "InceptionD", "InceptionE",
           "Inception3", "inception_v3"]


def _conv(i, o, **kw):
    return conv_block(i, o, True, **kw)


class InceptionA(nn.Module):
    """35×35 module: 1×1 | 1×1→5×5 | 1×1→3×3→3×3 (Fig. 5's factorised 5×5) | pool→1×1."""

    def __init__(self, in_channels, pool_features):
        super().__init__()
        self.b1 = _conv(in_channels, 64, kernel_size=1)
        self.b5 = nn.Sequential(_conv(in_channels, 48, kernel_size=1),
                                _conv(48, 64, kernel_size=5, padding=2))
        self.b3dbl = nn.Sequential(_conv(in_channels, 64, kernel_size=1),
                                   _conv(64, 96, kernel_size=3, padding=1),
                                   _conv(96, 96, kernel_size=3, padding=1))
        self.pool = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1),
                                  _conv(in_channels, pool_features, kernel_size=1))

    def forward(self, x):                      # (N, C, 35, 35) -> (N, 224 + pool_features, 35, 35)
        return torch.cat([self.b1(x), self.b5(x), self.b3dbl(x), self.pool(x)], 1)


class InceptionB(nn.Module):
    """Grid reduction 35 → 17 (Fig. 10): stride-2 conv branches in parallel with max-pool."""

    def __init__(self, in_channels):
        super().__init__()
        self.b3 = _conv(in_channels, 384, kernel_size=3, stride=2)
        self.b3dbl = nn.Sequential(_conv(in_channels, 64, kernel_size=1),
                                   _conv(64, 96, kernel_size=3, padding=1),
                                   _conv(96, 96, kernel_size=3, stride=2))
        self.pool = nn.MaxPool2d(3, stride=2)

    def forward(self, x):                      # (N, C, 35, 35) -> (N, 480 + C, 17, 17)
        return torch.cat([self.b3(x), self.b3dbl(x), self.pool(x)], 1)


class InceptionC(nn.Module):
    """17×17 module with 7×7 factorised into 1×7 and 7×1 (Fig. 6, n = 7)."""

    def __init__(self, in_channels, channels_7x7):
        super().__init__()
        c = channels_7x7
        self.b1 = _conv(in_channels, 192, kernel_size=1)
        self.b7 = nn.Sequential(_conv(in_channels, c, kernel_size=1),
                                _conv(c, c, kernel_size=(1, 7), padding=(0, 3)),
                                _conv(c, 192, kernel_size=(7, 1), padding=(3, 0)))
        self.b7dbl = nn.Sequential(_conv(in_channels, c, kernel_size=1),
                                   _conv(c, c, kernel_size=(7, 1), padding=(3, 0)),
                                   _conv(c, c, kernel_size=(1, 7), padding=(0, 3)),
                                   _conv(c, c, kernel_size=(7, 1), padding=(3, 0)),
                                   _conv(c, 192, kernel_size=(1, 7), padding=(0, 3)))
        self.pool = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1),
                                  _conv(in_channels, 192, kernel_size=1))

    def forward(self, x):                      # (N, 768, 17, 17) -> (N, 768, 17, 17)
        return torch.cat([self.b1(x), self.b7(x), self.b7dbl(x), self.pool(x)], 1)


class InceptionD(nn.Module):
    """Grid reduction 17 → 8."""

    def __init__(self, in_channels):
        super().__init__()
        self.b3 = nn.Sequential(_conv(in_channels, 192, kernel_size=1),
                                _conv(192, 320, kernel_size=3, stride=2))
        self.b7x3 = nn.Sequential(_conv(in_channels, 192, kernel_size=1),
                                  _conv(192, 192, kernel_size=(1, 7), padding=(0, 3)),
                                  _conv(192, 192, kernel_size=(7, 1), padding=(3, 0)),
                                  _conv(192, 192, kernel_size=3, stride=2))
        self.pool = nn.MaxPool2d(3, stride=2)

    def forward(self, x):                      # (N, 768, 17, 17) -> (N, 1280, 8, 8)
        return torch.cat([self.b3(x), self.b7x3(x), self.pool(x)], 1)


class InceptionE(nn.Module):
    """8×8 module with the expanded filter bank: 3×3 split into parallel 1×3 and 3×1 (Fig. 7)."""

    def __init__(self, in_channels):
        super().__init__()
        self.b1 = _conv(in_channels, 320, kernel_size=1)
        self.b3_1 = _conv(in_channels, 384, kernel_size=1)
        self.b3_2a = _conv(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.b3_2b = _conv(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.b3dbl_1 = nn.Sequential(_conv(in_channels, 448, kernel_size=1),
                                     _conv(448, 384, kernel_size=3, padding=1))
        self.b3dbl_3a = _conv(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.b3dbl_3b = _conv(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.pool = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1),
                                  _conv(in_channels, 192, kernel_size=1))

    def forward(self, x):                      # (N, C, 8, 8) -> (N, 2048, 8, 8)
        a = self.b3_1(x)
        b = self.b3dbl_1(x)
        return torch.cat([self.b1(x), self.b3_2a(a), self.b3_2b(a),
                          self.b3dbl_3a(b), self.b3dbl_3b(b), self.pool(x)], 1)


class _AuxV3(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.conv0 = _conv(in_channels, 128, kernel_size=1)
        self.conv1 = _conv(128, 768, kernel_size=5)
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x):                      # (N, 768, 17, 17)
        x = self.conv1(self.conv0(F.avg_pool2d(x, kernel_size=5, stride=3)))   # (N, 768, 1, 1)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class Inception3(nn.Module):
    """Inception v3 for 299×299 inputs, ``(N, 3, 299, 299) -> (N, num_classes)``.

    In training mode with ``aux_logits`` the forward returns ``(logits, aux)``.
    """

    def __init__(self, num_classes=1000, aux_logits=True, dropout=0.5):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        super().__init__()
        self.stem = nn.Sequential(
            _conv(3, 32, kernel_size=3, stride=2), _conv(32, 32, kernel_size=3),
            _conv(32, 64, kernel_size=3, padding=1), nn.MaxPool2d(3, stride=2),
            _conv(64, 80, kernel_size=1), _conv(80, 192, kernel_size=3), nn.MaxPool2d(3, stride=2))
        self.mixed5 = nn.Sequential(InceptionA(192, 32), InceptionA(256, 64), InceptionA(288, 64))
        self.mixed6 = nn.Sequential(InceptionB(288), InceptionC(768, 128), InceptionC(768, 160),
                                    InceptionC(768, 160), InceptionC(768, 192))
        self.aux = _AuxV3(768, num_classes) if aux_logits else None
        self.mixed7 = nn.Sequential(InceptionD(768), InceptionE(1280), InceptionE(2048))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):                      # (N, 3, 299, 299)
        x = self.mixed6(self.mixed5(self.stem(x)))          # (N, 768, 17, 17)
        aux = self.aux(x) if self.aux is not None and self.training else None
        x = self.mixed7(x)                                   # (N, 2048, 8, 8)
        logits = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        return (logits, aux) if aux is not None else logits


def inception_v3(num_classes=1000, aux_logits=True):
    """Inception v3 as in torchvision (27,161,264 parameters with the auxiliary head)."""
    return Inception3(num_classes, aux_logits)
