"""ResNet: residual learning with basic (two 3×3) and bottleneck (1×1-3×3-1×1) blocks.

He, Zhang, Ren & Sun, "Deep residual learning for image recognition", CVPR 2016,
arXiv:1512.03385: Eq. 1 ``y = F(x) + x``, Eq. 2 projection shortcut ``W_s x``, §3.3 and
Table 1 (the 18/34/50/101/152-layer networks), §4.1 and Fig. 5 (bottleneck).
"""
from __future__ import annotations

from torch import nn

from .._validate import check_choice, check_int

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50",
           "resnet101", "resnet152"]


def conv3x3(in_planes, out_planes, stride=1, groups=1):
    """3×3 conv, padding 1, no bias (the BN after it has its own shift β)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1,
                     groups=groups, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    """1×1 conv, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3×3 convs + identity (ResNet-18/34): ``relu(bn2(conv2(relu(bn1(conv1 x)))) + x)``.

    ``(N, inplanes, H, W) -> (N, planes, H/stride, W/stride)``.  ``downsample`` (a 1×1
    conv + BN, Eq. 2) projects ``x`` when the stride or channel count changes.
    ``stride_in_1x1`` is ignored (there is no 1×1 conv); it keeps one signature for both blocks.
    """

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, stride_in_1x1=False):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):                                        # (N, C_in, H, W)
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))                 # (N, planes, H', W')
        out = self.bn2(self.conv2(out))
        out += identity                                          # F(x) + x (in place, as torchvision)
        return self.relu(out)


class Bottleneck(nn.Module):
    """1×1 (reduce) → 3×3 → 1×1 (expand ×4) + shortcut (ResNet-50/101/152, Fig. 5 right).

    ``(N, inplanes, H, W) -> (N, 4·planes, H/stride, W/stride)``.

    Parameters
    ----------
    stride_in_1x1 : bool
        Where a downsampling block puts its stride 2.  ``False`` (torchvision, "ResNet
        v1.5") strides the 3×3 conv; ``True`` (the paper, "v1") strides the first 1×1
        conv, which then simply skips three of every four pixels.  Same parameters, same
        output shape; v1.5 is about 0.5 % more accurate on ImageNet at ~6 % more MACs
        (ResNet-50: 4.09 vs 3.86 GMACs).
    """

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, stride_in_1x1=False):
        super().__init__()
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = conv1x1(inplanes, planes, s1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, s3)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def residual(self, x):                                       # (N, C_in, H, W)
        out = self.relu(self.bn1(self.conv1(x)))                 # (N, planes, ., .)
        out = self.relu(self.bn2(self.conv2(out)))               # (N, planes, H', W')
        return self.bn3(self.conv3(out))                         # (N, 4·planes, H', W')

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.residual(x)                                   # (N, 4·planes, H', W')
        out += identity
        return self.relu(out)


_BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ResNet(nn.Module):
    """ResNet of Table 1: stem, four stages of residual blocks, global average pool, FC.

    Parameters
    ----------
    block : BasicBlock or Bottleneck class (or "basic" / "bottleneck")
    layers : sequence of 4 ints
        Blocks per stage (conv2_x … conv5_x), e.g. ``(3, 4, 6, 3)`` for ResNet-50.
    num_classes : int
    stride_in_1x1 : bool
        The paper's v1 stride placement (see :class:`Bottleneck`).
    zero_init_residual : bool
        Start each block's last BN with γ = 0 so that every block begins as the identity
        (Goyal et al. 2017, arXiv:1706.02677 §5.1).
    block_factory : callable, optional
        Builds each block from ``(inplanes, planes, stride, downsample, stride_in_1x1)``;
        SE-ResNet passes its own (see :mod:`dlnotes.models.senet`).

    Notes
    -----
    Input ``(N, 3, H, W)`` with H, W ≥ 32; output ``(N, num_classes)``.  The stem is
    7×7/2 conv → BN → ReLU → 3×3/2 max-pool; stages 2–4 halve the resolution in their
    first block, whose shortcut is a 1×1/2 conv + BN projection (option B of §3.3).
    """

    def __init__(self, block, layers, num_classes=1000, stride_in_1x1=False,
                 zero_init_residual=False, block_factory=None):
        if isinstance(block, str):
            block = _BLOCKS[check_choice("block", block, tuple(_BLOCKS))]
        if len(layers) != 4:
            raise ValueError(f"layers must give the blocks of 4 stages, got {layers!r}")
        layers = [check_int(f"layers[{i}]", n, minimum=1) for i, n in enumerate(layers)]
        num_classes = check_int("num_classes", num_classes, minimum=1)
        super().__init__()
        self._block = block
        self._factory = block_factory or block
        self._stride_in_1x1 = stride_in_1x1
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                last = getattr(m, "bn3", None) if isinstance(m, Bottleneck) else \
                    getattr(m, "bn2", None) if isinstance(m, BasicBlock) else None
                if last is not None:
                    nn.init.zeros_(last.weight)

    def _make_layer(self, planes, blocks, stride=1):
        """One stage: the first block may downsample; the other ``blocks - 1`` keep stride 1."""
        out = planes * self._block.expansion
        downsample = None
        if stride != 1 or self.inplanes != out:
            downsample = nn.Sequential(conv1x1(self.inplanes, out, stride), nn.BatchNorm2d(out))
        layers = [self._factory(self.inplanes, planes, stride, downsample, self._stride_in_1x1)]
        self.inplanes = out
        for _ in range(1, blocks):
            layers.append(self._factory(self.inplanes, planes, 1, None, self._stride_in_1x1))
        return nn.Sequential(*layers)

    def forward(self, x):                                        # (N, 3, 224, 224)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))     # (N, 64, 56, 56)
        x = self.layer1(x)                                       # (N, 64·e, 56, 56)
        x = self.layer2(x)                                       # (N, 128·e, 28, 28)
        x = self.layer3(x)                                       # (N, 256·e, 14, 14)
        x = self.layer4(x)                                       # (N, 512·e, 7, 7)
        x = self.avgpool(x).flatten(1)                           # (N, 512·e)
        return self.fc(x)                                        # (N, num_classes)


def resnet18(num_classes=1000, **kwargs):
    """ResNet-18: basic blocks (2, 2, 2, 2), 11,689,512 parameters."""
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes, **kwargs)


def resnet34(num_classes=1000, **kwargs):
    """ResNet-34: basic blocks (3, 4, 6, 3), 21,797,672 parameters."""
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes, **kwargs)


def resnet50(num_classes=1000, **kwargs):
    """ResNet-50: bottlenecks (3, 4, 6, 3), 25,557,032 parameters."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, **kwargs)


def resnet101(num_classes=1000, **kwargs):
    """ResNet-101: bottlenecks (3, 4, 23, 3), 44,549,160 parameters."""
    return ResNet(Bottleneck, (3, 4, 23, 3), num_classes, **kwargs)


def resnet152(num_classes=1000, **kwargs):
    """ResNet-152: bottlenecks (3, 8, 36, 3), 60,192,808 parameters."""
    return ResNet(Bottleneck, (3, 8, 36, 3), num_classes, **kwargs)
