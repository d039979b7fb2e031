"""Inception-v4 (pure Inception) and Inception-ResNet-v1/v2 (residual Inception).

Szegedy, Ioffe, Vanhoucke & Alemi, "Inception-v4, Inception-ResNet and the impact of
residual connections on learning", AAAI 2017, arXiv:1602.07261.

* §3.1 and Figs. 3–9: **Inception-v4**, a pure Inception network *without* residual
  connections: the stem (Fig. 3, 299×299×3 → 35×35×384), 4 × Inception-A (Fig. 4),
  Reduction-A (Fig. 7 with Table 1's k, l, m, n), 7 × Inception-B (Fig. 5),
  Reduction-B (Fig. 8), 3 × Inception-C (Fig. 6), average pooling, dropout (keep 0.8).
* §3.2 and Figs. 10–19: **Inception-ResNet-v1/v2**, whose Inception blocks end in a
  linear 1×1 convolution that restores the width and are *added* to their input
  (Fig. 15: 5 × A, Reduction-A, 10 × B, Reduction-B, 5 × C).
* §3.3 and Fig. 20: the residual branch is scaled by 0.1–0.3 before the addition.

"V" convolutions in the figures are unpadded ("valid"), the others keep the size.
Every convolution is conv (no bias) + BN + ReLU, except the residual blocks' final
1×1 convolution (linear, with bias, no BN: §3.2 puts BN "only on top of the
traditional layers, but not on top of the summations").
"""
from __future__ import annotations

import torch
from torch import nn

from .._validate import check_choice, check_int, check_probability
from .googlenet import conv_block

__all__ = ["StemV4", "InceptionA4", "ReductionA", "InceptionB4", "ReductionB4", "InceptionC4",
           "InceptionV4", "inception_v4", "StemResNetV1", "InceptionResNetA",
           "InceptionResNetB", "InceptionResNetC", "ReductionBResNet", "InceptionResNet",
           "inception_resnet_v1", "inception_resnet_v2", "REDUCTION_A"]


def _conv(i, o, kernel_size, stride=1, padding=0):
    return conv_block(i, o, True, kernel_size=kernel_size, stride=stride, padding=padding)


def _same(k):
    """Padding that keeps the size for a (kh, kw) kernel at stride 1."""
    kh, kw = (k, k) if isinstance(k, int) else k
    return (kh // 2, kw // 2)


def _chain(c_in, spec):
    """A branch of convs at stride 1, same padding: ``spec`` = [(out, kernel), ...]."""
    layers = []
    for c_out, k in spec:
        layers.append(_conv(c_in, c_out, k, padding=_same(k)))
        c_in = c_out
    return nn.Sequential(*layers)


class StemV4(nn.Module):
    """Fig. 3 (Inception-v4 and Inception-ResNet-v2): ``(N, 3, 299, 299) -> (N, 384, 35, 35)``.

    Three plain convs (149×149×32, 147×147×32, 147×147×64), then three concatenations of
    parallel branches: max-pool | conv 3×3/2 (73×73×160); two conv towers (71×71×192);
    conv 3×3/2 | max-pool (35×35×384).
    """

    def __init__(self, in_channels=3):
        super().__init__()
        self.convs = nn.Sequential(_conv(in_channels, 32, 3, stride=2), _conv(32, 32, 3),
                                   _conv(32, 64, 3, padding=1))
        self.pool1, self.conv1 = nn.MaxPool2d(3, stride=2), _conv(64, 96, 3, stride=2)
        self.tower_a = nn.Sequential(_conv(160, 64, 1), _conv(64, 96, 3))
        self.tower_b = nn.Sequential(_conv(160, 64, 1), _chain(64, [(64, (7, 1)), (64, (1, 7))]),
                                     _conv(64, 96, 3))
        self.conv2, self.pool2 = _conv(192, 192, 3, stride=2), nn.MaxPool2d(3, stride=2)

    def forward(self, x):                                     # (N, 3, 299, 299)
        x = self.convs(x)                                     # (N, 64, 147, 147)
        x = torch.cat([self.pool1(x), self.conv1(x)], 1)      # (N, 160, 73, 73)
        x = torch.cat([self.tower_a(x), self.tower_b(x)], 1)  # (N, 192, 71, 71)
        return torch.cat([self.conv2(x), self.pool2(x)], 1)   # (N, 384, 35, 35)


class _Parallel(nn.Module):
    """Branches run on the same input and concatenated on channels."""

    def __init__(self, *branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)


class _Fork(nn.Module):
    """A 1×1 (or longer) trunk that forks into a 1×3 and a 3×1 conv (Fig. 6, Fig. 7 of v3)."""

    def __init__(self, trunk, c_in, c_out):
        super().__init__()
        self.trunk = trunk
        self.a = _conv(c_in, c_out, (1, 3), padding=(0, 1))
        self.b = _conv(c_in, c_out, (3, 1), padding=(1, 0))

    def forward(self, x):
        t = self.trunk(x)
        return torch.cat([self.a(t), self.b(t)], 1)


def _avg_proj(c_in, c_out):
    return nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
                         _conv(c_in, c_out, 1))


