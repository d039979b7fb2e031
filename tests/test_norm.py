"""dlnotes.norm against torch.nn.functional in float64, plus the loop versions and errors."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dlnotes import norm  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)
T = torch.from_numpy


@st.composite
def nchw(draw, min_c=1, max_c=6, min_spatial=0, max_spatial=2):
    n = draw(st.integers(1, 4))
    c = draw(st.integers(min_c, max_c))
    spatial = draw(st.lists(st.integers(1, 5), min_size=min_spatial, max_size=max_spatial))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1e-3, 1.0, 50.0]))
    x = rng.normal(size=(n, c, *spatial)) * scale + rng.normal()
    return x, rng


@settings(max_examples=60, deadline=None)
@given(data=nchw(), training=st.booleans(), affine=st.booleans(),
       momentum=st.sampled_from([0.0, 0.1, 0.5, 1.0]), eps=st.sampled_from([1e-5, 1e-3]))
def test_batch_norm_matches_torch_and_updates_running_stats(data, training, affine, momentum, eps):
    x, rng = data
    c = x.shape[1]
    if training and x.size // c <= 1:
        return
    rm, rv = rng.normal(size=c), rng.uniform(0.5, 2.0, size=c)
    w, b = (rng.normal(size=c), rng.normal(size=c)) if affine else (None, None)
    rm_t, rv_t = T(rm.copy()), T(rv.copy())
    ours = norm.batch_norm(x, rm, rv, w, b, training=training, momentum=momentum, eps=eps)
    ref = F.batch_norm(T(x), rm_t, rv_t, None if w is None else T(w), None if b is None else T(b),
                       training=training, momentum=momentum, eps=eps).numpy()
    np.testing.assert_allclose(ours, ref, **TOL)
    np.testing.assert_allclose(rm, rm_t.numpy(), **TOL)
    np.testing.assert_allclose(rv, rv_t.numpy(), **TOL)


def test_batch_norm_running_stats_match_module_over_several_steps():
    rng = np.random.default_rng(1)
    bn = torch.nn.BatchNorm2d(3, momentum=0.2).double()
    rm, rv = np.zeros(3), np.ones(3)
    w, b = rng.normal(size=3), rng.normal(size=3)
    with torch.no_grad():
        bn.weight.copy_(T(w))
        bn.bias.copy_(T(b))
    for _ in range(5):
        x = rng.normal(size=(4, 3, 3, 5)) * 3 + 2
        np.testing.assert_allclose(norm.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2),
                                   bn(T(x)).detach().numpy(), **TOL)
    np.testing.assert_allclose(rm, bn.running_mean.numpy(), **TOL)
    np.testing.assert_allclose(rv, bn.running_var.numpy(), **TOL)
    bn.eval()
    x = rng.normal(size=(2, 3, 4, 4))
    np.testing.assert_allclose(norm.batch_norm(x, rm, rv, w, b), bn(T(x)).detach().numpy(), **TOL)


def test_running_var_is_unbiased_and_normalisation_biased():
    x = np.arange(8, dtype=float).reshape(4, 2)                    # (N=4, C=2)
    rm, rv = np.zeros(2), np.zeros(2)
    y = norm.batch_norm(x, rm, rv, training=True, momentum=1.0, eps=0.0)
    np.testing.assert_allclose(rv, x.var(axis=0, ddof=1))
    np.testing.assert_allclose(y.std(axis=0), 1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_norm_naive_equals_fast(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 4, 3, 5))
    w, b = rng.normal(size=4), rng.normal(size=4)
    np.testing.assert_allclose(norm.batch_norm_naive(x, w, b),
                               norm.batch_norm(x, None, None, w, b, training=True), **TOL)


@settings(max_examples=50, deadline=None)
@given(data=nchw(max_spatial=2), k=st.integers(1, 3), affine=st.booleans())
def test_layer_norm_matches_torch(data, k, affine):
    x, rng = data
    k = min(k, x.ndim)
    shape = x.shape[x.ndim - k:]
    w, b = (rng.normal(size=shape), rng.normal(size=shape)) if affine else (None, None)
    ref = F.layer_norm(T(x), shape, None if w is None else T(w), None if b is None else T(b))
    np.testing.assert_allclose(norm.layer_norm(x, shape, w, b), ref.numpy(), **TOL)


@settings(max_examples=50, deadline=None)
@given(data=nchw(min_spatial=1), g=st.integers(1, 6), affine=st.booleans(),
       eps=st.sampled_from([1e-5, 0.1]))
def test_group_norm_matches_torch_and_naive(data, g, affine, eps):
    x, rng = data
    c = x.shape[1]
    divisors = [d for d in range(1, c + 1) if c % d == 0]
    g = divisors[g % len(divisors)]
    if x.shape[0] * (c // g) * np.prod(x.shape[2:]) == 1:
        return                                                     # torch refuses: tested below
    w, b = (rng.normal(size=c), rng.normal(size=c)) if affine else (None, None)
    ref = F.group_norm(T(x), g, None if w is None else T(w), None if b is None else T(b), eps)
    np.testing.assert_allclose(norm.group_norm(x, g, w, b, eps), ref.numpy(), **TOL)
    np.testing.assert_allclose(norm.group_norm_naive(x, g, eps), norm.group_norm(x, g, eps=eps), **TOL)


@settings(max_examples=40, deadline=None)
@given(data=nchw(min_spatial=1), affine=st.booleans())
def test_instance_norm_matches_torch(data, affine):
    x, rng = data
    if np.prod(x.shape[2:]) <= 1:
        return
    c = x.shape[1]
    w, b = (rng.normal(size=c), rng.normal(size=c)) if affine else (None, None)
    ref = F.instance_norm(T(x), weight=None if w is None else T(w), bias=None if b is None else T(b))
    np.testing.assert_allclose(norm.instance_norm(x, w, b), ref.numpy(), **TOL)


@pytest.mark.parametrize("seed", [0, 3])
def test_layer_and_instance_norm_are_group_norm_special_cases(seed):
    x = np.random.default_rng(seed).normal(size=(3, 6, 4, 5))
    np.testing.assert_allclose(norm.group_norm(x, 1), norm.layer_norm(x, x.shape[1:]), **TOL)
    np.testing.assert_allclose(norm.group_norm(x, 6), norm.instance_norm(x), **TOL)


@settings(max_examples=50, deadline=None)
@given(data=nchw(min_spatial=1), size=st.integers(1, 7), alpha=st.sampled_from([1e-4, 0.1, 1.0]),
       beta=st.sampled_from([0.5, 0.75]), k=st.sampled_from([1.0, 2.0]))
def test_local_response_norm_matches_torch(data, size, alpha, beta, k):
    x, _ = data
    ref = F.local_response_norm(T(x), size, alpha, beta, k).numpy()
    np.testing.assert_allclose(norm.local_response_norm(x, size, alpha, beta, k), ref, **TOL)


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_alexnet_lrn_is_torch_lrn_with_alpha_times_n(size):
    x = np.random.default_rng(size).normal(size=(2, 9, 3, 4)) * 5
    ref = F.local_response_norm(T(x), size, 1e-2 * size, 0.75, 2.0).numpy()
    np.testing.assert_allclose(norm.local_response_norm_alexnet(x, size, 1e-2, 0.75, 2.0), ref, **TOL)
    # ... and differs from torch with the same alpha (unless n = 1)
    assert size == 1 or not np.allclose(norm.local_response_norm_alexnet(x, size, 1e-2, 0.75, 2.0),
                           F.local_response_norm(T(x), size, 1e-2, 0.75, 2.0).numpy())


def test_alexnet_lrn_by_hand_at_the_border():
    x = np.array([1.0, 2.0, 3.0])[None, :, None]                   # (1, 3, 1)
    y = norm.local_response_norm_alexnet(x, size=5, alpha=1.0, beta=1.0, k=0.0)
    np.testing.assert_allclose(y[0, :, 0], [1 / 14, 2 / 14, 3 / 14])


# ----------------------------------------------------------------------- errors
def test_group_norm_channels_not_divisible():
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(torch.zeros(2, 5, 3), 2)
    with pytest.raises(ValueError, match="divisible by num_groups.*num_groups=2"):
        norm.group_norm(np.zeros((2, 5, 3)), 2)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.group_norm(torch.zeros(1, 2, 1), 2)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        norm.group_norm(np.zeros((1, 2, 1)), 2)


def test_layer_norm_shape_mismatch():
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(torch.zeros(2, 3, 4), [5])
    with pytest.raises(ValueError, match=r"normalized_shape=\[5\].*\[2, 3, 4\]"):
        norm.layer_norm(np.zeros((2, 3, 4)), 5)
    with pytest.raises(ValueError, match="weight must have shape"):
        norm.layer_norm(np.zeros((2, 3, 4)), 4, weight=np.ones(3))


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(torch.zeros(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        norm.batch_norm(np.zeros((1, 3)), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean must be defined"):
        F.batch_norm(torch.zeros(2, 3), None, None, training=False)
    with pytest.raises(ValueError, match="evaluation mode"):
        norm.batch_norm(np.zeros((2, 3)), None, None)
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        norm.batch_norm(np.zeros((2, 3)), np.zeros(4), np.ones(3))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        norm.batch_norm(np.zeros(3), np.zeros(3), np.ones(3))


def test_instance_norm_and_lrn_errors():
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(torch.zeros(2, 3, 1))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        norm.instance_norm(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(torch.zeros(2, 3), 2)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        norm.local_response_norm(np.zeros((2, 3)), 2)
    with pytest.raises(ValueError, match="size must be >= 1"):
        norm.local_response_norm(np.zeros((2, 3, 4)), 0)


# ----------------------------------------------------------------------- figure
@pytest.mark.parametrize("kind,count", [("batch", 4 * 5), ("layer", 6 * 5), ("instance", 5),
                                        ("group", 2 * 5), ("lrn", 3)])
def test_reduced_axes_mask_counts(kind, count):
    assert norm.reduced_axes_mask(kind, (4, 6, 5), num_groups=3, size=3).sum() == count


def test_reduced_axes_mask_agrees_with_the_normalisers():
    """Cells flagged as sharing a statistic are exactly those whose output moves when cell 0 moves."""
    x = np.random.default_rng(0).normal(size=(4, 6, 5))
    x2 = x.copy()
    x2[0, 0, 0] += 1.0
    fns = {"batch": lambda a: norm.batch_norm(a, None, None, training=True),
           "layer": lambda a: norm.layer_norm(a, a.shape[1:]),
           "instance": lambda a: norm.instance_norm(a),
           "group": lambda a: norm.group_norm(a, 3)}
    for kind, fn in fns.items():
        changed = ~np.isclose(fn(x), fn(x2), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(changed, norm.reduced_axes_mask(kind, x.shape, num_groups=3))


def test_draw_norm_cube_returns_3d_axes_and_rejects_bad_kind():
    ax = norm.draw_norm_cube("group", num_groups=2)
    assert ax.name == "3d" and "G=2" in ax.get_title()
    plt.close("all")
    with pytest.raises(ValueError, match="kind='pixel' is not supported"):
        norm.reduced_axes_mask("pixel")
    with pytest.raises(ValueError, match="must divide"):
        norm.reduced_axes_mask("group", (2, 5, 3), num_groups=2)
