"""dlnotes.conv.deform_conv2d against torchvision.ops.deform_conv2d (float64)."""
import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlnotes import conv

tv_ops = pytest.importorskip("torchvision.ops")


def _t(a):
    return None if a is None else torch.tensor(a)


@st.composite
def configs(draw):
    groups, g_off = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    c_in = groups * g_off * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h, w = draw(st.integers(3, 7)), draw(st.integers(3, 7))
    return dict(groups=groups, g_off=g_off, c_in=c_in, c_out=c_out, k=k, s=s, d=d, p=p, hw=(h, w),
                mask=draw(st.booleans()), bias=draw(st.booleans()), scale=draw(st.sampled_from([0.0, 0.7, 3.0])),
                seed=draw(st.integers(0, 2**16)))


@settings(max_examples=50, deadline=None)
@given(cfg=configs())
def test_matches_torchvision(cfg):
    rng = np.random.default_rng(cfg["seed"])
    kh, kw = cfg["k"]
    ho = (cfg["hw"][0] + 2 * cfg["p"][0] - cfg["d"][0] * (kh - 1) - 1) // cfg["s"][0] + 1
    wo = (cfg["hw"][1] + 2 * cfg["p"][1] - cfg["d"][1] * (kw - 1) - 1) // cfg["s"][1] + 1
    assume(ho >= 1 and wo >= 1)
    x = rng.normal(size=(2, cfg["c_in"], *cfg["hw"]))
    w = rng.normal(size=(cfg["c_out"], cfg["c_in"] // cfg["groups"], kh, kw))
    b = rng.normal(size=cfg["c_out"]) if cfg["bias"] else None
    off = rng.normal(scale=cfg["scale"], size=(2, 2 * cfg["g_off"] * kh * kw, ho, wo))
    m = rng.random((2, cfg["g_off"] * kh * kw, ho, wo)) if cfg["mask"] else None
    kw_ = dict(stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"])
    ref = tv_ops.deform_conv2d(_t(x), _t(off), _t(w), _t(b), mask=_t(m), **kw_).numpy()
    np.testing.assert_allclose(conv.deform_conv2d(x, off, w, b, mask=m, **kw_), ref,
                               rtol=1e-10, atol=1e-10)


def test_zero_offsets_are_an_ordinary_convolution():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(1, 4, 7, 6)), rng.normal(size=(2, 2, 3, 3))
    off = np.zeros((1, 18, 4, 3))
    np.testing.assert_allclose(conv.deform_conv2d(x, off, w, stride=2, padding=1),
                               conv.conv2d(x, w, stride=2, padding=1, groups=2), atol=1e-12)


def test_offset_layout_is_dy_then_dx():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 3, 2] = 1.0  # one bright pixel, one row below the centre
    w = np.ones((1, 1, 1, 1))
    off = np.zeros((1, 2, 5, 5))
    off[0, 0, 2, 2] = 1.0  # channel 0 is dy: output (2, 2) now reads row 3
    assert conv.deform_conv2d(x, off, w)[0, 0, 2, 2] == 1.0
    off = np.zeros((1, 2, 5, 5))
    off[0, 1, 2, 2] = 1.0  # channel 1 is dx: output (2, 2) reads (2, 3), which is dark
    assert conv.deform_conv2d(x, off, w)[0, 0, 2, 2] == 0.0
    ref = tv_ops.deform_conv2d(_t(x), _t(off), _t(w)).numpy()
    np.testing.assert_array_equal(conv.deform_conv2d(x, off, w), ref)


def test_fractional_offsets_interpolate_bilinearly():
    img = np.arange(12.0).reshape(3, 4)
    assert conv.bilinear_sample(img, np.array(0.5), np.array(1.25)) == pytest.approx(0.5 * 4 + 1.25)
    assert conv.bilinear_sample(img, np.array(-1.0), np.array(0.0)) == 0.0  # outside: zero
    assert conv.bilinear_sample(img, np.array(-0.5), np.array(0.0)) == pytest.approx(0.0 * 0.5)


@pytest.mark.parametrize("off_shape, mask_shape, match", [
    ((1, 17, 3, 3), None, "offset must have shape"),
    ((1, 18, 4, 3), None, "offset must have shape"),
    ((1, 18, 3, 3), (1, 8, 3, 3), "mask must have shape"),
    ((1, 54, 3, 3), None, "not divisible by offset_groups=3"),
])
def test_bad_offsets_and_masks(off_shape, mask_shape, match):
    x, w = np.zeros((1, 4, 5, 5)), np.zeros((2, 4, 3, 3))
    m = None if mask_shape is None else np.zeros(mask_shape)
    with pytest.raises(ValueError, match=match):
        conv.deform_conv2d(x, np.zeros(off_shape), w, mask=m)
    with pytest.raises(RuntimeError):
        tv_ops.deform_conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(off_shape), torch.zeros(2, 4, 3, 3),
                             mask=None if m is None else torch.zeros(mask_shape))


