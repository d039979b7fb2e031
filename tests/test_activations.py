"""dlnotes.activations: values and derivatives equal torch (autograd), stable at |x| = 1e4."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import expit

from dlnotes import activations as act

# name -> (ours kwargs, torch function)
CASES = {
    "sigmoid": ({}, torch.sigmoid),
    "tanh": ({}, torch.tanh),
    "relu": ({}, F.relu),
    "leaky_relu": ({}, F.leaky_relu),
    "leaky_relu_0.2": ({"negative_slope": 0.2}, lambda t: F.leaky_relu(t, 0.2)),
    "elu": ({}, F.elu),
    "elu_alpha_0.5": ({"alpha": 0.5}, lambda t: F.elu(t, alpha=0.5)),
    "gelu": ({}, F.gelu),
    "gelu_tanh": ({"approximate": "tanh"}, lambda t: F.gelu(t, approximate="tanh")),
}


def _ours(name):
    base = name.split("_0")[0].split("_alpha")[0].replace("gelu_tanh", "gelu")
    fn, grad = act.ACTIVATIONS[base]
    kwargs = CASES[name][0]
    return (lambda x: fn(x, **kwargs)), (lambda x: grad(x, **kwargs))


def _torch_value_and_grad(name, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = CASES[name][1](t)
    y.sum().backward()
    return y.detach().numpy(), t.grad.numpy()


finite = st.floats(-30, 30, allow_nan=False, width=64)


@pytest.mark.parametrize("name", list(CASES))
@settings(max_examples=30, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 7)), elements=finite))
def test_value_and_derivative_match_torch_autograd(name, x):
    f, g = _ours(name)
    ref, ref_grad = _torch_value_and_grad(name, x)
    np.testing.assert_allclose(f(x), ref, rtol=1e-12, atol=1e-15)
    # atol 1e-14: torch's GELU-tanh backward forms 1 + tanh(u) and cancels to 0 for x < -7
    np.testing.assert_allclose(g(x), ref_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_keeps_relative_precision_in_the_left_tail(approximate):
    x = np.linspace(-9, -3, 25)
    h = 1e-6 * np.abs(x)
    value = act.gelu(x, approximate=approximate)
    assert np.all(value < 0)  # x * Phi(x) < 0: never rounded to 0 by cancellation
    central = (act.gelu(x + h, approximate=approximate) - act.gelu(x - h, approximate=approximate)) / (2 * h)
    np.testing.assert_allclose(act.gelu_grad(x, approximate=approximate), central, rtol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_kinks_follow_torch_convention(name):
    x = np.array([-1e-300, -0.0, 0.0, 1e-300, -1.0, 1.0])
    f, g = _ours(name)
    ref, ref_grad = _torch_value_and_grad(name, x)
    np.testing.assert_allclose(f(x), ref, rtol=1e-12, atol=0)
    np.testing.assert_allclose(g(x), ref_grad, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_and_warning_free_at_1e4(name, dtype):
    x = np.array([-1e4, -800.0, -710.0, -40.0, 0.0, 40.0, 710.0, 800.0, 1e4], dtype=dtype)
    f, g = _ours(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            y, dy = f(x), g(x)
    assert y.dtype == dtype and dy.dtype == dtype
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dy))
    ref, ref_grad = _torch_value_and_grad(name, x.astype(np.float64))
    # torch flushes sigmoid(-710) = 4.5e-309 (subnormal) to 0; we keep it, hence atol
    np.testing.assert_allclose(y, ref, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-300)
    np.testing.assert_allclose(dy, ref_grad, rtol=1e-6, atol=1e-16)


def test_sigmoid_accurate_in_the_tails():
    x = np.array([-1e4, -4000.0, -746.0, -709.0, -36.0, 36.0, 709.0, 4000.0, 1e4])
    np.testing.assert_allclose(act.sigmoid(x), expit(x), rtol=4e-16, atol=0)  # within 2 ulp
    assert act.sigmoid(np.array(-4000.0)) == 0.0          # note 003's clip gives 1.2e-308
    assert act.sigmoid(np.array(-709.0)) == pytest.approx(np.exp(-709.0), rel=1e-14)


def _ulps(y, ref):
    return np.abs(y - ref) / np.spacing(np.abs(ref))


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 40), elements=st.floats(-745, 745, width=64)))
def test_sigmoid_within_two_ulp_of_the_correctly_rounded_value(x):
    ref = act.sigmoid_reference(x)
    # subnormals (|x| > 708) have fewer significant bits: compare those absolutely
    normal = ref >= np.finfo(np.float64).tiny
    assert np.all(_ulps(act.sigmoid(x)[normal], ref[normal]) <= 2.0)
    np.testing.assert_allclose(act.sigmoid(x)[~normal], ref[~normal], rtol=0, atol=5e-324)


def test_sigmoid_is_not_correctly_rounded_everywhere_and_neither_is_expit():
    """The docstring's claim: a couple of ulp, not 'exact'. Many random points are 1 ulp off."""
    x = np.random.default_rng(0).uniform(-40, 40, 2000)
    ref = act.sigmoid_reference(x)
    for ours in (act.sigmoid(x), expit(x), torch.sigmoid(torch.from_numpy(x)).numpy()):
        u = _ulps(ours, ref)
        assert u.max() <= 2.0
        assert 0.05 < np.mean(u > 0) < 0.9


