"""dlnotes.losses: equal to torch / torchvision in float64, finite at logits of ±1e4."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import losses as L

T = lambda a: torch.from_numpy(np.asarray(a))  # noqa: E731


@st.composite
def ce_configs(draw):
    """Logits (N, C[, d]) with targets, some ignored, plus reduction and smoothing."""
    seed = draw(st.integers(0, 2**16))
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 7))
    spatial = draw(st.sampled_from([(), (3,), (2, 3)]))
    scale = draw(st.sampled_from([1.0, 10.0, 1e3, 1e4]))
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c) + spatial) * scale
    target = rng.integers(0, c, size=(n,) + spatial)
    if draw(st.booleans()):
        target = np.where(rng.random(target.shape) < 0.3, -100, target)
    kwargs = dict(reduction=draw(st.sampled_from(["mean", "sum", "none"])),
                  label_smoothing=draw(st.sampled_from([0.0, 0.1, 1.0])))
    return logits, target, kwargs


@settings(max_examples=60, deadline=None)
@given(cfg=ce_configs())
def test_cross_entropy_matches_torch(cfg):
    logits, target, kwargs = cfg
    ref = F.cross_entropy(T(logits), T(target), **kwargs).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = L.cross_entropy(logits, target, **kwargs)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10)


def test_cross_entropy_unbatched_all_ignored_and_custom_ignore_index():
    x = np.array([0.5, -1.0, 3.0])
    np.testing.assert_allclose(L.cross_entropy(x, np.array(2)), F.cross_entropy(T(x), T(np.array(2))))
    x2 = np.random.default_rng(1).standard_normal((3, 4))
    t_all = np.full(3, -100)
    assert np.isnan(L.cross_entropy(x2, t_all)) and torch.isnan(F.cross_entropy(T(x2), T(t_all)))
    t = np.array([1, 7, 3])
    np.testing.assert_allclose(L.cross_entropy(x2, t, ignore_index=7),
                               F.cross_entropy(T(x2), T(t), ignore_index=7), rtol=1e-12)


@pytest.mark.parametrize("axis", [0, 1, -1])
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.sampled_from([1.0, 100.0, 1e4]))
def test_softmax_log_softmax_logsumexp_match_torch(axis, seed, scale):
    x = np.random.default_rng(seed).standard_normal((3, 5, 2)) * scale
    np.testing.assert_allclose(L.softmax(x, axis), torch.softmax(T(x), axis).numpy(), atol=1e-15)
    np.testing.assert_allclose(L.log_softmax(x, axis), F.log_softmax(T(x), axis).numpy(), rtol=1e-12,
                               atol=1e-10)
    np.testing.assert_allclose(L.logsumexp(x, axis), torch.logsumexp(T(x), axis).numpy(), rtol=1e-13)
    assert L.logsumexp(x, axis, keepdims=True).shape == torch.logsumexp(T(x), axis, True).shape


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), c=st.integers(1, 6), scale=st.sampled_from([1.0, 30.0, 1e3]))
def test_softmax_jacobian_matches_autograd(seed, c, scale):
    x = np.random.default_rng(seed).standard_normal((3, c)) * scale
    J = L.softmax_jacobian(x)                                        # (3, c, c)
    assert J.shape == (3, c, c)
    for n in range(3):
        ref = torch.autograd.functional.jacobian(lambda z: torch.softmax(z, -1), T(x[n]))
        np.testing.assert_allclose(J[n], ref.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=-1), 0.0, atol=1e-15)     # shift invariance
    np.testing.assert_allclose(J, np.swapaxes(J, -1, -2), atol=0)    # symmetric


def test_softmax_jacobian_chain_rule_gives_p_minus_y():
    """dl/dz = J^T (-y/p) = p - y for the cross-entropy of a one-hot y (chapter 2)."""
    z = np.array([0.3, -1.2, 2.0, 0.5])
    y = np.eye(4)[2]
    p = L.softmax(z)
    np.testing.assert_allclose(L.softmax_jacobian(z).T @ (-y / p), p - y, rtol=1e-13, atol=1e-15)
    assert L.softmax_jacobian(np.array([5.0])).tolist() == [[0.0]]  # one class: constant 1
    with pytest.raises(ValueError, match="class axis"):
        L.softmax_jacobian(np.float64(1.0))


def test_softmax_normalises_each_row_not_the_whole_batch():
    x = np.array([[0.0, 0.0], [1000.0, 1000.0]])
    np.testing.assert_allclose(L.softmax(x), [[0.5, 0.5], [0.5, 0.5]])


def test_logsumexp_edge_cases():
    x = np.array([[-np.inf, -np.inf], [np.inf, 0.0], [1e4, 1e4]])
    np.testing.assert_array_equal(L.logsumexp(x), torch.logsumexp(T(x), -1).numpy())


@st.composite
def bce_configs(draw):
    seed = draw(st.integers(0, 2**16))
    shape = draw(st.sampled_from([(1,), (4,), (3, 5), (2, 3, 4)]))
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(shape) * draw(st.sampled_from([1.0, 30.0, 1e4]))
    target = rng.integers(0, 2, shape).astype(np.float64)
    if draw(st.booleans()):
        target = rng.random(shape)  # soft targets
    return logits, target, draw(st.sampled_from(["mean", "sum", "none"])), draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(cfg=bce_configs())
def test_bce_with_logits_matches_torch(cfg):
    logits, target, reduction, weighted = cfg
    kw = {}
    if weighted:
        rng = np.random.default_rng(0)
        kw = dict(weight=rng.random(logits.shape[-1]), pos_weight=rng.random(logits.shape[-1]) * 3)
    ref = F.binary_cross_entropy_with_logits(T(logits), T(target), reduction=reduction,
                                             **{k: T(v) for k, v in kw.items()}).numpy()
    np.testing.assert_allclose(L.binary_cross_entropy_with_logits(logits, target, reduction=reduction, **kw),
                               ref, rtol=1e-10, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(cfg=bce_configs(), alpha=st.sampled_from([0.25, 0.0, 1.0, 0.5, -1]),
       gamma=st.sampled_from([0, 0.5, 2, 5]))
def test_focal_loss_matches_torchvision(cfg, alpha, gamma):
    logits, target, reduction, _ = cfg
    ref = torchvision.ops.sigmoid_focal_loss(T(logits), T(target), alpha, gamma, reduction).numpy()
    np.testing.assert_allclose(L.sigmoid_focal_loss(logits, target, alpha, gamma, reduction), ref,
                               rtol=1e-9, atol=1e-12)


def test_focal_loss_defaults_and_reduction_to_bce():
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal((4, 3)), rng.integers(0, 2, (4, 3)).astype(float)
    assert L.sigmoid_focal_loss(x, t).shape == (4, 3)  # torchvision's default is 'none'
    np.testing.assert_allclose(L.sigmoid_focal_loss(x, t, alpha=-1, gamma=0),
                               L.binary_cross_entropy_with_logits(x, t, reduction="none"))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), reduction=st.sampled_from(["mean", "sum", "none", "batchmean"]),
       log_target=st.booleans())
def test_kl_div_matches_torch(seed, reduction, log_target):
    rng = np.random.default_rng(seed)
    logq = F.log_softmax(T(rng.standard_normal((3, 5))), -1).numpy()
    p = rng.dirichlet(np.ones(5), size=3)
    if not log_target:
        p[0, 1] = 0.0  # a zero-probability term: 0 log 0 = 0
    tgt = np.log(p) if log_target else p
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: 'mean' will change to 'batchmean'
        ref = F.kl_div(T(logq), T(tgt), reduction=reduction, log_target=log_target).numpy()
    np.testing.assert_allclose(L.kl_div(logq, tgt, reduction, log_target), ref, rtol=1e-12, atol=1e-15)


def test_kl_div_zero_probability_with_log_target_is_zero_not_nan():
    logq = np.log(np.array([[0.5, 0.5]]))
    with np.errstate(divide="ignore"):
        log_p = np.log(np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(L.kl_div(logq, log_p, "sum", log_target=True), np.log(2.0))


def test_cross_entropy_is_entropy_plus_kl():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(6), size=4)
    logq = L.log_softmax(rng.standard_normal((4, 6)))
    cross = -(p * logq).sum(-1)
    kl = L.kl_div(logq, p, reduction="none").sum(-1)
    np.testing.assert_allclose(cross, L.entropy(p) + kl, rtol=1e-12)


@pytest.mark.parametrize("fn", ["ce", "bce", "focal", "softmax", "lse", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_and_warning_free_at_logits_1e4(fn, dtype):
    x = np.array([[1e4, -1e4, 0.0, 1.0], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, -1e4, 3.0]], dtype=dtype)
    t_idx = np.array([1, 0, 2])
    t = np.array([[0, 1, 0, 1], [1, 0, 0, 1], [1, 1, 1, 0]], dtype=dtype)
    calls = {"ce": lambda: L.cross_entropy(x, t_idx, reduction="none"),
             "bce": lambda: L.binary_cross_entropy_with_logits(x, t, reduction="none"),
             "focal": lambda: L.sigmoid_focal_loss(x, t),
             "softmax": lambda: L.softmax(x), "lse": lambda: L.logsumexp(x),
             "log_softmax": lambda: L.log_softmax(x)}
    refs = {"ce": lambda: F.cross_entropy(T(x), T(t_idx), reduction="none"),
            "bce": lambda: F.binary_cross_entropy_with_logits(T(x), T(t), reduction="none"),
            "focal": lambda: torchvision.ops.sigmoid_focal_loss(T(x), T(t)),
            "softmax": lambda: torch.softmax(T(x), -1), "lse": lambda: torch.logsumexp(T(x), -1),
            "log_softmax": lambda: F.log_softmax(T(x), -1)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            out = calls[fn]()
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, refs[fn]().numpy(), rtol=1e-6)


def test_the_notes_overflow_example_value():
    # note 003: x = [1, 1, 1, 4000], y = class 0 -> loss 3999 exactly (not 20.72)
    assert L.cross_entropy(np.array([1.0, 1, 1, 4000]), np.array(0)) == 3999.0


# --- bad input: torch refuses, so do we -------------------------------------------------

def test_cross_entropy_bad_inputs():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)"):
        L.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"Target 4 is out of bounds"):
        L.cross_entropy(x, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"Target -1 is out of bounds"):
        L.cross_entropy(x, np.array([0, -1, 2]))
    with pytest.raises(ValueError, match=r"reduction='avg' is not supported"):
        L.cross_entropy(x, np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing must be between 0.0 and 1.0"):
        L.cross_entropy(x, np.array([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(TypeError, match=r"target must hold integer class indices"):
        L.cross_entropy(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"target shape \(3, 2\) does not fit logits \(3, 4, 5\)"):
        L.cross_entropy(np.zeros((3, 4, 5)), np.zeros((3, 2), dtype=int))
    for call in (lambda: F.cross_entropy(T(x), T(np.array([0, 1]))),
                 lambda: F.cross_entropy(T(x), T(np.array([0, 1, 2])), reduction="avg")):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(IndexError):
        F.cross_entropy(T(x), T(np.array([0, 1, 4])))


def test_binary_losses_bad_inputs():
    x, t = np.zeros((3, 4)), np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"Target size \(3, 3\) must be the same as input size \(3, 4\)"):
        L.binary_cross_entropy_with_logits(x, t)
    with pytest.raises(ValueError):
        F.binary_cross_entropy_with_logits(T(x), T(t))
    with pytest.raises(ValueError, match=r"Target size"):
        L.sigmoid_focal_loss(x, t)
    with pytest.raises(ValueError, match=r"Invalid alpha value: 1.5"):
        L.sigmoid_focal_loss(x, x, alpha=1.5)
    with pytest.raises(ValueError, match=r"Invalid alpha value"):
        torchvision.ops.sigmoid_focal_loss(T(x), T(x), alpha=1.5)
    with pytest.raises(ValueError, match=r"gamma must be >= 0"):
        L.sigmoid_focal_loss(x, x, gamma=-1)
    with pytest.raises(ValueError, match=r"reduction='x' is not supported"):
        L.sigmoid_focal_loss(x, x, reduction="x")
    with pytest.raises(ValueError, match=r"reduction='x' is not supported"):
        L.kl_div(x, x, reduction="x")
    with pytest.raises(ValueError, match=r"axis=2 is out of range"):
        L.softmax(x, axis=2)
