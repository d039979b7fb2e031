"""dlnotes.pooling against torch.nn.functional (float64), autograd for the backward passes."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlnotes import pooling as P


@st.composite
def pool_configs(draw, dilation=True):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    p = tuple(draw(st.integers(0, k_ // 2)) for k_ in k)
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    ceil = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    return dict(k=k, s=s, p=p, d=d, hw=(h, w), ceil=ceil, seed=seed)


def _fits(cfg):
    try:
        [P.pool_output_size(n, k, s, p, d, cfg["ceil"])
         for n, k, s, p, d in zip(cfg["hw"], cfg["k"], cfg["s"], cfg["p"], cfg["d"])]
        return True
    except ValueError:
        return False


def _every_window_sees_input(cfg):
    """False when some (dilated) window lies entirely in the padding.

    torch accepts such configurations (e.g. input 1, kernel 2, padding 1, dilation 2) but
    then returns an out-of-range index (1 for a 1-pixel input) and a gradient that depends
    on uninitialised memory; we return -inf with index -1 and a zero gradient instead
    (``test_window_entirely_in_padding``), so parity is only asserted elsewhere.
    """
    for n, k, s, p, d in zip(cfg["hw"], cfg["k"], cfg["s"], cfg["p"], cfg["d"]):
        out = P.pool_output_size(n, k, s, p, d, cfg["ceil"])
        for i in range(out):
            if not any(0 <= i * s - p + j * d < n for j in range(k)):
                return False
    return True


@settings(max_examples=60, deadline=None)
@given(cfg=pool_configs())
def test_max_pool_forward_and_backward_match_torch(cfg):
    assume(_fits(cfg))
    assume(_every_window_sees_input(cfg))
    rng = np.random.default_rng(cfg["seed"])
    x = rng.normal(size=(2, 3, *cfg["hw"]))
    if cfg["seed"] % 3 == 0:
        x = np.round(x)  # ties
    kw = dict(kernel_size=cfg["k"], stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"],
              ceil_mode=cfg["ceil"])
    xt = torch.tensor(x, requires_grad=True)
    ref, ref_idx = F.max_pool2d(xt, return_indices=True, **kw)
    out, idx = P.max_pool2d(x, return_indices=True, **kw)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=0, atol=0)
    np.testing.assert_array_equal(idx, ref_idx.numpy())
    g = rng.normal(size=ref.shape)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(P.max_pool2d_backward(g, x, **kw), xt.grad.numpy(), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(cfg=pool_configs(dilation=False), include=st.booleans())
def test_avg_pool_forward_and_backward_match_torch(cfg, include):
    assume(_fits(cfg))
    rng = np.random.default_rng(cfg["seed"])
    x = rng.normal(size=(2, 2, *cfg["hw"]))
    kw = dict(kernel_size=cfg["k"], stride=cfg["s"], padding=cfg["p"], ceil_mode=cfg["ceil"],
              count_include_pad=include)
    xt = torch.tensor(x, requires_grad=True)
    ref = F.avg_pool2d(xt, **kw)
    np.testing.assert_allclose(P.avg_pool2d(x, **kw), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.normal(size=ref.shape)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(P.avg_pool2d_backward(g, x, **kw), xt.grad.numpy(), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 30), k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 2),
       d=st.integers(1, 3), ceil=st.booleans())
def test_output_size_matches_torch(n, k, s, p, d, ceil):
    x = torch.zeros(1, 1, n, 1)
    try:
        ref = F.max_pool2d(x, (k, 1), (s, 1), (p, 0), (d, 1), ceil_mode=ceil).shape[2]
    except RuntimeError as e:
        with pytest.raises(ValueError, match="padding=|smaller than the pooling window"):
            P.pool_output_size(n, k, s, p, d, ceil)
        assert "pad should be" in str(e) or "too small" in str(e)
        return
    assert P.pool_output_size(n, k, s, p, d, ceil) == ref


def test_last_window_must_start_inside_the_input():
    # ceil((5 + 2 - 2) / 2) + 1 = 4 windows, but the 4th would start at 6 >= 5 + 1: dropped
    assert P.pool_output_size(5, 2, 2, padding=1, ceil_mode=True) == 3
    assert F.max_pool2d(torch.zeros(1, 1, 5, 5), 2, 2, 1, ceil_mode=True).shape[-1] == 3


def test_notes_example_shape():
    # note 001 §4.1: MaxPool2d(3, stride=2, padding=1) on (20, 16, 50, 32) -> (20, 16, 25, 16)
    x = np.zeros((20, 16, 50, 32))
    assert P.max_pool2d(x, 3, 2, 1).shape == (20, 16, 25, 16)


def test_avg_gradient_is_divided_by_the_window():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    g = P.avg_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2)
    np.testing.assert_allclose(g, np.full((1, 1, 4, 4), 0.25))


def test_max_gradient_goes_to_the_argmax_only():
    x = np.array([[[[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 0, 1, 2]]]])
    g = P.max_pool2d_backward(np.array([[[[1.0, 2], [3, 4]]]]), x, 2)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, 0, 1], expected[0, 0, 1, 2], expected[0, 0, 3, 0], expected[0, 0, 3, 3] = 1, 2, 3, 4
    np.testing.assert_allclose(g, expected)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(4, 13), w=st.integers(4, 13), mode=st.sampled_from(["max", "avg"]),
       seed=st.integers(0, 1000))
def test_spp_equals_concatenated_adaptive_pools(h, w, mode, seed):
    x = np.random.default_rng(seed).normal(size=(2, 3, h, w))
    pool = F.adaptive_max_pool2d if mode == "max" else F.adaptive_avg_pool2d
    ref = torch.cat([pool(torch.tensor(x), n).flatten(1) for n in (1, 2, 4)], 1).numpy()
    out = P.spatial_pyramid_pool(x, (1, 2, 4), mode)
    assert out.shape == (2, 3 * 21)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def test_spp_length_does_not_depend_on_the_input_size():
    rng = np.random.default_rng(0)
    a = P.spatial_pyramid_pool(rng.random((1, 8, 13, 17)))
    b = P.spatial_pyramid_pool(rng.random((1, 8, 32, 24)))
    assert a.shape == b.shape == (1, 8 * (1 + 4 + 16))


def test_global_pools():
    x = np.random.default_rng(1).normal(size=(2, 3, 5, 4))
    t = torch.tensor(x)
    np.testing.assert_allclose(P.global_avg_pool2d(x), F.adaptive_avg_pool2d(t, 1).flatten(1).numpy())
    np.testing.assert_allclose(P.global_max_pool2d(x, keepdim=True), F.adaptive_max_pool2d(t, 1).numpy())


def test_stochastic_pool_test_mode_is_the_probability_weighted_mean():
    x = np.array([[[[1.0, 3.0], [0.0, 0.0]]]])
    out = P.stochastic_pool2d(x, 2, training=False)
    np.testing.assert_allclose(out, [[[[(1 * 1 + 3 * 3) / 4]]]])
    assert P.stochastic_pool2d(np.zeros((1, 1, 2, 2)), 2, training=False)[0, 0, 0, 0] == 0


def test_stochastic_pool_samples_in_proportion_to_activation():
    x = np.array([[[[1.0, 3.0], [0.0, 0.0]]]])
    x = np.broadcast_to(x, (1, 20000, 2, 2)).copy()
    out = P.stochastic_pool2d(x, 2, training=True, rng=np.random.default_rng(0))
    assert set(np.unique(out)) == {1.0, 3.0}  # never the zeros, always a window value
    assert abs((out == 3.0).mean() - 0.75) < 0.02
    again = P.stochastic_pool2d(x, 2, training=True, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out, again)


@pytest.mark.parametrize("call, match", [
    (lambda: P.max_pool2d(np.zeros((1, 1, 5, 5)), 3, 1, 2), "should be at most half of the kernel size"),
    (lambda: P.avg_pool2d(np.zeros((1, 1, 5, 5)), 3, 1, 2), "should be at most half of the kernel size"),
    (lambda: P.max_pool2d(np.zeros((1, 1, 5, 5)), 7), "smaller than the pooling window"),
    (lambda: P.max_pool2d(np.zeros((1, 1, 5, 5)), 2, 0), "stride must be >= 1"),
    (lambda: P.max_pool2d(np.zeros((1, 5, 5)), 2), "4-D"),
    (lambda: P.spatial_pyramid_pool(np.zeros((1, 1, 3, 5)), (1, 2, 4)), "larger than the 3x5 map"),
    (lambda: P.spatial_pyramid_pool(np.zeros((1, 1, 8, 8)), mode="sum"), "mode='sum'"),
    (lambda: P.stochastic_pool2d(-np.ones((1, 1, 2, 2)), 2), "non-negative"),
    (lambda: P.max_pool2d_backward(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 4, 4)), 2), "output's shape"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_torch_refuses_the_same_inputs():
    x = torch.zeros(1, 1, 5, 5)
    for f in (lambda: F.max_pool2d(x, 3, 1, 2), lambda: F.avg_pool2d(x, 3, 1, 2),
              lambda: F.max_pool2d(x, 7)):
        with pytest.raises(RuntimeError):
            f()


def test_window_entirely_in_padding():
    """Input 1 pixel high, kernel 2 with dilation 2 and padding 1: the only window reads
    rows -1 and +1, both padding.  torch gives -inf with index 1 (out of range); we give
    -inf, index -1 and no gradient."""
    x = np.arange(6.0).reshape(2, 3, 1, 1)
    kw = dict(kernel_size=(2, 1), stride=1, padding=(1, 0), dilation=(2, 1))
    out, idx = P.max_pool2d(x, return_indices=True, **kw)
    ref = F.max_pool2d(torch.tensor(x), **kw)
    assert out.shape == tuple(ref.shape) == (2, 3, 1, 1)
    assert np.all(np.isneginf(out)) and np.all(np.isneginf(ref.numpy()))
    assert np.all(idx == -1)
    np.testing.assert_array_equal(P.max_pool2d_backward(np.ones(out.shape), x, **kw), 0.0)


def test_tie_goes_to_the_first_maximum_like_torch_cpu():
    """Ties: the whole gradient goes to the first maximum in row-major order (torch's CPU
    kernel; CUDA does not promise an order)."""
    for tie in ([[2.0, 2.0], [2.0, 1.0]], [[0.0, 3.0], [3.0, 3.0]], [[5.0, 5.0], [5.0, 5.0]]):
        x = np.array([[tie]])
        xt = torch.tensor(x, requires_grad=True)
        y, idx = F.max_pool2d(xt, 2, return_indices=True)
        y.backward(torch.ones_like(y))
        ours = P.max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
        np.testing.assert_array_equal(ours, xt.grad.numpy())
        assert P.max_pool2d(x, 2, return_indices=True)[1].item() == idx.item() == int(np.argmax(x))


@st.composite
def unpool_configs(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = tuple(draw(st.integers(0, k_ // 2)) for k_ in k)
    hw = (draw(st.integers(3, 9)), draw(st.integers(3, 9)))
    return dict(k=k, s=s, p=p, hw=hw, seed=draw(st.integers(0, 2**16)))


@settings(max_examples=50, deadline=None)
@given(cfg=unpool_configs())
def test_max_unpool_matches_torch(cfg):
    """Unpool the pooled maxima (repeated indices then carry equal values, so torch's
    last-write rule cannot change the result) and, for non-overlapping windows, gradients."""
    cfg_fit = dict(cfg, d=(1, 1), ceil=False)
    assume(_fits(cfg_fit) and _every_window_sees_input(cfg_fit))
    rng = np.random.default_rng(cfg["seed"])
    x = rng.normal(size=(2, 3, *cfg["hw"]))
    kw = dict(kernel_size=cfg["k"], stride=cfg["s"], padding=cfg["p"])
    y, idx = P.max_pool2d(x, return_indices=True, **kw)
    default = [(n - 1) * s - 2 * p + k for n, s, p, k in zip(y.shape[2:], cfg["s"], cfg["p"], cfg["k"])]
    assume(min(default) >= 1 and idx.max() < default[0] * default[1])
    ref = F.max_unpool2d(torch.tensor(y), torch.tensor(idx), **kw).numpy()
    np.testing.assert_array_equal(P.max_unpool2d(y, idx, **kw), ref)
    size = tuple(x.shape[2:])
    if all(d - s < n < d + s for n, d, s in zip(size, default, cfg["s"])):
        ref = F.max_unpool2d(torch.tensor(y), torch.tensor(idx), output_size=size, **kw).numpy()
        np.testing.assert_array_equal(P.max_unpool2d(y, idx, output_size=size, **kw), ref)
        if cfg["s"][0] >= cfg["k"][0] and cfg["s"][1] >= cfg["k"][1]:   # no overlap: unpool == backward
            g = rng.normal(size=y.shape)
            np.testing.assert_allclose(P.max_unpool2d(g, idx, output_size=size, **kw),
                                       P.max_pool2d_backward(g, x, **kw), atol=0)


def test_unpool_of_gradients_is_not_the_backward_when_windows_overlap():
    x = np.array([[[[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 0, 1, 2]]]])
    y, idx = P.max_pool2d(x, 3, 1, return_indices=True)
    g = np.ones_like(y)
    back = P.max_pool2d_backward(g, x, 3, 1)
    unpooled = P.max_unpool2d(g, idx, 3, 1, output_size=(4, 4))
    assert back[0, 0, 1, 2] == 3 and unpooled[0, 0, 1, 2] == 1


@pytest.mark.parametrize("call, match", [
    (lambda: P.max_unpool2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 3), int), 2),
     "indices must have the shape"),
    (lambda: P.max_unpool2d(np.zeros((1, 1, 2, 2)), np.full((1, 1, 2, 2), 16), 2),
     r"indices must lie in \[0, 16\)"),
    (lambda: P.max_unpool2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), int), 2, output_size=(6, 4)),
     "strictly between 2 and 6"),
])
def test_unpool_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
    with pytest.raises((RuntimeError, ValueError)):   # torch refuses the same
        x, i = torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2, dtype=torch.int64)
        if "shape" in match:
            F.max_unpool2d(x, torch.zeros(1, 1, 2, 3, dtype=torch.int64), 2)
        elif "lie in" in match:
            F.max_unpool2d(x, torch.full((1, 1, 2, 2), 16), 2)
        else:
            F.max_unpool2d(x, i, 2, output_size=(6, 4))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), o=st.integers(1, 40))
def test_adaptive_bins_are_torchs(n, o):
    """Bin i holds pixel h iff adaptive_avg_pool1d of the one-hot vector e_h is non-zero at i."""
    assume(o <= n)
    starts, ends = P.adaptive_pool_bins(n, o)
    support = F.adaptive_avg_pool1d(torch.eye(n, dtype=torch.float64)[:, None, :], o)[:, 0, :] > 0  # (n, o)
    for i in range(o):
        members = np.nonzero(support[:, i].numpy())[0]
        assert (members.min(), members.max() + 1) == (starts[i], ends[i])
    assert starts[0] == 0 and ends[-1] == n and np.all(starts[1:] <= ends[:-1])  # they tile [0, n)


def test_adaptive_bins_overlap_when_o_does_not_divide_n():
    starts, ends = P.adaptive_pool_bins(13, 4)
    assert starts.tolist() == [0, 3, 6, 9] and ends.tolist() == [4, 7, 10, 13]
    assert P.adaptive_pool_bins(32, 4)[1].tolist() == [8, 16, 24, 32]
    with pytest.raises(ValueError, match="output_size=5 is larger than size=4"):
        P.adaptive_pool_bins(4, 5)
