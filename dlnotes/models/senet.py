"""Squeeze-and-Excitation networks: channel attention inside residual blocks.

Hu, Shen & Sun, "Squeeze-and-excitation networks", CVPR 2018, arXiv:1709.01507,
§3.1 squeeze (Eq. 2, global average pooling), §3.2 excitation (Eq. 3,
``s = σ(W2 δ(W1 z))``, reduction ratio r = 16), §3.3 and Fig. 3 (SE-ResNet module:
the gate multiplies the residual branch before the addition).
"""
from __future__ import annotations

from torch import nn

from .._validate import check_int
from .resnet import Bottleneck, ResNet

__all__ = ["SqueezeExcitation", "SEBottleneck", "se_resnet50"]


class SqueezeExcitation(nn.Module):
    """``x * σ(W2 ReLU(W1 GAP(x)))`` per channel; ``(N, C, H, W) -> (N, C, H, W)``.

    Parameters
    ----------
    channels : int
    reduction : int
        r in the paper; the hidden width is ``channels // reduction``.

    Notes
    -----
    ``W1, W2`` are 1×1 convolutions with bias (the same as fully connected layers on
    the pooled vector), which gives 2·C²/r + C/r + C parameters.
    """

    def __init__(self, channels, reduction=16):
        channels = check_int("channels", channels, minimum=1)
        reduction = check_int("reduction", reduction, minimum=1)
        super().__init__()
        hidden = max(1, channels // reduction)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, hidden, kernel_size=1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, channels, kernel_size=1)
        self.gate = nn.Sigmoid()

    def scale(self, x):                                   # (N, C, H, W)
        z = self.avgpool(x)                               # (N, C, 1, 1)  squeeze
        return self.gate(self.fc2(self.relu(self.fc1(z))))  # (N, C, 1, 1)  excitation

    def forward(self, x):
        return x * self.scale(x)                          # (N, C, H, W)


class SEBottleneck(Bottleneck):
    """A ResNet bottleneck whose residual branch is rescaled by SE before ``+ x``."""

    def __init__(self, inplanes, planes, stride=1, downsample=None, stride_in_1x1=False,
                 reduction=16):
        super().__init__(inplanes, planes, stride, downsample, stride_in_1x1)
        self.se = SqueezeExcitation(planes * self.expansion, reduction)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.se(self.residual(x))                          # gated F(x)
        out += identity
        return self.relu(out)


def se_resnet50(num_classes=1000, reduction=16, **kwargs):
    """SE-ResNet-50: ResNet-50 with an SE module in every block (28,088,024 parameters).

    The paper (Table 1) reports 28.1 M for SE-ResNet-50 vs 25.6 M for ResNet-50 (+10 %)
    at almost the same MACs (3.87 G vs 3.86 G, their v1 stride placement).
    """
    reduction = check_int("reduction", reduction, minimum=1)

    def factory(inplanes, planes, stride, downsample, stride_in_1x1):
        return SEBottleneck(inplanes, planes, stride, downsample, stride_in_1x1, reduction)

    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, block_factory=factory, **kwargs)
