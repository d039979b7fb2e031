"""Parameter and multiply-add counts of convolution layers, re-exported by :mod:`dlnotes.conv`.

A multiply-add (MAC) is one ``a·b + c``; "FLOPs" in papers usually means MACs
(MobileNet, ShuffleNet), while ``torch.utils.flop_counter`` counts 2 FLOPs per MAC.
"""
from __future__ import annotations

from ._validate import check_int, pair

__all__ = ["conv_params", "conv_macs", "depthwise_separable_params",
           "depthwise_separable_macs", "separable_cost_ratio"]


def _channels(c_in, c_out, groups):
    c_in = check_int("in_channels", c_in, 1)
    c_out = check_int("out_channels", c_out, 1)
    g = check_int("groups", groups, 1)
    if c_in % g or c_out % g:
        raise ValueError(f"in_channels={c_in} and out_channels={c_out} must both be divisible "
                         f"by groups={g}")
    return c_in, c_out, g


def conv_params(in_channels, out_channels, kernel_size, groups=1, bias=True):
    """Learnable parameters of ``nn.Conv2d``: ``C_out·(C_in/g)·kH·kW (+ C_out)``.

    Grouping divides the *weights* by ``g`` (the bias stays ``C_out``); ``groups =
    in_channels`` is a depthwise convolution.

    Returns
    -------
    int
    """
    c_in, c_out, g = _channels(in_channels, out_channels, groups)
    kh, kw = pair("kernel_size", kernel_size, 1)
    return c_out * (c_in // g) * kh * kw + (c_out if bias else 0)


def conv_macs(in_channels, out_channels, kernel_size, output_size, groups=1):
    """Multiply-adds of one ``nn.Conv2d`` forward pass (one image, bias not counted).

    ``H_out·W_out·C_out·(C_in/g)·kH·kW``: every output value is a dot product of
    length ``(C_in/g)·kH·kW``.

    Parameters
    ----------
    output_size : int or (int, int)
        ``(H_out, W_out)``.

    Returns
    -------
    int
    """
    c_in, c_out, g = _channels(in_channels, out_channels, groups)
    kh, kw = pair("kernel_size", kernel_size, 1)
    ho, wo = pair("output_size", output_size, 1)
    return ho * wo * c_out * (c_in // g) * kh * kw


def depthwise_separable_params(in_channels, out_channels, kernel_size, bias=True):
    """Parameters of a depthwise ``k×k`` conv (groups = C_in) followed by a pointwise 1×1 conv.

    ``C_in·k² + C_out·C_in`` weights (+ ``C_in + C_out`` biases).  Howard et al.,
    "MobileNets", arXiv:1704.04861, §3.1.
    """
    c_in, c_out, _ = _channels(in_channels, out_channels, 1)
    return (conv_params(c_in, c_in, kernel_size, groups=c_in, bias=bias)
            + conv_params(c_in, c_out, 1, bias=bias))


def depthwise_separable_macs(in_channels, out_channels, kernel_size, output_size):
    """Multiply-adds of the depthwise + pointwise pair: ``H·W·C_in·(k² + C_out)`` (stride on the depthwise)."""
    c_in, c_out, _ = _channels(in_channels, out_channels, 1)
    return (conv_macs(c_in, c_in, kernel_size, output_size, groups=c_in)
            + conv_macs(c_in, c_out, 1, output_size))


def separable_cost_ratio(out_channels, kernel_size):
    """MobileNet's ratio of separable to standard cost: ``1/C_out + 1/(kH·kW)`` (eq. 5).

    Exact for both multiply-adds and weights (biases ignored).
    """
    c_out = check_int("out_channels", out_channels, 1)
    kh, kw = pair("kernel_size", kernel_size, 1)
    return 1 / c_out + 1 / (kh * kw)
