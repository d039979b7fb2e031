"""dlnotes.optim: every optimizer equals torch.optim step for step (float64), test surfaces."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import optim

TORCH = {name: getattr(torch.optim, name) for name in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW")}
OURS = {name: getattr(optim, name) for name in TORCH}

unit = st.floats(0.0, 0.99)
lrs = st.floats(1e-4, 0.5)


@st.composite
def sgd_kwargs(draw):
    momentum = draw(st.sampled_from([0.0, 0.5, 0.9]) | unit)
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(st.sampled_from([0.0, 0.3]))
    return dict(lr=draw(lrs), momentum=momentum, dampening=dampening, nesterov=nesterov,
                weight_decay=draw(st.sampled_from([0.0, 1e-2, 0.3])))


@st.composite
def adagrad_kwargs(draw):
    return dict(lr=draw(lrs), lr_decay=draw(st.sampled_from([0.0, 0.01, 0.5])),
                weight_decay=draw(st.sampled_from([0.0, 0.1])),
                initial_accumulator_value=draw(st.sampled_from([0.0, 0.1, 2.0])),
                eps=draw(st.sampled_from([1e-10, 1e-3])))


@st.composite
def rmsprop_kwargs(draw):
    # alpha >= 0.1: with alpha -> 0, centered RMSprop divides by sqrt(g^2 - g^2), pure round-off
    return dict(lr=draw(lrs), alpha=draw(st.sampled_from([0.99, 0.9]) | st.floats(0.1, 0.99)),
                eps=draw(st.sampled_from([1e-8, 1e-3])), momentum=draw(st.sampled_from([0.0, 0.9])),
                centered=draw(st.booleans()), weight_decay=draw(st.sampled_from([0.0, 0.1])))


@st.composite
def adam_kwargs(draw):
    return dict(lr=draw(lrs), betas=(draw(unit), draw(st.sampled_from([0.999, 0.9]) | unit)),
                eps=draw(st.sampled_from([1e-8, 1e-3])), amsgrad=draw(st.booleans()),
                weight_decay=draw(st.sampled_from([0.0, 1e-2, 0.2])))


KWARGS = {"SGD": sgd_kwargs(), "Adagrad": adagrad_kwargs(), "RMSprop": rmsprop_kwargs(),
          "Adam": adam_kwargs(), "AdamW": adam_kwargs()}
SHAPES = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3)).map(lambda s: s[: 1 + s[1] % 2]),
                  min_size=1, max_size=3)


def compare(name, kwargs, shapes, steps, seed, maximize=False):
    rng = np.random.default_rng(seed)
    ours = [rng.normal(size=s) for s in shapes]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in ours]
    opt = OURS[name](ours, maximize=maximize, **kwargs)
    ref = TORCH[name](theirs, foreach=False, maximize=maximize, **kwargs)
    for t in range(steps):
        # gradients that depend on the parameters (a quadratic) plus noise, sometimes zero
        grads = [0.5 * p + rng.normal(size=p.shape) * (t % 5 != 3) for p in ours]
        for th, g in zip(theirs, grads):
            th.grad = torch.from_numpy(g.copy())
        opt.step(grads)
        ref.step()
        for p, th in zip(ours, theirs):
            # round-off only: absolute tolerance relative to the parameters' scale (torch's
            # vectorised kernels may fuse a multiply-add; centered RMSprop amplifies that)
            np.testing.assert_allclose(p, th.detach().numpy(), rtol=1e-10,
                                       atol=1e-11 * (1 + np.abs(p).max()),
                                       err_msg=f"{name} step {t + 1}")
    for i, th in enumerate(theirs):  # the state, under torch's names
        for key, value in ref.state[th].items():
            mine = opt.state[i][key]
            np.testing.assert_allclose(np.asarray(mine, dtype=float), np.asarray(value, dtype=float),
                                       rtol=1e-9, atol=1e-11, err_msg=f"{name} state {key}")


@pytest.mark.parametrize("name", list(TORCH))
@settings(max_examples=30, deadline=None)
@given(data=st.data(), shapes=SHAPES, steps=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_matches_torch_step_for_step(name, data, shapes, steps, seed):
    compare(name, data.draw(KWARGS[name]), shapes, steps, seed)


@pytest.mark.parametrize("name", list(TORCH))
def test_defaults_and_many_steps(name):
    compare(name, {}, [(3, 5), (7,)], 200, seed=1)


@pytest.mark.parametrize("name", list(TORCH))
def test_maximize(name):
    compare(name, dict(lr=0.05), [(2, 3)], 20, seed=2, maximize=True)


def test_defaults_equal_torch():
    import inspect
    for name in TORCH:
        ours = inspect.signature(OURS[name].__init__).parameters
        theirs = inspect.signature(TORCH[name].__init__).parameters
        for key, par in ours.items():
            if key not in ("self", "params"):
                assert par.default == theirs[key].default, (name, key)


BAD = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate"),
    ("SGD", dict(momentum=-0.5), "Invalid momentum value"),
    ("SGD", dict(weight_decay=-1.0), "Invalid weight_decay value"),
    ("SGD", dict(nesterov=True), "Nesterov momentum requires a momentum"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), "zero dampening"),
    ("Adagrad", dict(lr=-1e-3), "Invalid learning rate"),
    ("Adagrad", dict(lr_decay=-0.1), "Invalid lr_decay value"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "Invalid initial_accumulator_value"),
    ("Adagrad", dict(eps=-1e-10), "Invalid epsilon value"),
    ("RMSprop", dict(alpha=-0.5), "Invalid alpha value"),
    ("RMSprop", dict(eps=-1.0), "Invalid epsilon value"),
    ("RMSprop", dict(momentum=-0.1), "Invalid momentum value"),
    ("Adam", dict(betas=(1.0, 0.999)), r"beta parameter at index 0"),
    ("Adam", dict(betas=(-0.1, 0.999)), r"beta parameter at index 0"),
    ("Adam", dict(betas=(0.9, 1.0)), r"beta parameter at index 1"),
    ("Adam", dict(lr=-1.0), "Invalid learning rate"),
    ("AdamW", dict(weight_decay=-0.01), "Invalid weight_decay value"),
    ("AdamW", dict(eps=-1e-8), "Invalid epsilon value"),
]


@pytest.mark.parametrize("name,kwargs,match", BAD, ids=lambda v: str(v))
def test_bad_hyper_parameters_raise_like_torch(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TORCH[name]([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        OURS[name]([np.zeros(2)], **kwargs)


def test_bad_params_and_grads():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="floating-point ndarray"):
        optim.SGD([np.zeros(3, dtype=int)])
    with pytest.raises(TypeError, match="list of arrays"):
        optim.SGD(np.zeros(3))
    opt = optim.Adam([np.zeros(3), np.zeros((2, 2))])
    with pytest.raises(ValueError, match="one gradient per parameter"):
        opt.step([np.zeros(3)])
    with pytest.raises(ValueError, match=r"grads\[1\] has shape \(4,\)"):
        opt.step([np.zeros(3), np.zeros(4)])


def test_updates_in_place_and_does_not_touch_grads():
    p = np.ones(3)
    g = np.full(3, 2.0)
    optim.SGD([p], lr=0.1, momentum=0.9).step([g])
    np.testing.assert_allclose(p, 0.8)
    np.testing.assert_array_equal(g, 2.0)


def test_adagrad_effective_step_shrinks():
    p = np.zeros(1)
    opt = optim.Adagrad([p], lr=1.0)
    steps = []
    for _ in range(20):
        before = p.copy()
        opt.step([np.ones(1)])
        steps.append(abs(p - before)[0])
    np.testing.assert_allclose(steps, 1 / np.sqrt(np.arange(1, 21)), rtol=1e-9)


# ----------------------------------------------------------------------------- surfaces

@pytest.mark.parametrize("name", list(optim.SURFACES))
@settings(max_examples=25, deadline=None)
@given(x=st.floats(-2, 2), y=st.floats(-2, 2))
def test_surface_gradient_equals_autograd(name, x, y):
    s = optim.SURFACES[name]
    xy = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
    s.f(xy[0], xy[1]).backward()
    np.testing.assert_allclose(s.grad(x, y), xy.grad.numpy(), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("name", list(optim.SURFACES))
def test_surface_minimum(name):
    s = optim.get_surface(name)
    assert s(*s.minimum) == 0.0
    np.testing.assert_allclose(s.grad(*s.minimum), 0.0, atol=1e-12)
    xs = np.linspace(*s.xlim, 41)[:, None]
    ys = np.linspace(*s.ylim, 41)[None, :]
    assert (s(xs, ys) >= 0).all()


def test_unknown_surface():
    with pytest.raises(ValueError, match="surface='himmelblau' is not supported"):
        optim.run_trajectory(optim.SGD, None, "himmelblau", 3)


CASES = [("SGD", dict(lr=1e-3, momentum=0.9)), ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True)),
         ("Adagrad", dict(lr=0.5)), ("RMSprop", dict(lr=0.01, centered=True)),
         ("Adam", dict(lr=0.05)), ("AdamW", dict(lr=0.05, amsgrad=True))]


@pytest.mark.parametrize("surface", list(optim.SURFACES))
@pytest.mark.parametrize("name,kwargs", CASES, ids=lambda v: str(v))
def test_trajectory_equals_torch(surface, name, kwargs):
    # Gradients here come from two routes (closed form vs autograd) that differ in the last
    # bit; on a bouncing path (e.g. Nesterov with lr=2e-3 on Rosenbrock) that round-off
    # grows, so these cases keep to smooth paths.  Equal gradients: see compare() above.
    ours = optim.run_trajectory(OURS[name], None, surface, 150, **kwargs)
    ref = optim.run_trajectory_reference(TORCH[name], None, surface, 150, **kwargs)
    assert ours.shape == (151, 2)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-11)


def test_trajectory_start_and_divergence():
    path = optim.run_trajectory(optim.SGD, (0.5, 0.5), "quadratic", 30, lr=0.05)
    np.testing.assert_array_equal(path[0], [0.5, 0.5])
    assert abs(path[-1]).max() < 0.5
    bad = optim.run_trajectory(optim.SGD, None, "quadratic", 300, lr=1.0)  # |1 - 25 lr| > 1
    assert np.isnan(bad[-1]).all() and np.isfinite(bad[0]).all()
    with pytest.raises(ValueError, match="start must be a point"):
        optim.run_trajectory(optim.SGD, (1, 2, 3), "quadratic", 3)
    with pytest.raises(ValueError, match="steps must be >= 0"):
        optim.run_trajectory(optim.SGD, None, "quadratic", -1)