def test_sigmoid_reference_edge_cases_and_validation():
    ref = act.sigmoid_reference(np.array([[0.0, -720.0], [4000.0, -1e4]]))
    assert ref.shape == (2, 2)
    assert ref[0, 0] == 0.5 and ref[1, 0] == 1.0 and ref[1, 1] == 0.0
    assert ref[0, 1] == np.exp(-720.0)                    # a subnormal, kept
    assert act.sigmoid_reference(np.array(1.0)) == pytest.approx(1 / (1 + np.exp(-1.0)), rel=1e-16)
    with pytest.raises(ValueError, match=r"digits must be an int >= 20"):
        act.sigmoid_reference(np.zeros(2), digits=10)


def test_tanh_grad_decays_twice_as_fast_as_sigmoid_grad_and_crosses_at_1663():
    from scipy.optimize import brentq

    cross = brentq(lambda v: act.sigmoid_grad(v) - act.tanh_grad(v), 1.0, 3.0, xtol=1e-12)
    assert cross == pytest.approx(1.6629, abs=1e-4)
    x = np.array([5.0, 8.0, 12.0])
    np.testing.assert_allclose(act.sigmoid_grad(x), np.exp(-x), rtol=2e-2)
    np.testing.assert_allclose(act.tanh_grad(x), 4 * np.exp(-2 * x), rtol=2e-4)
    assert np.all(act.tanh_grad(x) < act.sigmoid_grad(x))
    assert act.tanh_grad(1.0) > act.sigmoid_grad(1.0)


def test_sigmoid_grad_keeps_relative_precision_where_torch_rounds_to_zero():
    x = np.array([40.0, -40.0])
    np.testing.assert_allclose(act.sigmoid_grad(x), np.exp(-40.0) / (1 + np.exp(-40.0)) ** 2,
                               rtol=1e-14)
    _, torch_grad = _torch_value_and_grad("sigmoid", x)
    assert torch_grad[0] == 0.0  # torch's s*(1-s) underflows: documented in sigmoid_grad


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 9), elements=st.floats(-50, 50, width=64)))
def test_tanh_is_a_rescaled_sigmoid(x):
    np.testing.assert_allclose(act.tanh(x), 2 * act.sigmoid(2 * x) - 1, atol=1e-15)
    np.testing.assert_allclose(act.tanh_grad(x), 4 * act.sigmoid_grad(2 * x), atol=1e-15)


def test_integer_input_becomes_float64_and_shapes_are_kept():
    x = np.arange(-3, 3).reshape(2, 3)
    for fn, grad in act.ACTIVATIONS.values():
        assert fn(x).dtype == np.float64 and fn(x).shape == (2, 3)
        assert grad(x).shape == (2, 3)


def test_derivative_bounds():
    x = np.linspace(-10, 10, 2001)
    assert act.sigmoid_grad(x).max() == pytest.approx(0.25)
    assert act.tanh_grad(x).max() == pytest.approx(1.0)


def test_gelu_rejects_unknown_approximation_like_torch():
    with pytest.raises(ValueError, match=r"approximate='erf' is not supported; choose one of"):
        act.gelu(np.zeros(3), approximate="erf")
    with pytest.raises(ValueError, match="approximate"):
        act.gelu_grad(np.zeros(3), approximate="erf")
    with pytest.raises(RuntimeError):
        F.gelu(torch.zeros(3), approximate="erf")
