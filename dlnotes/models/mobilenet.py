"""MobileNets: depthwise-separable convolutions (v1) and inverted residuals (v2).

* Howard et al., "MobileNets: efficient convolutional neural networks for mobile
  vision applications", arXiv:1704.04861, §3.1 (depthwise separable conv, cost ratio
  ``1/N + 1/D_K²``), Table 1 (the body), §3.3 (width multiplier α).
* Sandler et al., "MobileNetV2: inverted residuals and linear bottlenecks", CVPR 2018,
  arXiv:1801.04381, §3.2 (linear bottleneck), §3.3 (inverted residual), Table 2.
"""
from __future__ import annotations

from torch import nn

from .._validate import check_int, check_probability

__all__ = ["depthwise_separable", "MobileNetV1", "mobilenet_v1", "InvertedResidual",
           "MobileNetV2", "mobilenet_v2"]


def _conv_bn(in_ch, out_ch, kernel_size, stride=1, groups=1, act=nn.ReLU):
    layers = [nn.Conv2d(in_ch, out_ch, kernel_size, stride, (kernel_size - 1) // 2,
                        groups=groups, bias=False), nn.BatchNorm2d(out_ch)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


def _make_divisible(v, divisor=8, min_value=None):
    """Round channels to a multiple of ``divisor``, never more than 10 % down (as TF/torchvision)."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def depthwise_separable(in_channels, out_channels, stride=1):
    """3×3 depthwise conv (groups = C_in) + BN + ReLU, then 1×1 pointwise conv + BN + ReLU.

    ``(N, C_in, H, W) -> (N, C_out, H/stride, W/stride)`` with
    ``9·C_in + C_in·C_out`` weights instead of ``9·C_in·C_out`` (Fig. 3 of v1).
    """
    return nn.Sequential(_conv_bn(in_channels, in_channels, 3, stride, groups=in_channels),
                         _conv_bn(in_channels, out_channels, 1))


#: MobileNet v1 body (Table 1): (output channels, stride) of each separable block.
_V1_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
              (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


class MobileNetV1(nn.Module):
    """MobileNet v1: 3×3/2 conv, 13 depthwise-separable blocks, GAP, FC.

    Parameters
    ----------
    num_classes : int
    width_mult : float
        α of §3.3, thins every layer (1.0 → 4,231,976 parameters).
    separable : bool
        ``False`` replaces every depthwise-separable block by one full 3×3 convolution
        (+ BN + ReLU): the "Conv MobileNet" of Table 4 (29.3 M parameters and 4866 M
        mult-adds in the paper, against 4.2 M and 569 M).
    """

    def __init__(self, num_classes=1000, width_mult=1.0, separable=True):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        if width_mult <= 0:
            raise ValueError(f"width_mult must be > 0, got {width_mult!r}")
        super().__init__()
        c = int(32 * width_mult)
        layers = [_conv_bn(3, c, 3, 2)]
        for out, s in _V1_BLOCKS:
            out = int(out * width_mult)
            layers.append(depthwise_separable(c, out, s) if separable else _conv_bn(c, out, 3, s))
            c = out
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):                                  # (N, 3, 224, 224)
        x = self.features(x)                               # (N, 1024, 7, 7)
        return self.fc(self.avgpool(x).flatten(1))         # (N, num_classes)


def mobilenet_v1(num_classes=1000, width_mult=1.0, separable=True):
    """MobileNet v1 (α = 1: 4,231,976 parameters; the paper's Table 8 says 4.2 M).

    ``separable=False`` gives Table 4's network with full convolutions (29,294,088
    parameters, 4,867,343,360 MACs at 224×224; see :class:`MobileNetV1`).
    """
    return MobileNetV1(num_classes, width_mult, separable)


class InvertedResidual(nn.Module):
    """Expand (1×1, ×t) → depthwise 3×3 → project (1×1, *linear*) [+ x when shapes match].

    ``(N, C_in, H, W) -> (N, C_out, H/stride, W/stride)``.  The projection has no ReLU:
    the "linear bottleneck" of §3.2 (ReLU in a narrow space destroys information).
    """

    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(_conv_bn(inp, hidden, 1, act=nn.ReLU6))
        layers += [_conv_bn(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                   _conv_bn(hidden, oup, 1, act=None)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        out = self.conv(x)
        return x + out if self.use_res_connect else out


#: Table 2 of v2: expansion t, channels c, repeats n, first stride s.
_V2_SETTING = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
               (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class MobileNetV2(nn.Module):
    """MobileNet v2, ``(N, 3, 224, 224) -> (N, num_classes)``, 3,504,872 parameters at α = 1."""

    def __init__(self, num_classes=1000, width_mult=1.0, dropout=0.2):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_probability("dropout", dropout)
        if width_mult <= 0:
            raise ValueError(f"width_mult must be > 0, got {width_mult!r}")
        super().__init__()
        c = _make_divisible(32 * width_mult)
        last = _make_divisible(1280 * max(1.0, width_mult))
        layers = [_conv_bn(3, c, 3, 2, act=nn.ReLU6)]
        for t, ch, n, s in _V2_SETTING:
            out = _make_divisible(ch * width_mult)
            for i in range(n):
                layers.append(InvertedResidual(c, out, s if i == 0 else 1, t))
                c = out
        layers.append(_conv_bn(c, last, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(last, num_classes))

    def forward(self, x):                                  # (N, 3, 224, 224)
        x = self.features(x)                               # (N, 1280, 7, 7)
        return self.classifier(self.avgpool(x).flatten(1))


def mobilenet_v2(num_classes=1000, width_mult=1.0):
    """MobileNet v2 as in torchvision (3,504,872 parameters)."""
    return MobileNetV2(num_classes, width_mult)
