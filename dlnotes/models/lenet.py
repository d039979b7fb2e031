"""LeNet-5 for 1×28×28 inputs (MNIST-sized digits).

LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to document
recognition", Proc. IEEE 86(11), 1998, §II.B (the LeNet-5 architecture, Fig. 2).
"""
from __future__ import annotations

from torch import nn

from .._validate import check_choice, check_int

__all__ = ["LeNet5", "lenet5"]

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}
_POOLINGS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


class LeNet5(nn.Module):
    """LeNet-5: C1 conv5×5(6) → S2 pool → C3 conv5×5(16) → S4 pool → F5 120 → F6 84 → 10.

    Input ``(N, 1, 28, 28)``; output logits ``(N, num_classes)``.

    Parameters
    ----------
    num_classes : int
        Number of output logits (10 digits by default).
    activation : {"tanh", "relu", "sigmoid"}
        Non-linearity after every hidden layer.  The paper uses a scaled tanh,
        ``1.7159 tanh(2x/3)``; ``"tanh"`` is the closest torch layer.
    pooling : {"avg", "max"}
        Subsampling layer (2×2, stride 2).  The paper's S2/S4 layers average and then
        multiply by a trainable coefficient and add a trainable bias (``"avg"`` keeps
        only the average); ``"max"`` is the modern choice.

    Attributes
    ----------
    features : nn.Sequential
        C1-S2-C3-S4, ``(N, 1, 28, 28) -> (N, 16, 5, 5)``.
    classifier : nn.Sequential
        Flatten-F5-F6-output, ``(N, 16, 5, 5) -> (N, num_classes)``.

    Notes
    -----
    Deviations from the paper (which gives "about 60,000" trainable parameters):

    * The paper takes 32×32 inputs without padding; here C1 pads by 2, which gives the
      same 28×28 C1 maps from 28×28 MNIST-sized inputs.
    * C3 in the paper connects each of its 16 maps to only a subset of S2's 6 maps
      (Table I, 1,516 parameters); here C3 is fully connected (2,416 parameters).
    * The output layer is a plain linear layer (softmax cross-entropy) instead of the
      paper's Euclidean RBF units.

    With ``num_classes=10`` the model has 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706
    parameters.
    """

    def __init__(self, num_classes=10, activation="tanh", pooling="avg"):
        num_classes = check_int("num_classes", num_classes, minimum=1)
        check_choice("activation", activation, tuple(_ACTIVATIONS))
        check_choice("pooling", pooling, tuple(_POOLINGS))
        super().__init__()
        act, pool = _ACTIVATIONS[activation], _POOLINGS[pooling]
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2),  # C1: (N, 6, 28, 28)
            act(),
            pool(kernel_size=2, stride=2),              # S2: (N, 6, 14, 14)
            nn.Conv2d(6, 16, kernel_size=5),            # C3: (N, 16, 10, 10)
            act(),
            pool(kernel_size=2, stride=2),              # S4: (N, 16, 5, 5)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),                               # (N, 400)
            nn.Linear(16 * 5 * 5, 120),                 # F5 (the paper's C5)
            act(),
            nn.Linear(120, 84),                         # F6
            act(),
            nn.Linear(84, num_classes),                 # output: (N, num_classes)
        )

    def forward(self, x):
        """``(N, 1, 28, 28) -> (N, num_classes)`` logits."""
        return self.classifier(self.features(x))


def lenet5(num_classes=10, activation="tanh", pooling="avg"):
    """Build :class:`LeNet5` (1×28×28 → ``num_classes`` logits); see its docstring."""
    return LeNet5(num_classes=num_classes, activation=activation, pooling=pooling)