class InceptionA4(_Parallel):
    """Fig. 4: 35×35 module, 384 → 96 + 96 + 96 + 96 = 384 maps."""

    def __init__(self, in_channels=384):
        super().__init__(_avg_proj(in_channels, 96), _conv(in_channels, 96, 1),
                         _chain(in_channels, [(64, 1), (96, 3)]),
                         _chain(in_channels, [(64, 1), (96, 3), (96, 3)]))


class InceptionB4(_Parallel):
    """Fig. 5: 17×17 module, 1024 → 128 + 384 + 256 + 256 = 1024 maps (1×7 and 7×1 convs)."""

    def __init__(self, in_channels=1024):
        super().__init__(_avg_proj(in_channels, 128), _conv(in_channels, 384, 1),
                         _chain(in_channels, [(192, 1), (224, (1, 7)), (256, (7, 1))]),
                         _chain(in_channels, [(192, 1), (192, (1, 7)), (224, (7, 1)),
                                              (224, (1, 7)), (256, (7, 1))]))


class InceptionC4(_Parallel):
    """Fig. 6: 8×8 module, 1536 → 256 + 256 + 2·256 + 2·256 = 1536 maps (forked 1×3 / 3×1)."""

    def __init__(self, in_channels=1536):
        super().__init__(_avg_proj(in_channels, 256), _conv(in_channels, 256, 1),
                         _Fork(_conv(in_channels, 384, 1), 384, 256),
                         _Fork(_chain(in_channels, [(384, 1), (448, (1, 3)), (512, (3, 1))]),
                               512, 256))


#: Table 1 of the paper: (k, l, m, n) filters of Reduction-A.
REDUCTION_A = {"inception_v4": (192, 224, 256, 384), "inception_resnet_v1": (192, 192, 256, 384),
               "inception_resnet_v2": (256, 256, 384, 384)}


class ReductionA(_Parallel):
    """Fig. 7: 35×35 → 17×17; max-pool | conv 3×3/2 (n) | 1×1 (k) → 3×3 (l) → 3×3/2 (m).

    ``(N, C, 35, 35) -> (N, C + n + m, 17, 17)``.
    """

    def __init__(self, in_channels, k, l, m, n):
        super().__init__(nn.MaxPool2d(3, stride=2), _conv(in_channels, n, 3, stride=2),
                         nn.Sequential(_conv(in_channels, k, 1), _conv(k, l, 3, padding=1),
                                       _conv(l, m, 3, stride=2)))