@settings(max_examples=40, deadline=None)
@given(cfg=configs())
def test_offset_and_mask_gradients_match_autograd(cfg):
    """How offsets are learned: the gradient through the bilinear weights equals autograd
    through torchvision (scale 0.0: every sample on the integer grid, the one-sided case)."""
    rng = np.random.default_rng(cfg["seed"])
    kh, kw = cfg["k"]
    ho = (cfg["hw"][0] + 2 * cfg["p"][0] - cfg["d"][0] * (kh - 1) - 1) // cfg["s"][0] + 1
    wo = (cfg["hw"][1] + 2 * cfg["p"][1] - cfg["d"][1] * (kw - 1) - 1) // cfg["s"][1] + 1
    assume(ho >= 1 and wo >= 1)
    x = rng.normal(size=(2, cfg["c_in"], *cfg["hw"]))
    w = rng.normal(size=(cfg["c_out"], cfg["c_in"] // cfg["groups"], kh, kw))
    off = rng.normal(scale=cfg["scale"], size=(2, 2 * cfg["g_off"] * kh * kw, ho, wo))
    m = rng.random((2, cfg["g_off"] * kh * kw, ho, wo)) if cfg["mask"] else None
    kw_ = dict(stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"])
    off_t = torch.tensor(off, requires_grad=True)
    m_t = None if m is None else torch.tensor(m, requires_grad=True)
    y = tv_ops.deform_conv2d(_t(x), off_t, _t(w), mask=m_t, **kw_)
    g = rng.normal(size=tuple(y.shape))
    y.backward(torch.tensor(g))
    grad_off, grad_mask = conv.deform_conv2d_offset_grad(g, x, off, w, mask=m, **kw_)
    np.testing.assert_allclose(grad_off, off_t.grad.numpy(), rtol=1e-10, atol=1e-10)
    if m is None:
        assert grad_mask is None
    else:
        np.testing.assert_allclose(grad_mask, m_t.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_offset_gradient_at_the_padding_edge_and_at_half_pixels():
    """Named edge cases: samples exactly at y = -1 (zero value, non-zero one-sided gradient,
    as torchvision) and offsets of exactly ±0.5 / ±1."""
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    for off in (np.zeros((1, 18, 5, 5)), np.round(rng.normal(size=(1, 18, 5, 5)) * 2) / 2):
        off_t = torch.tensor(off, requires_grad=True)
        y = tv_ops.deform_conv2d(_t(x), off_t, _t(w), padding=1)
        y.backward(torch.ones_like(y))
        grad_off, _ = conv.deform_conv2d_offset_grad(np.ones(tuple(y.shape)), x, off, w, padding=1)
        np.testing.assert_allclose(grad_off, off_t.grad.numpy(), atol=1e-12)
    # a sample at the padding's edge has no value, but its dy pulls it inside
    assert conv.bilinear_sample(x[0, 0], np.array(-1.0), np.array(0.0)) == 0.0
    assert conv.bilinear_sample_grad(x[0, 0], np.array(-1.0), np.array(0.0))[0] == x[0, 0, 0, 0]
    assert conv.bilinear_sample_grad(x[0, 0], np.array(-1.5), np.array(0.0))[0] == 0.0  # no corner inside


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_bilinear_sample_grad_is_the_derivative_off_the_grid(seed):
    rng = np.random.default_rng(seed)
    img = rng.normal(size=(2, 4, 5))
    y = rng.uniform(-1.5, 4.5, size=7)
    x = rng.uniform(-1.5, 5.5, size=7)
    eps = 1e-6
    y = np.where(np.abs(y - np.round(y)) < 1e-3, y + 0.01, y)  # keep off the grid lines,
    x = np.where(np.abs(x - np.round(x)) < 1e-3, x + 0.01, x)  # where it has no derivative
    gy, gx = conv.bilinear_sample_grad(img, y, x)
    num_y = (conv.bilinear_sample(img, y + eps, x) - conv.bilinear_sample(img, y - eps, x)) / (2 * eps)
    num_x = (conv.bilinear_sample(img, y, x + eps) - conv.bilinear_sample(img, y, x - eps)) / (2 * eps)
    np.testing.assert_allclose(gy, num_y, atol=1e-6)
    np.testing.assert_allclose(gx, num_x, atol=1e-6)


def test_offset_grad_checks_grad_output():
    x, w, off = np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 3, 3)), np.zeros((1, 18, 3, 3))
    with pytest.raises(ValueError, match="grad_output must have the output's shape"):
        conv.deform_conv2d_offset_grad(np.zeros((1, 3, 3, 4)), x, off, w)
    with pytest.raises(ValueError, match="offset must have shape"):
        conv.deform_conv2d_offset_grad(np.zeros((1, 3, 3, 3)), x, np.zeros((1, 17, 3, 3)), w)
