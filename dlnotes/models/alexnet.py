"""AlexNet (torchvision's single-GPU variant, the paper's two-GPU original) and ZFNet.

Krizhevsky, Sutskever & Hinton, "ImageNet classification with deep convolutional
neural networks", NeurIPS 2012, §3 (ReLU §3.1, two GPUs §3.2, LRN §3.3, overlapping
pooling §3.4, architecture §3.5 and Fig. 2, dropout §4.2).

Zeiler & Fergus, "Visualizing and understanding convolutional networks", ECCV 2014,
arXiv:1311.2901: Fig. 3 (the architecture), §4.1 (why conv1 became 7×7 with stride 2),
Table 1 (the variant with 512, 1024, 512 maps in layers 3, 4, 5).
"""
from __future__ import annotations

from torch import nn

from .._validate import check_int, check_probability

__all__ = ["AlexNet", "alexnet", "alexnet_paper", "zfnet"]


class AlexNet(nn.Module):
    """Five conv layers and three fully connected layers, ``(N, 3, 224, 224) -> (N, 1000)``.

    Parameters
    ----------
    features : nn.Sequential
        The conv part, ``(N, 3, 224, 224) -> (N, feature_channels, 6, 6)``.
    num_classes : int
    dropout : float
        Drop probability before fc6 and fc7 (§4.2: 0.5).
    feature_channels : int
        Maps leaving ``features`` (256; 512 for ZFNet's widened variant).

    Notes
    -----
    ``avgpool`` is ``nn.AdaptiveAvgPool2d((6, 6))`` as in torchvision: an identity at
    224×224 input, it lets other input sizes reach the 9216-input fc6.
    """

    def __init__(self, features, num_classes=1000, dropout=0.5, feature_channels=256):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_probability("dropout", dropout)
        feature_channels = check_int("feature_channels", feature_channels, minimum=1)
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(feature_channels * 6 * 6, 4096), nn.ReLU(inplace=True),
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
    (paper: 256), conv4 256 (paper: 384), there is no local response normalisation and
    no two-GPU grouping.  See
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


def zfnet(num_classes=1000, dropout=0.5, widths=(384, 384, 256)):
    """ZFNet (Zeiler & Fergus 2013): AlexNet with a 7×7/2 conv1 and a stride-2 conv2.

    ``(N, 3, 224, 224) -> (N, num_classes)``; the maps are 110×110×96 after conv1,
    55×55 after pool1, 26×26×256 after conv2, 13×13 after pool2 and 6×6 after pool5
    (Fig. 3).

    Parameters
    ----------
    num_classes : int
    dropout : float
    widths : tuple of 3 int
        Maps of conv3, conv4, conv5: ``(384, 384, 256)`` in Fig. 3; ``(512, 1024, 512)``
        is Table 1's wider model (b).

    Returns
    -------
    AlexNet
        62,357,608 parameters with the default widths (107,627,624 with
        ``(512, 1024, 512)``), against 60,965,224 for :func:`alexnet_paper`: conv1 is
        smaller, but conv2, conv4 and conv5 are dense instead of two-GPU groups.

    Notes
    -----
    What changed from AlexNet (§4.1): the deconvnet visualisations showed first-layer
    filters with "a mix of extremely high and low frequency information" and aliasing
    in layer 2 caused by the stride 4 of conv1, so conv1 became 7×7 with stride 2
    (instead of 11×11 with stride 4), and conv2 got stride 2 to keep the map sizes of
    the later layers.  The model runs on one GPU: layers 3, 4 and 5 are dense, not the
    two-GPU groups of :func:`alexnet_paper`.  Fig. 3 normalises across feature maps
    after pool1 and pool2 without giving the constants; AlexNet's LRN constants are used
    here (no parameters).  Padding 1 on conv1 and ceil-mode pooling reproduce the 110,
    55, 26, 13, 6 map sizes of Fig. 3 for a 224×224 input; the receptive fields do not
    depend on padding.
    """
    if not isinstance(widths, (tuple, list)) or len(widths) != 3:
        raise ValueError(f"widths must be three ints (conv3, conv4, conv5), got {widths!r}")
    c3, c4, c5 = (check_int(f"widths[{i}]", w, minimum=1) for i, w in enumerate(widths))

    def lrn():
        return nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0)

    features = nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=7, stride=2, padding=1), nn.ReLU(inplace=True),  # 110×110
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True), lrn(),                # 55×55
        nn.Conv2d(96, 256, kernel_size=5, stride=2), nn.ReLU(inplace=True),          # 26×26
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True), lrn(),                # 13×13
        nn.Conv2d(256, c3, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c3, c4, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c4, c5, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),                       # 6×6
    )
    return AlexNet(features, num_classes, dropout, feature_channels=c5)
