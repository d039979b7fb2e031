"""ShuffleNet v1 (grouped 1×1 convs + channel shuffle) and v2 (channel split).

* Zhang, Zhou, Lin & Sun, "ShuffleNet: an extremely efficient convolutional neural
  network for mobile devices", CVPR 2018, arXiv:1707.01083, §3.1 (channel shuffle,
  Fig. 1), §3.2 (ShuffleNet unit, Fig. 2), Table 1 (g = 3: 240-480-960 channels).
* Ma, Zhang, Zheng & Sun, "ShuffleNet V2: practical guidelines for efficient CNN
  architecture design", ECCV 2018, arXiv:1807.11164, §3 (guidelines G1–G4), Fig. 3 (c, d),
  Table 5.
"""
from __future__ import annotations

import torch
from torch import nn

from .._validate import check_int

__all__ = ["channel_shuffle", "ShuffleUnitV1", "ShuffleNetV1", "shufflenet_v1",
           "ShuffleUnitV2", "ShuffleNetV2", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0"]


def channel_shuffle(x, groups):
    """Interleave the channels of ``groups`` groups: reshape (g, C/g) → transpose → flatten.

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W)
    groups : int
        Must divide C.

    Returns
    -------
    Tensor, shape (N, C, H, W)
        Channel ``i·(C/g) + j`` of the input lands at ``j·g + i``, so the next grouped
        conv's every group sees channels from every previous group (Fig. 1c).
    """
    n, c, h, w = x.shape
    if c % groups:
        raise ValueError(f"groups={groups} must divide the {c} channels of x")
    x = x.reshape(n, groups, c // groups, h, w)    # (N, g, C/g, H, W)
    x = x.transpose(1, 2)                           # (N, C/g, g, H, W)
    return x.reshape(n, c, h, w)                    # (N, C, H, W)


class ShuffleUnitV1(nn.Module):
    """Fig. 2 (b, c): 1×1 GConv → shuffle → 3×3 DWConv (stride) → 1×1 GConv, + shortcut.

    stride 1: ``relu(x + branch(x))``; stride 2: ``relu(cat(avgpool3×3/2(x), branch(x)))``,
    so the branch outputs ``out_channels - in_channels`` maps.
    """

    def __init__(self, in_channels, out_channels, stride, groups, first_group_conv=True):
        super().__init__()
        self.stride, self.groups = stride, groups
        branch_out = out_channels - in_channels if stride == 2 else out_channels
        mid = out_channels // 4
        g1 = groups if first_group_conv else 1
        self.gconv1 = nn.Sequential(nn.Conv2d(in_channels, mid, 1, groups=g1, bias=False),
                                    nn.BatchNorm2d(mid), nn.ReLU(inplace=True))
        self.first_groups = g1
        self.dwconv = nn.Sequential(nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False),
                                    nn.BatchNorm2d(mid))
        self.gconv2 = nn.Sequential(nn.Conv2d(mid, branch_out, 1, groups=groups, bias=False),
                                    nn.BatchNorm2d(branch_out))
        self.shortcut = nn.AvgPool2d(3, stride=2, padding=1) if stride == 2 else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):                                    # (N, C_in, H, W)
        out = self.gconv1(x)                                 # (N, C_out/4, H, W)
        if self.first_groups > 1:
            out = channel_shuffle(out, self.groups)
        out = self.gconv2(self.dwconv(out))                  # (N, C_branch, H', W')
        if self.shortcut is None:
            return self.relu(x + out)
        return self.relu(torch.cat([self.shortcut(x), out], 1))   # (N, C_out, H/2, W/2)


_V1_CHANNELS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}   # Table 1, stage-2 output