class ReductionB4(_Parallel):
    """Fig. 8: 17×17 → 8×8, 1024 → 1024 + 192 + 320 = 1536 maps."""

    def __init__(self, in_channels=1024):
        super().__init__(nn.MaxPool2d(3, stride=2),
                         nn.Sequential(_conv(in_channels, 192, 1), _conv(192, 192, 3, stride=2)),
                         nn.Sequential(_chain(in_channels, [(256, 1), (256, (1, 7)), (320, (7, 1))]),
                                       _conv(320, 320, 3, stride=2)))


class _Head(nn.Module):
    """Global average pooling, dropout (keep 0.8), fully connected."""

    def __init__(self, in_features, num_classes, dropout):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, x):                                     # (N, C, 8, 8)
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


class InceptionV4(nn.Module):
    """Fig. 9: ``(N, 3, 299, 299) -> (N, num_classes)``, no residual connections.

    ``stages`` holds stem, Inception-A ×4, Reduction-A, Inception-B ×7, Reduction-B and
    Inception-C ×3, in that order; their outputs are 35×35×384, 35×35×384, 17×17×1024,
    17×17×1024, 8×8×1536 and 8×8×1536.
    """

    def __init__(self, num_classes=1000, dropout=0.2):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_probability("dropout", dropout)
        super().__init__()
        self.stages = nn.Sequential(
            StemV4(), nn.Sequential(*[InceptionA4() for _ in range(4)]),
            ReductionA(384, *REDUCTION_A["inception_v4"]),
            nn.Sequential(*[InceptionB4() for _ in range(7)]), ReductionB4(),
            nn.Sequential(*[InceptionC4() for _ in range(3)]))
        self.head = _Head(1536, num_classes, dropout)

    def forward(self, x):                                     # (N, 3, 299, 299)
        return self.head(self.stages(x))                      # (N, num_classes)


def inception_v4(num_classes=1000, dropout=0.2):
    """Inception-v4 as drawn in the paper (42,679,816 parameters, as timm's port).

    The count equals that of timm's ``inception_v4`` (the TF-slim release ported by
    Cadene), whose model card says "Params (M): 42.7".
    """
    return InceptionV4(num_classes, dropout)


# ------------------------------------------------------------------ Inception-ResNet
class StemResNetV1(nn.Sequential):
    """Fig. 14 (Inception-ResNet-v1): ``(N, 3, 299, 299) -> (N, 256, 35, 35)``, a plain chain."""

    def __init__(self, in_channels=3):
        super().__init__(_conv(in_channels, 32, 3, stride=2), _conv(32, 32, 3),
                         _conv(32, 64, 3, padding=1), nn.MaxPool2d(3, stride=2),
                         _conv(64, 80, 1), _conv(80, 192, 3), _conv(192, 256, 3, stride=2))


class _Residual(nn.Module):
    """``relu(x + scale · up(concat(branches(x))))``, ``up`` a linear 1×1 conv (§3.2, §3.3)."""

    def __init__(self, branches, width, channels, scale, relu=True):
        super().__init__()
        self.branches = _Parallel(*branches)
        self.up = nn.Conv2d(width, channels, kernel_size=1)   # linear: no BN, no ReLU
        self.scale = float(scale)
        self.relu = nn.ReLU() if relu else nn.Identity()

    def forward(self, x):                                     # (N, C, H, W) -> (N, C, H, W)
        return self.relu(x + self.scale * self.up(self.branches(x)))


class InceptionResNetA(_Residual):
    """Figs. 10 (v1) and 16 (v2): 35×35 block, 1×1 | 1×1→3×3 | 1×1→3×3→3×3, then 1×1 up.

    ``deep`` is the widths of the third branch: (32, 32, 32) in v1, (32, 48, 64) in v2.
    """

    def __init__(self, channels, deep=(32, 32, 32), scale=0.17):
        super().__init__([_conv(channels, 32, 1), _chain(channels, [(32, 1), (32, 3)]),
                          _chain(channels, [(deep[0], 1), (deep[1], 3), (deep[2], 3)])],
                         64 + deep[2], channels, scale)


