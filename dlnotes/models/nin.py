"""Network in Network: mlpconv blocks (a conv followed by 1×1 convs) and global average pooling.

Lin, Chen & Yan, "Network in network", ICLR 2014, arXiv:1312.4400, §3.1 (mlpconv,
Eq. 2: a 1×1 conv is a cross-channel parametric pooling), §3.2 (global average
pooling replaces the fully connected classifier).
"""
from __future__ import annotations

from torch import nn

from .._validate import check_int, check_probability

__all__ = ["nin_block", "NiN", "nin"]


def nin_block(in_channels, out_channels, kernel_size, stride, padding):
    """An mlpconv block: conv k×k → ReLU → (1×1 conv → ReLU) × 2.

    The two 1×1 convolutions are the per-pixel "micro MLP" of §3.1.
    ``(N, in_channels, H, W) -> (N, out_channels, H', W')``.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(inplace=True),
    )


class NiN(nn.Module):
    """NiN for ImageNet, ``(N, 3, 224, 224) -> (N, num_classes)``, no fully connected layer.

    Notes
    -----
    The layer sizes are AlexNet-like as in the authors' ImageNet model (and d2l's
    version): 96-256-384 filters then a block with ``num_classes`` maps whose global
    average is the logit of each class.
    """

    def __init__(self, num_classes=1000, dropout=0.5):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_probability("dropout", dropout)
        super().__init__()
        self.features = nn.Sequential(
            nin_block(3, 96, 11, 4, 0), nn.MaxPool2d(3, stride=2),      # (N, 96, 26, 26)
            nin_block(96, 256, 5, 1, 2), nn.MaxPool2d(3, stride=2),     # (N, 256, 12, 12)
            nin_block(256, 384, 3, 1, 1), nn.MaxPool2d(3, stride=2),    # (N, 384, 5, 5)
            nn.Dropout(dropout),
            nin_block(384, num_classes, 3, 1, 1),                       # (N, classes, 5, 5)
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):                           # (N, 3, 224, 224)
        x = self.features(x)                        # (N, num_classes, 5, 5)
        return self.avgpool(x).flatten(1)           # (N, num_classes)


def nin(num_classes=1000):
    """Network in Network for 224×224 images (7,439,608 parameters with 1000 classes)."""
    return NiN(num_classes)
