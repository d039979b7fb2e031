"""dlnotes.conv: parity with torch.nn.functional.conv2d in float64, and torch's refusals."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import conv


@st.composite
def conv_configs(draw, max_hw=9):
    g = draw(st.integers(1, 3))
    c_in = g * draw(st.integers(1, 2))
    c_out = g * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    # input large enough for the dilated kernel (torch refuses smaller ones; tested below)
    min_h = max(1, dh * (kh - 1) + 1 - 2 * ph)
    min_w = max(1, dw * (kw - 1) + 1 - 2 * pw)
    h = draw(st.integers(min_h, max(min_h, max_hw)))
    w = draw(st.integers(min_w, max(min_w, max_hw)))
    return dict(n=draw(st.integers(1, 2)), c_in=c_in, c_out=c_out, groups=g, hw=(h, w),
                k=(kh, kw), stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw),
                bias=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


def make(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.normal(size=(cfg["n"], cfg["c_in"], *cfg["hw"]))
    w = rng.normal(size=(cfg["c_out"], cfg["c_in"] // cfg["groups"], *cfg["k"]))
    b = rng.normal(size=cfg["c_out"]) if cfg["bias"] else None
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
              groups=cfg["groups"])
    return x, w, b, kw


def torch_conv(x, w, b, **kw):
    return F.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                    None if b is None else torch.from_numpy(b), **kw).numpy()


@settings(max_examples=60, deadline=None)
@given(cfg=conv_configs())
def test_conv2d_matches_torch(cfg):
    x, w, b, kw = make(cfg)
    ref = torch_conv(x, w, b, **kw)
    out = conv.conv2d(x, w, b, **kw)
    assert out.shape == ref.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(cfg=conv_configs(max_hw=6))
def test_naive_matches_torch(cfg):
    x, w, b, kw = make(cfg)
    np.testing.assert_allclose(conv.conv2d_naive(x, w, b, **kw), torch_conv(x, w, b, **kw),
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name,kw", [
    ("1x1 kernel", dict(k=(1, 1), padding=(0, 0))),
    ("kernel equals padded input", dict(hw=(3, 3), k=(5, 5), padding=(1, 1))),
    ("windows start in the padding", dict(hw=(4, 5), k=(3, 3), padding=(2, 2), stride=(3, 3))),
    ("depthwise", dict(c_in=4, c_out=4, groups=4)),
    ("stride larger than kernel", dict(hw=(9, 9), k=(2, 2), stride=(3, 3))),
    ("1-pixel input", dict(hw=(1, 1), k=(1, 1))),
])
def test_named_edge_cases(name, kw):
    cfg = dict(n=2, c_in=2, c_out=4, groups=1, hw=(7, 7), k=(3, 3), stride=(1, 1),
               padding=(0, 0), dilation=(1, 1), bias=True, seed=3)
    cfg.update(kw)
    x, w, b, kwargs = make(cfg)
    ref = torch_conv(x, w, b, **kwargs)
    np.testing.assert_allclose(conv.conv2d(x, w, b, **kwargs), ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(conv.conv2d_naive(x, w, b, **kwargs), ref, rtol=1e-9, atol=1e-9)


def test_float32_stays_float32_and_is_close():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 11, 13)).astype(np.float32)
    w = rng.normal(size=(5, 3, 3, 3)).astype(np.float32)
    out = conv.conv2d(x, w, padding=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, torch_conv(x, w, None, padding=1), rtol=1e-4, atol=1e-4)


def test_unbatched_3d_input_like_torch():
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(2, 6, 7)), rng.normal(size=(3, 2, 3, 3))
    out = conv.conv2d(x, w, padding=1)
    assert out.shape == (3, 6, 7)
    np.testing.assert_allclose(out, torch_conv(x, w, None, padding=1), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(conv.conv2d_naive(x, w, padding=1), out, rtol=1e-9, atol=1e-9)


def test_int_and_pair_arguments_agree():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 2, 8, 8)), rng.normal(size=(3, 2, 3, 3))
    np.testing.assert_array_equal(conv.conv2d(x, w, stride=2, padding=1, dilation=2),
                                  conv.conv2d(x, w, stride=(2, 2), padding=(1, 1), dilation=(2, 2)))


# --- bad input: wherever torch refuses, we refuse with a ValueError naming the parameter ----

BAD = [
    ("channels not divisible by groups", (1, 3, 5, 5), (4, 1, 3, 3), dict(groups=2), "groups=2"),
    ("out channels not divisible by groups", (1, 4, 5, 5), (3, 2, 3, 3), dict(groups=2), "groups=2"),
    ("weight in-channels mismatch", (1, 4, 5, 5), (2, 3, 3, 3), {}, "weight expects"),
    ("kernel larger than padded input", (1, 1, 3, 3), (1, 1, 5, 5), {}, "smaller than the dilated kernel"),
    ("dilated kernel too large", (1, 1, 5, 5), (1, 1, 3, 3), dict(dilation=3), "dilated kernel 7"),
    ("2-D input", (5, 5), (1, 1, 3, 3), {}, "input must be 4-D"),
    ("5-D input", (1, 1, 1, 5, 5), (1, 1, 3, 3), {}, "input must be 4-D"),
    ("3-D weight", (1, 1, 5, 5), (1, 3, 3), {}, "weight must be 4-D"),
    ("stride 0", (1, 1, 5, 5), (1, 1, 3, 3), dict(stride=0), "stride must be >= 1"),
    ("negative padding", (1, 1, 5, 5), (1, 1, 3, 3), dict(padding=-1), "padding must be >= 0"),
    ("dilation 0", (1, 1, 5, 5), (1, 1, 3, 3), dict(dilation=0), "dilation must be >= 1"),
]


@pytest.mark.parametrize("name,xs,ws,kw,msg", BAD, ids=[b[0] for b in BAD])
def test_rejects_what_torch_rejects(name, xs, ws, kw, msg):
    x, w = np.ones(xs), np.ones(ws)
    with pytest.raises(RuntimeError):
        F.conv2d(torch.from_numpy(x), torch.from_numpy(w), **kw)
    for fn in (conv.conv2d, conv.conv2d_naive):
        with pytest.raises(ValueError, match=msg):
            fn(x, w, **kw)


def test_bias_shape_and_types():
    x, w = np.ones((1, 1, 5, 5)), np.ones((2, 1, 3, 3))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        conv.conv2d(x, w, bias=np.ones(3))
    with pytest.raises(TypeError, match="stride must be an int"):
        conv.conv2d(x, w, stride=1.5)
    with pytest.raises(ValueError, match="pair of ints"):
        conv.conv2d(x, w, padding=(1, 1, 1))


# --- output sizes ------------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_output_size_matches_torch(n, k, s, p, d):
    if n + 2 * p < d * (k - 1) + 1:
        with pytest.raises(ValueError, match="smaller than the dilated kernel"):
            conv.conv_output_size(n, k, s, p, d)
        return
    out = F.conv2d(torch.zeros(1, 1, n, 1), torch.zeros(1, 1, k, 1), stride=(s, 1),
                   padding=(p, 0), dilation=(d, 1)).shape[2]
    assert conv.conv_output_size(n, k, s, p, d) == out
    assert conv.conv_output_size(n, k, s, p, d, ceil_mode=True) == \
        math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 3),
       op=st.integers(0, 3), d=st.integers(1, 3))
def test_conv_transpose_output_size_matches_torch(n, k, s, p, op, d):
    try:
        ref = F.conv_transpose2d(torch.zeros(1, 1, n, 1), torch.zeros(1, 1, k, 1),
                                 stride=(s, 1), padding=(p, 0), output_padding=(op, 0),
                                 dilation=(d, 1)).shape[2]
    except RuntimeError:
        with pytest.raises(ValueError):
            conv.conv_transpose_output_size(n, k, s, p, op, d)
        return
    assert conv.conv_transpose_output_size(n, k, s, p, op, d) == ref


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 30), k=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3))
def test_same_padding_gives_ceil_output(n, k, s, d):
    before, after = conv.same_padding(n, k, s, d)
    assert after - before in (0, 1)                     # extra pixel goes after, as TF
    x = F.pad(torch.zeros(1, 1, n, 1), (0, 0, before, after))
    out = F.conv2d(x, torch.zeros(1, 1, k, 1), stride=(s, 1), dilation=(d, 1)).shape[2]
    assert out == math.ceil(n / s)


def test_same_padding_known_tf_values():
    # TF: input 7, kernel 4, stride 2 -> out 4, pad total 3 = (1 before, 2 after)
    assert conv.same_padding(7, 4, 2) == (1, 2)
    assert conv.same_padding(5, 3, 1) == (1, 1)
    assert conv.same_padding(6, 1, 2) == (0, 0)


@settings(max_examples=40, deadline=None)
@given(cfg=conv_configs())
def test_im2col_matches_unfold(cfg):
    x, w, _, kw = make(cfg)
    k = w.shape[2:]
    ref = F.unfold(torch.from_numpy(x), k, dilation=kw["dilation"], padding=kw["padding"],
                   stride=kw["stride"]).numpy()
    np.testing.assert_array_equal(conv.im2col(x, k, kw["stride"], kw["padding"], kw["dilation"]), ref)


@settings(max_examples=30, deadline=None)
@given(cfg=conv_configs(max_hw=6))
def test_conv2d_matrix_is_the_convolution(cfg):
    cfg["groups"] = 1
    x, w, _, kw = make(cfg)
    kw.pop("groups")
    m = conv.conv2d_matrix(w, x.shape[1:], **kw)
    ref = torch_conv(x, w, None, **kw)
    for b in range(x.shape[0]):
        np.testing.assert_allclose(m @ x[b].ravel(), ref[b].ravel(), rtol=1e-9, atol=1e-9)
    # its transpose is the transposed convolution (the gradient w.r.t. the input)
    y = np.random.default_rng(cfg["seed"]).normal(size=ref.shape[1:])
    xt = torch.from_numpy(x[:1]).requires_grad_()
    F.conv2d(xt, torch.from_numpy(w), **kw).backward(torch.from_numpy(y)[None])
    np.testing.assert_allclose(m.T @ y.ravel(), xt.grad[0].numpy().ravel(), rtol=1e-9, atol=1e-9)


def test_conv2d_matrix_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="input_shape must be"):
        conv.conv2d_matrix(np.ones((1, 1, 3, 3)), (5, 5))
    with pytest.raises(ValueError, match="2 input channels but input_shape has 3"):
        conv.conv2d_matrix(np.ones((1, 2, 3, 3)), (3, 5, 5))


# --- connections (note 003's 连接数) ----------------------------------------------------

def test_conv_connections_lenet_c1_and_c3_full():
    # LeCun et al. 1998, section II.B: C1 (1 -> 6 maps, 5x5, 28x28 output): 122,304 connections
    assert conv.conv_connections(1, 6, 5, 28) == 122_304
    assert conv.conv_connections(1, 6, 5, 28, bias=False) == conv.conv_macs(1, 6, 5, 28)


@settings(max_examples=40, deadline=None)
@given(cfg=conv_configs(max_hw=7))
def test_conv_connections_counts_what_torch_multiplies(cfg):
    from torch.utils.flop_counter import FlopCounterMode

    x, w, _, kw = make(cfg)
    ho, wo = (conv.conv_output_size(n, k, s, p, d) for n, k, s, p, d in zip(
        cfg["hw"], cfg["k"], cfg["stride"], cfg["padding"], cfg["dilation"]))
    with FlopCounterMode(display=False) as counter:
        F.conv2d(torch.from_numpy(x[:1]), torch.from_numpy(w), **kw)
    # torch counts 2 FLOPs (a multiply and an add) per weighted connection
    weighted = conv.conv_connections(cfg["c_in"], cfg["c_out"], cfg["k"], (ho, wo), cfg["groups"],
                                     bias=False)
    assert 2 * weighted == counter.get_total_flops()
    assert conv.conv_connections(cfg["c_in"], cfg["c_out"], cfg["k"], (ho, wo), cfg["groups"]) == \
        weighted + ho * wo * cfg["c_out"]


def test_conv_connections_without_padding_are_the_matrix_entries():
    # no padding: every weighted connection is a non-zero entry of the convolution matrix
    w = np.random.default_rng(4).uniform(1, 2, size=(4, 3, 3, 2))
    m = conv.conv2d_matrix(w, (3, 7, 6), stride=(2, 1))
    ho, wo = conv.conv_output_size(7, 3, 2), conv.conv_output_size(6, 2, 1)
    assert np.count_nonzero(m) == conv.conv_connections(3, 4, (3, 2), (ho, wo), bias=False)


def test_conv_connections_rejects_bad_groups():
    with pytest.raises(ValueError, match="divisible by groups=2"):
        conv.conv_connections(3, 4, 3, 5, groups=2)
