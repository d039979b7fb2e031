"""VGG: stacks of 3×3 convolutions.

Simonyan & Zisserman, "Very deep convolutional networks for large-scale image
recognition", ICLR 2015, arXiv:1409.1556, §2.1–2.3 and Table 1 (configurations A, B,
D, E = VGG-11, -13, -16, -19).
"""
from __future__ import annotations

from torch import nn

from .._validate import check_choice, check_int, check_probability

__all__ = ["VGG", "CONFIGS", "vgg_features", "vgg11", "vgg13", "vgg16", "vgg19",
           "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]

#: Table 1 of the paper: output channels of each 3×3 conv, "M" = 2×2 max-pool.
CONFIGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
         512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def vgg_features(config, batch_norm=False, in_channels=3):
    """The conv part: 3×3 convs (padding 1) + [BN] + ReLU, and 2×2/2 max-pools.

    Parameters
    ----------
    config : list of int or "M"
    batch_norm : bool
        Insert ``nn.BatchNorm2d`` after each conv (the ``_bn`` models; not in the paper,
        which predates BN).
    in_channels : int

    Returns
    -------
    nn.Sequential
        ``(N, 3, H, W) -> (N, 512, H/32, W/32)`` for the standard configs.
    """
    layers = []
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG-``depth``: ``(N, 3, 224, 224) -> (N, num_classes)``.

    Parameters
    ----------
    depth : {11, 13, 16, 19}
        Weight layers: convs + the three fully connected layers.
    batch_norm : bool
    num_classes : int
    dropout : float
        After fc6 and fc7 (§3.1: 0.5).

    Notes
    -----
    ``avgpool`` (``AdaptiveAvgPool2d(7)``) is torchvision's addition: an identity at
    224×224; the paper instead turns the FC layers into convolutions at test time (§3.2).
    """

    def __init__(self, depth=16, batch_norm=False, num_classes=1000, dropout=0.5):
        check_choice("depth", depth, tuple(CONFIGS))
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_probability("dropout", dropout)
        super().__init__()
        self.features = vgg_features(CONFIGS[depth], batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):                  # (N, 3, 224, 224)
        x = self.features(x)               # (N, 512, 7, 7)
        x = self.avgpool(x).flatten(1)     # (N, 25088)
        return self.classifier(x)          # (N, num_classes)


def vgg11(num_classes=1000):
    """VGG-11 (configuration A), 132,863,336 parameters."""
    return VGG(11, False, num_classes)


def vgg13(num_classes=1000):
    """VGG-13 (configuration B), 133,047,848 parameters."""
    return VGG(13, False, num_classes)


def vgg16(num_classes=1000):
    """VGG-16 (configuration D), 138,357,544 parameters."""
    return VGG(16, False, num_classes)


def vgg19(num_classes=1000):
    """VGG-19 (configuration E), 143,667,240 parameters."""
    return VGG(19, False, num_classes)


def vgg11_bn(num_classes=1000):
    """VGG-11 with batch normalisation after every conv."""
    return VGG(11, True, num_classes)


def vgg13_bn(num_classes=1000):
    """VGG-13 with batch normalisation after every conv."""
    return VGG(13, True, num_classes)


def vgg16_bn(num_classes=1000):
    """VGG-16 with batch normalisation after every conv."""
    return VGG(16, True, num_classes)


def vgg19_bn(num_classes=1000):
    """VGG-19 with batch normalisation after every conv."""
    return VGG(19, True, num_classes)
