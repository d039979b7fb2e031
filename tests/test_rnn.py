"""dlnotes.rnn: the from-scratch Elman RNN equals nn.RNN; the denoising autoencoder."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes.rnn import RNN, DenoisingAutoencoder, corrupt, rnn, rnn_cell


def pair_of_rnns(seed, **kwargs):
    torch.manual_seed(seed)
    ref = torch.nn.RNN(**kwargs).double()
    ours = RNN(**kwargs).double()
    ours.load_state_dict(ref.state_dict())       # same names and shapes, strict
    return ref, ours


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), input_size=st.integers(1, 5), hidden_size=st.integers(1, 6),
       num_layers=st.integers(1, 3), seq_len=st.integers(1, 7), batch=st.integers(1, 4),
       nonlinearity=st.sampled_from(["tanh", "relu"]), bias=st.booleans(),
       batch_first=st.booleans(), with_h0=st.booleans())
def test_rnn_matches_torch(seed, input_size, hidden_size, num_layers, seq_len, batch,
                           nonlinearity, bias, batch_first, with_h0):
    kw = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
              nonlinearity=nonlinearity, bias=bias, batch_first=batch_first)
    ref, ours = pair_of_rnns(seed, **kw)
    g = torch.Generator().manual_seed(seed)
    shape = (batch, seq_len, input_size) if batch_first else (seq_len, batch, input_size)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    h0 = torch.randn(num_layers, batch, hidden_size, generator=g, dtype=torch.float64) if with_h0 else None
    out_ref, hn_ref = ref(x, h0)
    out, hn = ours(x, h0)
    torch.testing.assert_close(out, out_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(hn, hn_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradients_match_torch(seed):
    ref, ours = pair_of_rnns(seed, input_size=3, hidden_size=4, num_layers=2)
    x = torch.randn(5, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    ref(x)[0].sum().backward()
    ours(x)[0].sum().backward()
    for (name, p_ref), (_, p) in zip(ref.named_parameters(), ours.named_parameters()):
        torch.testing.assert_close(p.grad, p_ref.grad, rtol=1e-10, atol=1e-12, msg=name)


def test_parameter_names_and_count_match_torch():
    ref, ours = pair_of_rnns(0, input_size=3, hidden_size=4, num_layers=2)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    # layer 0: 4*3 + 4*4 + 4 + 4 = 36; layer 1: 4*4 + 4*4 + 4 + 4 = 40
    assert sum(p.numel() for p in ours.parameters()) == 36 + 40


def test_unbatched_input_matches_torch():
    ref, ours = pair_of_rnns(3, input_size=2, hidden_size=3, num_layers=2)
    x = torch.randn(6, 2, dtype=torch.float64)
    h0 = torch.randn(2, 3, dtype=torch.float64)
    for a, b in zip(ours(x, h0), ref(x, h0)):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_cell_matches_rnncell():
    torch.manual_seed(0)
    cell = torch.nn.RNNCell(3, 4).double()
    x, h = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)
    ours = rnn_cell(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    torch.testing.assert_close(ours, cell(x, h), rtol=1e-12, atol=1e-12)


def test_loop_equals_explicit_unrolling():
    ours = RNN(2, 3).double()
    x = torch.randn(4, 1, 2, dtype=torch.float64)
    h = torch.zeros(1, 3, dtype=torch.float64)
    w = ours.layer_weights()[0]
    for t in range(4):
        h = torch.tanh(x[t] @ w[0].T + w[2] + h @ w[1].T + w[3])
    torch.testing.assert_close(ours(x)[1][0], h)


def test_parameter_count_does_not_depend_on_length():
    ours = RNN(2, 3)
    n = sum(p.numel() for p in ours.parameters())
    for length in (1, 10, 100):
        out, _ = ours(torch.randn(length, 1, 2))
        assert out.shape == (length, 1, 3)
    assert n == 3 * 2 + 3 * 3 + 3 + 3


def test_init_range_is_torchs():
    ours = RNN(4, 25)
    bound = 1 / 5
    for p in ours.parameters():
        assert p.abs().max() <= bound


@pytest.mark.parametrize("x_shape, h_shape, match", [
    ((5, 2, 4), None, "input.size\\(-1\\) must be equal to input_size"),
    ((5, 2, 3, 1), None, "input must be 2-D"),
    ((5, 3), (1, 2, 4), "h0 must have shape \\(1, 4\\)"),
    ((5, 2, 3), (1, 3, 4), "h0 must have shape \\(1, 2, 4\\)"),
    ((5, 2, 3), (2, 2, 4), "h0 must have shape \\(1, 2, 4\\)"),
])
def test_bad_shapes_are_rejected_like_torch(x_shape, h_shape, match):
    ref, ours = pair_of_rnns(0, input_size=3, hidden_size=4)
    x = torch.randn(x_shape, dtype=torch.float64)
    h0 = None if h_shape is None else torch.randn(h_shape, dtype=torch.float64)
    with pytest.raises((RuntimeError, ValueError)):
        ref(x, h0)
    with pytest.raises(ValueError, match=match):
        ours(x, h0)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity='sigmoid'"):
        RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be >= 1"):
        RNN(2, 0)
    with pytest.raises(ValueError, match="nonlinearity='gelu'"):
        rnn_cell(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1),
                 nonlinearity="gelu")
    with pytest.raises(ValueError, match="one \\(weight_ih"):
        rnn(torch.zeros(2, 1, 1), None, [])


# ----------------------------------------------------------------- autoencoder
def test_mask_corruption_rate_and_determinism():
    x = torch.ones(200, 1, 8, 8, dtype=torch.float64)
    a = corrupt(x, 0.3, generator=torch.Generator().manual_seed(0))
    b = corrupt(x, 0.3, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(a, b)
    assert set(a.unique().tolist()) == {0.0, 1.0}
    assert abs((a == 0).double().mean().item() - 0.3) < 0.02
    assert torch.equal(corrupt(x, 0.0), x)
    assert corrupt(x, 1.0).abs().sum() == 0


def test_gaussian_corruption():
    x = torch.zeros(100_000, dtype=torch.float64)
    y = corrupt(x, 0.5, kind="gaussian", generator=torch.Generator().manual_seed(1))
    assert abs(y.std().item() - 0.5) < 0.01
    assert abs(y.mean().item()) < 0.01


@pytest.mark.parametrize("kwargs, match", [
    ({"p": 1.5}, "p must be in \\[0, 1\\]"),
    ({"p": -0.1, "kind": "gaussian"}, "p \\(the noise standard deviation\\) must be >= 0"),
    ({"kind": "salt"}, "kind='salt'"),
])
def test_corrupt_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        corrupt(torch.zeros(3), **kwargs)


def test_autoencoder_shapes_and_range():
    model = DenoisingAutoencoder(in_features=64, hidden=20, code=5)
    x = torch.rand(7, 1, 8, 8)
    code = model.encode(x)
    assert code.shape == (7, 5) and (code >= 0).all()          # a ReLU code: off is exactly 0
    y = model(x)
    assert y.shape == x.shape
    assert torch.equal(y, model.decode(code).view(x.shape))
    assert ((y >= 0) & (y <= 1)).all()
    assert sum(p.numel() for p in model.parameters()) == (64 * 20 + 20) + (20 * 5 + 5) + \
        (5 * 20 + 20) + (20 * 64 + 64)


def test_autoencoder_learns_to_denoise():
    from dlnotes.training import fit_autoencoder, seeded
    rng = np.random.default_rng(0)
    # 40 noisy copies of 4 fixed binary 4x4 patterns: easy to learn in a few epochs
    patterns = (rng.random((4, 1, 4, 4)) > 0.5).astype(np.float32)
    x = np.repeat(patterns, 40, axis=0)
    with seeded(0):
        model = DenoisingAutoencoder(in_features=16, hidden=32, code=4)
    hist = fit_autoencoder(model, x, noise=0.25, epochs=60, batch_size=32, lr=1e-2, device="cpu")
    assert hist["train_loss"][-1] < 0.5 * hist["train_loss"][0]
    noisy = corrupt(torch.from_numpy(patterns), 0.25, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        restored = model(noisy)
    err_noisy = (noisy - torch.from_numpy(patterns)).abs().mean().item()
    err_restored = (restored.round() - torch.from_numpy(patterns)).abs().mean().item()
    assert err_restored < err_noisy
