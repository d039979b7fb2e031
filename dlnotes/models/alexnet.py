"""AlexNet: torchvision's single-GPU variant and the paper's two-GPU original.

Krizhevsky, Sutskever & Hinton, "ImageNet classification with deep convolutional
neural networks", NeurIPS 2012, §3 (ReLU §3.1, two GPUs §3.2, LRN §3.3, overlapping
pooling §3.4, architecture §3.5 and Fig. 2, dropout §4.2).
"""
from __future__ import annotations

from torch import nn

from .._validate import check_int, check_probability

__all__ = ["AlexNet", "alexnet", "alexnet_paper"]


class AlexNet(nn.Module):
    """Five conv layers and three fully connected layers, ``(N, 3, 224, 224) -> (N, 1000)``.

    Parameters
    ----------
    features : nn.Sequential
        The conv part, ``(N, 3, 224, 224) -> (N, 256, 6, 6)``.
    num_classes : int
    dropout : float
        Drop probability before fc6 and fc7 (§4.2: 0.5).

    Notes
    -----
    ``avgpool`` is ``nn.AdaptiveAvgPool2d((6, 6))`` as in torchvision: an identity at
    224×224 input, it lets other input sizes reach the 9216-input fc6.
    """

    def __init__(self, features, num_classes=1000, dropout=0.5):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_probability("dropout", dropout)
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):                  # (N, 3, 224, 224)
        x = self.features(x)               # (N, 256, 6, 6)
        x = self.avgpool(x).flatten(1)     # (N, 9216)
        return self.classifier(x)          # (N, num_classes)


def alexnet(num_classes=1000, dropout=0.5):
    """torchvision's AlexNet: 64-192-384-256-256 filters, no LRN, no groups (61,100,840 params).

    Notes
    -----
    This is the "one weird trick" variant (Krizhevsky 2014, arXiv:1404.5997) that
    torchvision ships, not the 2012 paper: conv1 has 64 filters (paper: 96), conv2 192
    (paper: 256), there is no local response normalisation and no two-GPU grouping.  See
    :func:`alexnet_paper`.
    """
    features = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),   # 55×55
        nn.MaxPool2d(kernel_size=3, stride=2),                                          # 27×27
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),                                          # 13×13
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),                                          # 6×6
    )
    return AlexNet(features, num_classes, dropout)


def alexnet_paper(num_classes=1000, dropout=0.5, groups=2):
    """The 2012 paper's AlexNet: 96-256-384-384-256 filters, LRN, two-GPU groups.

    Parameters
    ----------
    num_classes : int
    dropout : float
    groups : {1, 2}
        2 reproduces the two-GPU split of §3.2 (conv2, conv4 and conv5 see only the
        maps on their own GPU: ``groups=2``); 1 gives the same layers on one GPU.

    Returns
    -------
    AlexNet
        60,965,224 parameters with ``groups=2`` (the paper's "60 million").

    Notes
    -----
    * Local response normalisation (§3.3) follows the ReLU of conv1 and conv2 with
      ``n=5, k=2, alpha=1e-4, beta=0.75``.  torch's ``nn.LocalResponseNorm`` divides
      ``alpha`` by ``n`` (Caffe's convention), so the paper's formula needs
      ``alpha=5e-4`` here.
    * The paper says 224×224 inputs, but 224 with stride 4 and no padding does not give
      its 55×55 conv1 maps (227 does); padding 2 on 224 gives 55, as torchvision does.
    """
    groups = check_int("groups", groups, minimum=1)
    if groups not in (1, 2):
        raise ValueError(f"groups must be 1 (one GPU) or 2 (the paper's two GPUs), got {groups}")

    def lrn():
        return nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0)

    features = nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True), lrn(),
        nn.MaxPool2d(kernel_size=3, stride=2),                                          # 27×27
        nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=groups), nn.ReLU(inplace=True), lrn(),
        nn.MaxPool2d(kernel_size=3, stride=2),                                          # 13×13
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=groups), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=groups), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),                                          # 6×6
    )
    return AlexNet(features, num_classes, dropout)
