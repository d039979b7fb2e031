"""Parameter and multiply-add counts against nn.Conv2d and torch's FLOP counter."""
import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from dlnotes import conv


def _macs(module, shape):
    with FlopCounterMode(display=False) as fc:
        module(torch.zeros(shape))
    return fc.get_total_flops() // 2


@settings(max_examples=40, deadline=None)
@given(g=st.integers(1, 4), cin=st.integers(1, 3), cout=st.integers(1, 3), k=st.integers(1, 5),
       n=st.integers(5, 12), bias=st.booleans(), stride=st.integers(1, 2))
def test_counts_match_torch(g, cin, cout, k, n, bias, stride):
    c_in, c_out = g * cin, g * cout
    m = nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, groups=g, bias=bias)
    out = m(torch.zeros(1, c_in, n, n)).shape[-1]
    assert conv.conv_params(c_in, c_out, k, groups=g, bias=bias) == sum(p.numel() for p in m.parameters())
    assert conv.conv_macs(c_in, c_out, k, out, groups=g) == _macs(m, (1, c_in, n, n))


@settings(max_examples=25, deadline=None)
@given(cin=st.integers(1, 16), cout=st.integers(1, 16), k=st.sampled_from([3, 5]), n=st.integers(4, 10))
def test_depthwise_separable(cin, cout, k, n):
    m = nn.Sequential(nn.Conv2d(cin, cin, k, padding=k // 2, groups=cin), nn.Conv2d(cin, cout, 1))
    assert conv.depthwise_separable_params(cin, cout, k) == sum(p.numel() for p in m.parameters())
    assert conv.depthwise_separable_macs(cin, cout, k, n) == _macs(m, (1, cin, n, n))
    ratio = conv.depthwise_separable_macs(cin, cout, k, n) / conv.conv_macs(cin, cout, k, n)
    assert ratio == pytest.approx(conv.separable_cost_ratio(cout, k))


def test_grouping_divides_the_weights_not_the_bias():
    assert conv.conv_params(64, 64, 3, groups=4, bias=False) * 4 == conv.conv_params(64, 64, 3, bias=False)
    assert conv.conv_params(64, 64, 3, groups=4) * 4 != conv.conv_params(64, 64, 3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="divisible by groups=3"):
        conv.conv_params(4, 6, 3, groups=3)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        conv.conv_macs(4, 4, 0, 5)
    with pytest.raises(TypeError, match="in_channels must be an int"):
        conv.conv_params(4.0, 4, 3)
