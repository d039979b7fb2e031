"""dlnotes.conv.conv_transpose2d against F.conv_transpose2d (float64)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlnotes import conv


@st.composite
def configs(draw):
    g = draw(st.integers(1, 3))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    op = tuple(draw(st.integers(0, max(s_, d_) - 1)) for s_, d_ in zip(s, d))
    shape = (draw(st.integers(1, 2)), g * draw(st.integers(1, 2)), draw(st.integers(1, 6)),
             draw(st.integers(1, 6)))
    c_out_per_group = draw(st.integers(1, 3))
    return dict(g=g, k=k, s=s, d=d, p=p, op=op, shape=shape, og=c_out_per_group,
                bias=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


def _torch_ok(cfg, x, w, b):
    try:
        return F.conv_transpose2d(torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b),
                                  cfg["s"], cfg["p"], cfg["op"], cfg["g"], cfg["d"]).numpy()
    except RuntimeError:
        return None


@settings(max_examples=60, deadline=None)
@given(cfg=configs())
def test_matches_torch_and_the_zero_insertion_form(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.normal(size=cfg["shape"])
    w = rng.normal(size=(cfg["shape"][1], cfg["og"], *cfg["k"]))
    b = rng.normal(size=cfg["og"] * cfg["g"]) if cfg["bias"] else None
    ref = _torch_ok(cfg, x, w, b)
    kw = dict(stride=cfg["s"], padding=cfg["p"], output_padding=cfg["op"], groups=cfg["g"],
              dilation=cfg["d"])
    if ref is None:  # torch refuses (output size < 1): so do we
        with pytest.raises(ValueError, match="padding="):
            conv.conv_transpose2d(x, w, b, **kw)
        return
    np.testing.assert_allclose(conv.conv_transpose2d(x, w, b, **kw), ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.conv_transpose2d_as_conv(x, w, b, **kw), ref, rtol=1e-10, atol=1e-10)


def test_notes_example_2x2_to_7x7():
    # note 001 §2.2: input 2x2, kernel 4x4, stride 3, padding 0 -> (2-1)*3 + 4 = 7
    x = np.ones((1, 1, 2, 2))
    w = np.ones((1, 1, 4, 4))
    out = conv.conv_transpose2d(x, w, stride=3)
    assert out.shape == (1, 1, 7, 7)
    ref = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=3).numpy()
    np.testing.assert_array_equal(out, ref)
    # the four 4x4 copies start 3 apart: they overlap in row 3 and column 3
    assert out[0, 0, 3, 3] == 4 and out[0, 0, 3, 0] == 2 and out[0, 0, 0, 0] == 1


def test_is_the_adjoint_of_conv2d():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 2, 9, 8))
    w = rng.normal(size=(3, 2, 3, 3))
    y = rng.normal(size=conv.conv2d(x, w, stride=2, padding=1).shape)
    lhs = (conv.conv2d(x, w, stride=2, padding=1) * y).sum()
    rhs = (x * conv.conv_transpose2d(y, w, stride=2, padding=1, output_padding=(0, 1))).sum()
    assert np.isclose(lhs, rhs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(output_padding=2, stride=2), "output_padding=2 must be smaller"),
    (dict(groups=2), "not divisible by groups=2"),
    (dict(padding=5), "padding=5 is too large"),
])
def test_bad_arguments(kwargs, match):
    x, w = np.zeros((1, 3, 4, 4)), np.zeros((3, 2, 3, 3))
    with pytest.raises(ValueError, match=match):
        conv.conv_transpose2d(x, w, **kwargs)
    with pytest.raises(RuntimeError):
        F.conv_transpose2d(torch.zeros(1, 3, 4, 4), torch.zeros(3, 2, 3, 3), **kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match="weight must be \\(C_in=3"):
        conv.conv_transpose2d(np.zeros((1, 3, 4, 4)), np.zeros((2, 3, 3, 3)))
    with pytest.raises(ValueError, match="4-D"):
        conv.conv_transpose2d(np.zeros((3, 4, 4)), np.zeros((3, 3, 3, 3)))
    with pytest.raises(ValueError, match="bias must have shape \\(6,\\)"):
        conv.conv_transpose2d(np.zeros((1, 3, 4, 4)), np.zeros((3, 2, 3, 3)), np.zeros(2), groups=3)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=2), dict(stride=2, padding=2, output_padding=1),
                                dict(stride=3, padding=(3, 1), dilation=(1, 2), output_padding=(2, 0))])
def test_as_conv_when_the_padding_exceeds_the_dilated_kernel(kw):
    """padding > d(k-1): the zero-inserted input is cropped instead of padded."""
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=(1, 2, 6, 5)), rng.normal(size=(2, 3, 2, 2))
    d = kw.get("dilation", 1)
    assert np.max(kw["padding"]) > np.max(d) * (2 - 1)
    ref = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kw).numpy()
    np.testing.assert_allclose(conv.conv_transpose2d_as_conv(x, w, **kw), ref, atol=1e-12)
    np.testing.assert_allclose(conv.conv_transpose2d(x, w, **kw), ref, atol=1e-12)
