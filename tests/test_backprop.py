"""dlnotes.backprop: hand-written gradients equal autograd; gradient-norm utilities."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import backprop as bp
from dlnotes.conv import conv2d

T = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)  # noqa: E731


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 5), d_in=st.integers(1, 6), d_out=st.integers(1, 6))
def test_linear_backward_matches_autograd(seed, n, d_in, d_out):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((n, d_in)), rng.standard_normal((d_out, d_in)), rng.standard_normal(d_out)
    g = rng.standard_normal((n, d_out))
    tx, tw, tb = T(x), T(w), T(b)
    y = F.linear(tx, tw, tb)
    # atol: an output near 0 is a sum that cancels; its rounding error is relative to the terms
    np.testing.assert_allclose(bp.linear_forward(x, w, b), y.detach().numpy(), rtol=1e-12, atol=1e-13)
    y.backward(torch.from_numpy(g))
    for ours, ref in zip(bp.linear_backward(g, x, w), (tx.grad, tw.grad, tb.grad)):
        np.testing.assert_allclose(ours, ref.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
       n=st.integers(1, 5))
def test_mlp_gradients_match_autograd(activation, seed, sizes, n):
    rng = np.random.default_rng(seed)
    weights, biases = bp.mlp_init(sizes, rng)
    biases = [rng.standard_normal(b.shape) for b in biases]
    x = rng.standard_normal((n, sizes[0]))
    target = rng.integers(0, sizes[-1], n)
    loss, gw, gb = bp.mlp_loss_and_grads(x, target, weights, biases, activation)

    tw, tb = [T(w) for w in weights], [T(b) for b in biases]
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu,
           "leaky_relu": F.leaky_relu, "elu": F.elu, "gelu": F.gelu}[activation]
    h = torch.from_numpy(x)
    for i, (w, b) in enumerate(zip(tw, tb)):
        h = F.linear(h, w, b)
        if i < len(tw) - 1:
            h = act(h)
    ref = F.cross_entropy(h, torch.from_numpy(target))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    for ours, t in zip(gw + gb, tw + tb):
        np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-9, atol=1e-13)


def test_mlp_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    weights, biases = bp.mlp_init([4, 5, 3], rng, init="xavier")
    x, target = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    _, gw, _ = bp.mlp_loss_and_grads(x, target, weights, biases, "tanh")
    num = bp.numerical_gradient(
        lambda w0: bp.mlp_loss_and_grads(x, target, [w0, weights[1]], biases, "tanh")[0], weights[0])
    np.testing.assert_allclose(gw[0], num, rtol=1e-6, atol=1e-9)


@st.composite
def conv_configs(draw):
    seed = draw(st.integers(0, 2**16))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 8))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 8))
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, c_in, h, w)), rng.standard_normal((c_out, c_in, kh, kw)),
            rng.standard_normal(c_out), dict(stride=stride, padding=padding, dilation=dilation))


@settings(max_examples=60, deadline=None)
@given(cfg=conv_configs())
def test_conv2d_backward_matches_autograd(cfg):
    x, w, b, kw = cfg
    tx, tw, tb = T(x), T(w), T(b)
    y = F.conv2d(tx, tw, tb, **kw)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(torch.from_numpy(g))
    gx, gw, gb = bp.conv2d_backward(g, x, w, **kw)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("conf", [(1, 0, 1), (2, 1, 1), ((2, 1), (0, 2), (2, 1))])
def test_conv2d_by_hand_passes_gradcheck(conf):
    rng = np.random.default_rng(7)
    x, w, b = T(rng.standard_normal((2, 2, 6, 5))), T(rng.standard_normal((3, 2, 3, 2))), T(rng.standard_normal(3))
    assert torch.autograd.gradcheck(lambda *a: bp.Conv2dByHand.apply(*a, *conf), (x, w, b))
    np.testing.assert_allclose(bp.Conv2dByHand.apply(x, w, b, *conf).detach().numpy(),
                               F.conv2d(x, w, b, *conf).detach().numpy(), rtol=1e-12)


def test_conv2d_backward_rejects_wrong_grad_shape():
    x, w = np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"grad_out has shape \(1, 3, 5, 5\), but the convolution's output is \(1, 3, 3, 3\)"):
        bp.conv2d_backward(np.zeros((1, 3, 5, 5)), x, w)
    assert conv2d(x, w).shape == (1, 3, 3, 3)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), max_norm=st.sampled_from([1e-3, 0.5, 1.0, 10.0, 1e3]))
def test_clip_grad_norm_matches_torch(seed, max_norm):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s) * 3 for s in [(3, 4), (4,), (2, 2, 2)]]
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.from_numpy(g.copy())
    ref_total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    clipped, total = bp.clip_grad_norm(grads, max_norm)
    assert total == pytest.approx(ref_total.item(), rel=1e-12)
    for c, p in zip(clipped, params):
        np.testing.assert_allclose(c, p.grad.numpy(), rtol=1e-12)


def _digits_batch(n=128):
    from dlnotes.data import load_digits
    x, y = load_digits()
    x = torch.from_numpy(x.reshape(len(x), -1)[:n].astype(np.float64))
    return (x - x.mean()) / x.std(), torch.from_numpy(y[:n])


def test_layer_grad_norms_are_the_weight_gradient_norms():
    x, y = _digits_batch(32)
    model = bp.DeepMLP(4, 8, 64, 10, "tanh", "xavier", generator=torch.Generator().manual_seed(0))
    norms = bp.layer_grad_norms(model, x, y)
    assert norms.shape == (4,)
    np.testing.assert_allclose(norms[2], model.hidden[2].weight.grad.norm().item())


def test_sigmoid_gradients_vanish_with_depth_relu_kaiming_do_not():
    x, y = _digits_batch()
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    sig = bp.layer_grad_norms(bp.DeepMLP(20, 64, 64, 10, "sigmoid", "xavier", generator=g()), x, y)
    relu = bp.layer_grad_norms(bp.DeepMLP(20, 64, 64, 10, "relu", "kaiming", generator=g()), x, y)
    bn = bp.layer_grad_norms(bp.DeepMLP(20, 64, 64, 10, "sigmoid", "xavier", batchnorm=True,
                                        generator=g()), x, y)
    assert sig[0] / sig[-1] < 1e-8          # ten decades lost over 20 sigmoid layers
    assert 0.1 < relu[0] / relu[-1] < 10    # flat
    assert 0.1 < bn[0] / bn[-1] < 10        # batch norm restores the flow


def test_deep_mlp_is_reproducible_and_validates():
    a = bp.DeepMLP(3, 5, 4, 2, generator=torch.Generator().manual_seed(3))
    b = bp.DeepMLP(3, 5, 4, 2, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.hidden[1].weight, b.hidden[1].weight)
    with pytest.raises(ValueError, match=r"init='he' is not supported"):
        bp.DeepMLP(3, 5, 4, 2, init="he")
    with pytest.raises(ValueError, match=r"activation='swish' is not supported"):
        bp.DeepMLP(3, 5, 4, 2, activation="swish")
    with pytest.raises(ValueError, match=r"depth must be >= 1"):
        bp.DeepMLP(0, 5, 4, 2)


def test_resnet_order_and_zero_init_residual():
    x, y = _digits_batch(16)
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    post = bp.DeepMLP(3, 8, 64, 10, "relu", "kaiming", batchnorm=True, residual=True,
                      act_after_add=True, generator=g())
    h = F.relu(post.inp(x))
    for lin, norm in zip(post.hidden, post.norms):
        h = F.relu(h + norm(lin(h)))                  # ReLU after the addition, as ResNet
    torch.testing.assert_close(post(x), post.out(h), rtol=1e-12, atol=1e-12)
    pre = bp.DeepMLP(3, 8, 64, 10, "relu", "kaiming", batchnorm=True, residual=True, generator=g())
    h = F.relu(pre.inp(x))
    for lin, norm in zip(pre.hidden, pre.norms):
        h = h + F.relu(norm(lin(h)))                  # the branch ends in the ReLU
    torch.testing.assert_close(pre(x), pre.out(h), rtol=1e-12, atol=1e-12)
    zero = bp.DeepMLP(5, 8, 64, 10, "relu", "kaiming", batchnorm=True, residual=True,
                      act_after_add=True, zero_init_residual=True, generator=g())
    # zero gamma: relu(h + 0) = h for h >= 0, so every block starts as the identity
    torch.testing.assert_close(zero(x), zero.out(F.relu(zero.inp(x))), rtol=1e-12, atol=1e-12)
    assert all(float(n.weight.detach().abs().max()) == 0.0 for n in zero.norms)
    norms = bp.layer_grad_norms(zero, x, y)
    assert np.all(norms == 0.0)                       # W gets no gradient while gamma = 0 ...
    assert all(float(n.weight.grad.abs().max()) > 0 for n in zero.norms)   # ... gamma does
    with pytest.raises(ValueError, match="act_after_add=True needs residual=True"):
        bp.DeepMLP(3, 8, 64, 10, act_after_add=True)
    for kw in (dict(residual=True), dict(residual=True, batchnorm=True),
               dict(batchnorm=True, zero_init_residual=True)):
        with pytest.raises(ValueError, match="needs residual=True, batchnorm=True and act_after_add=True"):
            bp.DeepMLP(3, 8, 64, 10, **{"zero_init_residual": True, **kw})


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3, 0.1])
@pytest.mark.parametrize("max_norm", [None, 0.5])
def test_train_steps_equals_torch_sgd(weight_decay, max_norm):
    x, y = _digits_batch(32)
    make = lambda: bp.DeepMLP(3, 8, 64, 10, "tanh", "xavier", batchnorm=True,  # noqa: E731
                              generator=torch.Generator().manual_seed(1))
    ours = make()
    losses = bp.train_steps(ours, x, y, steps=5, lr=0.2, max_norm=max_norm, weight_decay=weight_decay)
    ref = make()
    opt = torch.optim.SGD(ref.parameters(), lr=0.2, weight_decay=weight_decay)
    ref.train()
    ref_losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = F.cross_entropy(ref(x), y)
        ref_losses.append(loss.item())
        loss.backward()
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm)
        opt.step()
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-12)
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match=r"weight_decay must be >= 0, got -0.1"):
        bp.train_steps(make(), x, y, weight_decay=-0.1)


def test_train_steps_and_clipping():
    x, y = _digits_batch(64)
    model = bp.DeepMLP(3, 16, 64, 10, "relu", "kaiming", generator=torch.Generator().manual_seed(0))
    losses = bp.train_steps(model, x, y, steps=30, lr=0.1, max_norm=1.0)
    assert losses.shape == (30,) and losses[-1] < losses[0]
    with pytest.raises(ValueError, match=r"lr must be > 0"):
        bp.train_steps(model, x, y, lr=-0.1)
    with pytest.raises(ValueError, match=r"max_norm must be > 0"):
        bp.clip_grad_norm([np.ones(3)], 0.0)


def test_bad_mlp_arguments():
    with pytest.raises(ValueError, match=r"activation='softmax' is not supported"):
        bp.mlp_forward(np.zeros((1, 2)), [np.zeros((2, 2))], [np.zeros(2)], "softmax")
    with pytest.raises(ValueError, match=r"sizes needs at least"):
        bp.mlp_init([3], np.random.default_rng(0))