class ShuffleNetV1(nn.Module):
    """ShuffleNet v1 (1×), ``(N, 3, 224, 224) -> (N, num_classes)``.

    Parameters
    ----------
    groups : {1, 2, 3, 4, 8}
        g of the 1×1 group convolutions (Table 1).
    num_classes : int

    Notes
    -----
    As in §3.3, the first 1×1 conv of stage 2 is not grouped (its input has only 24
    channels).  torchvision has no ShuffleNet v1.
    """

    def __init__(self, groups=3, num_classes=1000):
        if groups not in _V1_CHANNELS:
            raise ValueError(f"groups={groups!r} is not supported; choose one of {tuple(_V1_CHANNELS)}")
        num_classes = check_int("num_classes", num_classes, minimum=1)
        super().__init__()
        c2 = _V1_CHANNELS[groups]
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))   # 56×56
        stages, c = [], 24
        for i, (out, repeats) in enumerate([(c2, 4), (2 * c2, 8), (4 * c2, 4)]):
            units = [ShuffleUnitV1(c, out, 2, groups, first_group_conv=i > 0)]
            units += [ShuffleUnitV1(out, out, 1, groups) for _ in range(repeats - 1)]
            stages.append(nn.Sequential(*units))
            c = out
        self.stage2, self.stage3, self.stage4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):                                    # (N, 3, 224, 224)
        x = self.stem(x)                                     # (N, 24, 56, 56)
        x = self.stage4(self.stage3(self.stage2(x)))         # (N, 4·c2, 7, 7)
        return self.fc(self.avgpool(x).flatten(1))


def shufflenet_v1(groups=3, num_classes=1000):
    """ShuffleNet 1× (g = 3 by default; the paper's Table 2 gives 140 MFLOPs)."""
    return ShuffleNetV1(groups, num_classes)


def _conv_bn_relu(i, o, k, s=1, groups=1, relu=True):
    layers = [nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(o)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ShuffleUnitV2(nn.Module):
    """Fig. 3 (c) (stride 1: split channels in half, transform one half) and (d) (stride 2).

    Both end with ``cat`` and ``channel_shuffle(·, 2)``; no element-wise addition (G4).
    """

    def __init__(self, inp, oup, stride):
        super().__init__()
        self.stride = stride
        half = oup // 2
        if stride == 2:
            self.branch1 = nn.Sequential(_conv_bn_relu(inp, inp, 3, 2, groups=inp, relu=False),
                                         _conv_bn_relu(inp, half, 1))
        else:
            self.branch1 = None
        b2_in = inp if stride == 2 else half
        self.branch2 = nn.Sequential(_conv_bn_relu(b2_in, half, 1),
                                     _conv_bn_relu(half, half, 3, stride, groups=half, relu=False),
                                     _conv_bn_relu(half, half, 1))

    def forward(self, x):                                   # (N, C, H, W)
        if self.branch1 is None:
            x1, x2 = x.chunk(2, dim=1)                      # two (N, C/2, H, W)
            out = torch.cat([x1, self.branch2(x2)], 1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x)], 1)   # (N, oup, H/2, W/2)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNet v2, ``(N, 3, 224, 224) -> (N, num_classes)`` (torchvision's layout).

    Parameters
    ----------
    stages_out_channels : sequence of 5 ints
        Stem, stages 2–4 and the final 1×1 conv (Table 5).
    stages_repeats : sequence of 3 ints
    """

    def __init__(self, stages_out_channels, stages_repeats=(4, 8, 4), num_classes=1000):
        if len(stages_out_channels) != 5 or len(stages_repeats) != 3:
            raise ValueError("stages_out_channels needs 5 ints and stages_repeats 3 ints, got "
                             f"{stages_out_channels!r} and {stages_repeats!r}")
        num_classes = check_int("num_classes", num_classes, minimum=1)
        super().__init__()
        c0, *cs, c_last = stages_out_channels
        self.conv1 = _conv_bn_relu(3, c0, 3, 2)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        c, stages = c0, []
        for out, n in zip(cs, stages_repeats):
            stages.append(nn.Sequential(ShuffleUnitV2(c, out, 2),
                                        *[ShuffleUnitV2(out, out, 1) for _ in range(n - 1)]))
            c = out
        self.stage2, self.stage3, self.stage4 = stages
        self.conv5 = _conv_bn_relu(c, c_last, 1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_last, num_classes)

    def forward(self, x):                                   # (N, 3, 224, 224)
        x = self.maxpool(self.conv1(x))                     # (N, 24, 56, 56)
        x = self.stage4(self.stage3(self.stage2(x)))        # (N, c4, 7, 7)
        x = self.conv5(x)                                   # (N, 1024, 7, 7)
        return self.fc(self.avgpool(x).flatten(1))


def shufflenet_v2_x0_5(num_classes=1000):
    """ShuffleNet v2 0.5× (1,366,792 parameters)."""
    return ShuffleNetV2((24, 48, 96, 192, 1024), num_classes=num_classes)


def shufflenet_v2_x1_0(num_classes=1000):
    """ShuffleNet v2 1.0× (2,278,604 parameters)."""
    return ShuffleNetV2((24, 116, 232, 464, 1024), num_classes=num_classes)
