"""dlnotes.models.lenet: shapes and hand-counted parameters of LeNet-5."""
import pytest
import torch
from torch import nn

from dlnotes.models.lenet import LeNet5, lenet5


def conv_params(c_in, c_out, k):
    return c_out * c_in * k * k + c_out          # weights + one bias per filter


def linear_params(n_in, n_out):
    return n_in * n_out + n_out


def test_parameter_count_by_hand():
    c1 = conv_params(1, 6, 5)                    # 156
    c3 = conv_params(6, 16, 5)                   # 2,416
    f5 = linear_params(16 * 5 * 5, 120)          # 48,120
    f6 = linear_params(120, 84)                  # 10,164
    out = linear_params(84, 10)                  # 850
    assert (c1, c3, f5, f6, out) == (156, 2416, 48120, 10164, 850)
    model = lenet5()
    assert sum(p.numel() for p in model.parameters()) == c1 + c3 + f5 + f6 + out == 61706
    per_layer = [sum(p.numel() for p in m.parameters())
                 for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert per_layer == [c1, c3, f5, f6, out]


@pytest.mark.parametrize("num_classes", [1, 5, 10, 26])
def test_parameter_count_scales_with_classes(num_classes):
    model = lenet5(num_classes=num_classes)
    assert sum(p.numel() for p in model.parameters()) == 61706 - 850 + linear_params(84, num_classes)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_forward_shapes(activation, pooling):
    torch.manual_seed(0)
    model = lenet5(activation=activation, pooling=pooling)
    x = torch.rand(3, 1, 28, 28)
    assert model.features(x).shape == (3, 16, 5, 5)
    assert model(x).shape == (3, 10)
    assert sum(p.numel() for p in model.parameters()) == 61706   # no parameters in act/pool
    pools = [m for m in model.features if isinstance(m, (nn.AvgPool2d, nn.MaxPool2d))]
    assert len(pools) == 2
    assert all(isinstance(m, nn.MaxPool2d if pooling == "max" else nn.AvgPool2d) for m in pools)


def test_intermediate_shapes():
    model = lenet5()
    x = torch.rand(2, 1, 28, 28)
    shapes = []
    for layer in model.features:
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    assert shapes == [(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10), (16, 5, 5)]


def test_other_input_size_fails_at_the_classifier():
    with pytest.raises(RuntimeError):
        lenet5()(torch.rand(1, 1, 32, 32))       # 16x6x6 features != 400


def test_is_lenet5_module():
    assert isinstance(lenet5(), LeNet5)


@pytest.mark.parametrize("kwargs, match", [
    ({"activation": "gelu"}, "activation='gelu'"),
    ({"pooling": "lp"}, "pooling='lp'"),
    ({"num_classes": 0}, "num_classes must be >= 1"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lenet5(**kwargs)


def test_num_classes_must_be_int():
    with pytest.raises(TypeError, match="num_classes must be an int"):
        lenet5(num_classes=2.5)