class InceptionResNetB(_Residual):
    """Figs. 11 (v1) and 17 (v2): 17×17 block, 1×1 (a) | 1×1→1×7→7×1 (b), then 1×1 up."""

    def __init__(self, channels, a=128, b=(128, 128, 128), scale=0.10):
        super().__init__([_conv(channels, a, 1),
                          _chain(channels, [(b[0], 1), (b[1], (1, 7)), (b[2], (7, 1))])],
                         a + b[2], channels, scale)


class InceptionResNetC(_Residual):
    """Figs. 13 (v1) and 19 (v2): 8×8 block, 1×1 (a) | 1×1→1×3→3×1 (b), then 1×1 up."""

    def __init__(self, channels, a=192, b=(192, 192, 192), scale=0.20, relu=True):
        super().__init__([_conv(channels, a, 1),
                          _chain(channels, [(b[0], 1), (b[1], (1, 3)), (b[2], (3, 1))])],
                         a + b[2], channels, scale, relu)


class ReductionBResNet(_Parallel):
    """Figs. 12 (v1) and 18 (v2): 17×17 → 8×8, max-pool | three 1×1 (256) → stride-2 towers.

    ``(N, C, 17, 17) -> (N, C + p + q + r[1], 8, 8)``.
    """

    def __init__(self, in_channels, p=384, q=256, r=(256, 256)):
        super().__init__(nn.MaxPool2d(3, stride=2),
                         nn.Sequential(_conv(in_channels, 256, 1), _conv(256, p, 3, stride=2)),
                         nn.Sequential(_conv(in_channels, 256, 1), _conv(256, q, 3, stride=2)),
                         nn.Sequential(_conv(in_channels, 256, 1), _conv(256, r[0], 3, padding=1),
                                       _conv(r[0], r[1], 3, stride=2)))


class _StemReleased(nn.Sequential):
    """The released Inception-ResNet-v2's stem (TF-slim): v3's plain stem + a 320-map module."""

    def __init__(self):
        mixed_5b = _Parallel(_conv(192, 96, 1), _chain(192, [(48, 1), (64, 5)]),
                             _chain(192, [(64, 1), (96, 3), (96, 3)]), _avg_proj(192, 64))
        super().__init__(_conv(3, 32, 3, stride=2), _conv(32, 32, 3), _conv(32, 64, 3, padding=1),
                         nn.MaxPool2d(3, stride=2), _conv(64, 80, 1), _conv(80, 192, 3),
                         nn.MaxPool2d(3, stride=2), mixed_5b)          # (N, 320, 35, 35)


#: version -> (35×35 width, deep widths of A, (a, b) of B, (a, b) of C, (p, q, r) of Red.-B)
_RESNET_WIDTHS = {
    "v1": (256, (32, 32, 32), (128, (128, 128, 128)), (192, (192, 192, 192)), (384, 256, (256, 256))),
    "v2": (384, (32, 48, 64), (192, (128, 160, 192)), (192, (192, 224, 256)), (384, 288, (288, 320))),
}


