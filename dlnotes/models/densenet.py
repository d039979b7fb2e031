"""DenseNet: every layer sees the concatenated maps of all earlier layers in its block.

Huang, Liu, van der Maaten & Weinberger, "Densely connected convolutional networks",
CVPR 2017, arXiv:1608.06993: Eq. 2 ``x_l = H_l([x_0, …, x_{l-1}])``, §3 growth rate k,
bottleneck layers (DenseNet-B), compression θ (DenseNet-C, -BC), Table 1
(DenseNet-121/169/201/264; 161 uses k = 48).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .._validate import check_int

__all__ = ["DenseLayer", "DenseBlock", "Transition", "DenseNet", "densenet",
           "densenet121", "densenet161", "densenet169", "densenet201"]


class DenseLayer(nn.Module):
    """H_l: [BN-ReLU-1×1 conv (bn_size·k)] - BN-ReLU-3×3 conv (k), applied to the concatenation.

    Parameters
    ----------
    num_input_features : int
        ``k0 + k·l`` for the l-th layer (0-based) of a block.
    growth_rate : int
        k: maps this layer adds.
    bn_size : int or None
        Width of the 1×1 bottleneck as a multiple of k (4 in the paper, DenseNet-B);
        ``None`` gives the plain H_l = BN-ReLU-3×3 conv.

    memory_efficient : bool
        Recompute concatenation-BN-ReLU(-1×1 conv) in the backward pass instead of
        storing them (gradient checkpointing, Pleiss et al. 2017, arXiv:1707.06990), so
        that activation memory grows linearly, not quadratically, with depth.

    Notes
    -----
    ``forward`` takes the *list* of earlier maps and concatenates them inside, as
    torchvision does; it returns only the k new maps ``(N, k, H, W)``.
    """

    def __init__(self, num_input_features, growth_rate, bn_size=4, drop_rate=0.0,
                 memory_efficient=False):
        super().__init__()
        self.memory_efficient = memory_efficient
        layers = []
        width = num_input_features
        if bn_size is not None:
            layers += [nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                       nn.Conv2d(width, bn_size * growth_rate, 1, bias=False)]
            width = bn_size * growth_rate
        layers += [nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                   nn.Conv2d(width, growth_rate, 3, padding=1, bias=False)]
        if drop_rate > 0:
            layers.append(nn.Dropout(drop_rate))
        self.h = nn.Sequential(*layers)
        self._n_cheap = 3 if bn_size is not None else 0    # cat-BN-ReLU-1×1 conv: recomputed

    def _bottleneck(self, *features):
        return self.h[:self._n_cheap](torch.cat(features, 1))

    def forward(self, features):                       # list of (N, C_i, H, W)
        if self.memory_efficient and self._n_cheap and any(f.requires_grad for f in features):
            out = checkpoint(self._bottleneck, *features, use_reentrant=False)   # (N, 4k, H, W)
            return self.h[self._n_cheap:](out)        # (N, k, H, W)
        return self.h(torch.cat(features, 1))         # (N, k, H, W)


class DenseBlock(nn.Module):
    """``num_layers`` dense layers; ``(N, C, H, W) -> (N, C + num_layers·k, H, W)``."""

    def __init__(self, num_layers, num_input_features, growth_rate, bn_size=4, drop_rate=0.0,
                 memory_efficient=False):
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate,
                       memory_efficient)
            for i in range(num_layers))

    def forward(self, x):                              # (N, C, H, W)
        features = [x]
        for layer in self.layers:
            features.append(layer(features))           # each adds (N, k, H, W)
        return torch.cat(features, 1)                  # (N, C + L·k, H, W)


class Transition(nn.Sequential):
    """BN-ReLU-1×1 conv (θ·m maps)-2×2 average pool: halves resolution between blocks."""

    def __init__(self, num_input_features, num_output_features):
        super().__init__(nn.BatchNorm2d(num_input_features), nn.ReLU(inplace=True),
                         nn.Conv2d(num_input_features, num_output_features, 1, bias=False),
                         nn.AvgPool2d(kernel_size=2, stride=2))


class DenseNet(nn.Module):
    """DenseNet for 224×224 ImageNet images, ``(N, 3, H, W) -> (N, num_classes)``.

    Parameters
    ----------
    growth_rate : int
        k.
    block_config : sequence of int
        Layers per dense block, e.g. ``(6, 12, 24, 16)`` for DenseNet-121.
    num_init_features : int
        Maps of the 7×7/2 stem conv (2k in the paper).
    bn_size : int or None
        Bottleneck factor (``None``: no bottleneck, i.e. not "-B").
    compression : float
        θ in (0, 1]: a transition outputs ``floor(θ·m)`` maps (θ < 1: "-C").
    drop_rate : float
    num_classes : int

    Notes
    -----
    The ImageNet models of the paper are DenseNet-BC (``bn_size=4, compression=0.5``).
    """

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, compression=0.5, drop_rate=0.0, num_classes=1000):
        growth_rate = check_int("growth_rate", growth_rate, minimum=1)
        num_init_features = check_int("num_init_features", num_init_features, minimum=1)
        num_classes = check_int("num_classes", num_classes, minimum=1)
        if bn_size is not None:
            bn_size = check_int("bn_size", bn_size, minimum=1)
        if not 0.0 < compression <= 1.0:
            raise ValueError(f"compression must be in (0, 1], got {compression!r}")
        block_config = [check_int("block_config[i]", n, minimum=1) for n in block_config]
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(num_init_features), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        width = num_init_features
        for i, n in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}",
                                     DenseBlock(n, width, growth_rate, bn_size, drop_rate))
            width += n * growth_rate
            if i != len(block_config) - 1:
                out = int(width * compression)
                self.features.add_module(f"transition{i + 1}", Transition(width, out))
                width = out
        self.features.add_module("norm5", nn.BatchNorm2d(width))
        self.features.add_module("relu5", nn.ReLU(inplace=True))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x):                              # (N, 3, 224, 224)
        x = self.features(x)                           # (N, C, 7, 7)
        return self.classifier(self.avgpool(x).flatten(1))   # (N, num_classes)


def densenet(depth=121, variant="BC", num_classes=1000):
    """A DenseNet of Table 1 in one of the paper's four flavours.

    Parameters
    ----------
    depth : {121, 161, 169, 201}
    variant : {"", "B", "C", "BC"}
        "B": 1×1 bottleneck in every layer; "C": compression θ = 0.5 in transitions.
    """
    configs = {121: (32, (6, 12, 24, 16), 64), 161: (48, (6, 12, 36, 24), 96),
               169: (32, (6, 12, 32, 32), 64), 201: (32, (6, 12, 48, 32), 64)}
    if depth not in configs:
        raise ValueError(f"depth={depth!r} is not supported; choose one of {tuple(configs)}")
    if variant not in ("", "B", "C", "BC"):
        raise ValueError(f"variant={variant!r} is not supported; choose one of ('', 'B', 'C', 'BC')")
    k, blocks, init = configs[depth]
    return DenseNet(k, blocks, init, bn_size=4 if "B" in variant else None,
                    compression=0.5 if "C" in variant else 1.0, num_classes=num_classes)


def densenet121(num_classes=1000):
    """DenseNet-BC-121 (k = 32), 7,978,856 parameters."""
    return densenet(121, "BC", num_classes)


def densenet161(num_classes=1000):
    """DenseNet-BC-161 (k = 48, 96 stem maps), 28,681,000 parameters."""
    return densenet(161, "BC", num_classes)


def densenet169(num_classes=1000):
    """DenseNet-BC-169 (k = 32), 14,149,480 parameters."""
    return densenet(169, "BC", num_classes)


def densenet201(num_classes=1000):
    """DenseNet-BC-201 (k = 32), 20,013,928 parameters."""
    return densenet(201, "BC", num_classes)