class InceptionResNet(nn.Module):
    """Inception-ResNet-v1 or -v2 (Fig. 15), ``(N, 3, 299, 299) -> (N, num_classes)``.

    Parameters
    ----------
    version : {"v1", "v2"}
    variant : {"paper", "released"}
        ``"paper"``: the figures — v1 with Fig. 14's stem, v2 with Inception-v4's stem,
        5 / 10 / 5 blocks.  ``"released"`` (v2 only): the network of the published
        TF-slim checkpoint (timm's ``inception_resnet_v2``): Inception-v3's plain stem
        plus a 320-map Inception module, 10 / 20 / 10 blocks, the last without ReLU and
        unscaled, and a 1×1 conv to 1536 maps before pooling.
    blocks : tuple of 3 int, optional
        Blocks A, B, C (default: 5, 10, 5 for the paper, 10, 20, 10 released).
    scales : tuple of 3 float
        Residual scaling of blocks A, B, C.  The paper only says "between 0.1 and 0.3"
        (§3.3); the defaults are the release's 0.17, 0.10, 0.20.
    num_classes : int
    dropout : float
        Before the classifier (keep 0.8 in Fig. 15).

    Notes
    -----
    The figures for v2 disagree with themselves: Fig. 17's up-projection has 1154 maps
    and Fig. 19's 2048, but a residual addition needs the width of the input — 1152
    after Reduction-A (384 + 384 + 384) and 2144 after Reduction-B (1152 + 384 + 288 +
    320).  The ``"paper"`` variant uses 1152 and 2144.  The released v2 is narrower where
    it enters (320 maps at 35×35, 1088 at 17×17, 2080 at 8×8) and has twice the blocks.
    """

    def __init__(self, version="v2", variant="paper", blocks=None, scales=(0.17, 0.10, 0.20),
                 num_classes=1000, dropout=0.2):
        check_choice("version", version, ("v1", "v2"))
        check_choice("variant", variant, ("paper", "released"))
        if variant == "released" and version != "v2":
            raise ValueError("variant='released' exists only for version='v2' (the TF-slim checkpoint)")
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_probability("dropout", dropout)
        blocks = blocks if blocks is not None else ((5, 10, 5) if variant == "paper" else (10, 20, 10))
        if not isinstance(blocks, (tuple, list)) or len(blocks) != 3:
            raise ValueError(f"blocks must be three ints (A, B, C), got {blocks!r}")
        n_a, n_b, n_c = (check_int(f"blocks[{i}]", b, minimum=1) for i, b in enumerate(blocks))
        s_a, s_b, s_c = scales
        super().__init__()
        width, deep_a, (a_b, b_b), (a_c, b_c), (p, q, r) = _RESNET_WIDTHS[version]
        if variant == "released":
            stem, width = _StemReleased(), 320
        else:
            stem = StemResNetV1() if version == "v1" else StemV4()
        k, l, m, n = REDUCTION_A[f"inception_resnet_{version}"]
        c17 = width + n + m                                   # 896 (v1), 1152 (v2), 1088 (released)
        c8 = c17 + p + q + r[1]                               # 1792, 2144, 2080
        last = [InceptionResNetC(c8, a_c, b_c, s_c) for _ in range(n_c)]
        tail = []
        if variant == "released":                             # last block: unscaled, no ReLU
            last[-1] = InceptionResNetC(c8, a_c, b_c, 1.0, relu=False)
            tail = [_conv(c8, 1536, 1)]
        self.stages = nn.Sequential(
            stem, nn.Sequential(*[InceptionResNetA(width, deep_a, s_a) for _ in range(n_a)]),
            ReductionA(width, k, l, m, n),
            nn.Sequential(*[InceptionResNetB(c17, a_b, b_b, s_b) for _ in range(n_b)]),
            ReductionBResNet(c17, p, q, r), nn.Sequential(*last, *tail))
        self.head = _Head(1536 if tail else c8, num_classes, dropout)

    def forward(self, x):                                     # (N, 3, 299, 299)
        return self.head(self.stages(x))                      # (N, num_classes)


def inception_resnet_v1(num_classes=1000, **kwargs):
    """Inception-ResNet-v1 from the paper's Figs. 10–15 (see :class:`InceptionResNet`)."""
    return InceptionResNet("v1", "paper", num_classes=num_classes, **kwargs)


def inception_resnet_v2(num_classes=1000, variant="paper", **kwargs):
    """Inception-ResNet-v2: ``variant="paper"`` (Figs. 3, 7, 15–19) or ``"released"``.

    The released network has 55,843,464 parameters, as timm's ``inception_resnet_v2``
    (model card: "55.8M"); see :class:`InceptionResNet` for how the two differ.
    """
    return InceptionResNet("v2", variant, num_classes=num_classes, **kwargs)
