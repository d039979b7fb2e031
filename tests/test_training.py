"""dlnotes.training: splits, a deterministic fit loop, deep nets, freezing."""
import copy

import numpy as np
import pytest
import torch
from torch import nn

from dlnotes.models.lenet import lenet5
from dlnotes.training import (accuracy, count_trainable, deep_net, evaluate, fit, freeze,
                              per_class_subset, seeded, split_digits)


# ----------------------------------------------------------------- data
@pytest.mark.parametrize("size", [8, 28])
def test_split_is_stratified_disjoint_and_complete(size):
    x_tr, y_tr, x_te, y_te = split_digits(size, test_fraction=0.25, rng=np.random.default_rng(0))
    assert x_tr.shape[1:] == x_te.shape[1:] == (1, size, size)
    assert x_tr.dtype == np.float32 and y_tr.dtype == np.int64
    assert len(x_tr) + len(x_te) == 1797
    # every image appears once: compare the rows as bytes
    rows = {r.tobytes() for r in np.concatenate([x_tr, x_te]).reshape(1797, -1)}
    assert len(rows) >= 1797 - 20           # (a few digits are pixel-identical in the data)
    counts = np.bincount(y_te, minlength=10) / np.bincount(np.concatenate([y_tr, y_te]))
    np.testing.assert_allclose(counts, 0.25, atol=0.01)


def test_split_is_deterministic_per_seed():
    a = split_digits(8, rng=np.random.default_rng(3))
    b = split_digits(8, rng=np.random.default_rng(3))
    c = split_digits(8, rng=np.random.default_rng(4))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])


def test_split_classes_are_relabelled():
    from dlnotes.data import load_digits
    images, labels = load_digits(8)
    x_tr, y_tr, x_te, y_te = split_digits(8, classes=(7, 2), rng=np.random.default_rng(0))
    assert set(y_tr) == set(y_te) == {0, 1}
    assert len(x_tr) + len(x_te) == np.isin(labels, [7, 2]).sum()
    sevens = images[labels == 7].reshape(-1, 64)
    first = x_tr[y_tr == 0][0].reshape(64)
    assert (np.abs(sevens - first).sum(1) == 0).any()       # label 0 means digit 7


@pytest.mark.parametrize("kwargs, match", [
    ({"test_fraction": 0.0}, "test_fraction must be in \\(0, 1\\)"),
    ({"test_fraction": 1.0}, "test_fraction must be in \\(0, 1\\)"),
    ({"classes": (1, 1)}, "classes must be distinct digits"),
    ({"classes": (10,)}, "classes must be distinct digits"),
    ({"classes": ()}, "classes must be distinct digits"),
])
def test_split_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        split_digits(8, rng=np.random.default_rng(0), **kwargs)


def test_split_needs_a_generator():
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        split_digits(8, rng=0)


def test_per_class_subset():
    y = np.array([0, 1, 1, 2, 2, 2, 0, 1])
    idx = per_class_subset(y, 2, np.random.default_rng(0))
    assert np.bincount(y[idx]).tolist() == [2, 2, 2]
    assert len(set(idx)) == 6 and np.all(np.diff(idx) > 0)
    with pytest.raises(ValueError, match="k=3 but class 0 has only 2"):
        per_class_subset(y, 3, np.random.default_rng(0))


# ----------------------------------------------------------------- loop
def test_accuracy():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    assert accuracy(logits, torch.tensor([0, 1, 1, 1])) == 0.75
    with pytest.raises(ValueError, match="logits must be \\(N, C\\)"):
        accuracy(logits, torch.tensor([0, 1]))


def _small_problem():
    x_tr, y_tr, x_te, y_te = split_digits(8, rng=np.random.default_rng(0))
    return x_tr[:300], y_tr[:300], x_te[:100], y_te[:100]


def _run(seed_model, seed_fit, **kwargs):
    x_tr, y_tr, x_te, y_te = _small_problem()
    with seeded(seed_model):
        model = deep_net(4, width=8)
    return fit(model, x_tr, y_tr, x_test=x_te, y_test=y_te, epochs=2, batch_size=32,
               seed=seed_fit, device="cpu", **kwargs), model


@pytest.mark.parametrize("kwargs", [{}, {"optimizer": "sgd", "lr": 0.05, "schedule": "cosine"}])
def test_fit_is_deterministic(kwargs):
    h1, m1 = _run(0, 0, **kwargs)
    h2, m2 = _run(0, 0, **kwargs)
    assert h1 == h2                                  # bit-identical losses and accuracies
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p, q)
    h3, _ = _run(0, 1, **kwargs)                     # another shuffle changes the losses
    assert h3["step_loss"] != h1["step_loss"]
    assert len(h1["step_loss"]) == 2 * 10            # ceil(300 / 32) steps per epoch


def _adam_loop(model, x, y, batches, epochs=2, lr=1e-3):
    """The textbook loop: Adam on cross-entropy over ``batches()`` (index batches) per epoch."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        model.train()
        for idx in batches():
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def test_fit_drop_last_skips_the_short_batch_like_a_dataloader():
    x_tr, y_tr, _, _ = _small_problem()                       # 300 samples, 32 per batch: 9 full
    with seeded(0):
        model = deep_net(4, width=4)
    reference = copy.deepcopy(model)
    hist = fit(model, x_tr, y_tr, epochs=2, batch_size=32, seed=3, drop_last=True, device="cpu")
    assert len(hist["step_loss"]) == 2 * 9
    gen = torch.Generator().manual_seed(3)
    x, y = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    # the batches, by torch's own sampler
    losses = _adam_loop(reference, x, y, lambda: torch.utils.data.BatchSampler(
        torch.randperm(len(x), generator=gen).tolist(), batch_size=32, drop_last=True))
    assert hist["step_loss"] == losses
    assert hist["train_loss"][-1] == pytest.approx(np.mean(losses[-9:]), rel=1e-12)
    with pytest.raises(ValueError, match="leaves no batch"):
        fit(model, x_tr, y_tr, batch_size=301, drop_last=True, device="cpu")


def test_seeded_restores_global_state():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with seeded(0):
        a = lenet5()
    after = torch.rand(3)
    with seeded(0):
        b = lenet5()
    torch.testing.assert_close(after, expected)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_fit_learns_and_history_agrees_with_evaluate():
    x_tr, y_tr, x_te, y_te = _small_problem()
    with seeded(0):
        model = deep_net(4, width=16)
    hist = fit(model, x_tr, y_tr, x_test=x_te, y_test=y_te, epochs=10, lr=1e-2, device="cpu")
    assert hist["train_loss"][-1] < 0.4 * hist["train_loss"][0]
    assert hist["test_acc"][-1] > 0.5                # ten classes: chance is 0.1
    loss, acc = evaluate(model, x_te, y_te)
    assert loss == pytest.approx(hist["test_loss"][-1]) and acc == hist["test_acc"][-1]


def test_evaluate_matches_a_direct_computation():
    x_tr, y_tr, _, _ = _small_problem()
    with seeded(1):
        model = lenet5(num_classes=10)
    x = torch.from_numpy(np.pad(x_tr[:70], ((0, 0), (0, 0), (10, 10), (10, 10))))
    y = torch.from_numpy(y_tr[:70])
    loss, acc = evaluate(model, x, y, batch_size=16)
    model.eval()
    with torch.no_grad():
        logits = model(x)
    assert loss == pytest.approx(nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
    assert acc == accuracy(logits, y)


@pytest.mark.parametrize("kwargs, err, match", [
    ({"epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
    ({"lr": 0.0}, ValueError, "lr must be > 0"),
    ({"optimizer": "rmsprop"}, ValueError, "optimizer='rmsprop'"),
    ({"schedule": "step"}, ValueError, "schedule='step'"),
    ({"x_test": np.zeros((2, 1, 8, 8))}, ValueError, "pass both x_test and y_test"),
    ({"epochs": 1.5}, TypeError, "epochs must be an int"),
])
def test_fit_bad_arguments(kwargs, err, match):
    x_tr, y_tr, _, _ = _small_problem()
    with pytest.raises(err, match=match):
        fit(deep_net(4, width=4), x_tr, y_tr, device="cpu", **kwargs)


def test_fit_mismatched_lengths_and_frozen_model():
    x_tr, y_tr, _, _ = _small_problem()
    with pytest.raises(ValueError, match="x has 300 samples but y has 299"):
        fit(deep_net(4, width=4), x_tr, y_tr[:-1], device="cpu")
    with pytest.raises(ValueError, match="no trainable parameters"):
        fit(freeze(deep_net(4, width=4)), x_tr, y_tr, device="cpu")


# ----------------------------------------------------------------- deep nets
@pytest.mark.parametrize("depth", [2, 4, 10, 20])
def test_plain_and_residual_have_equal_layers_and_parameters(depth):
    plain, res = deep_net(depth, width=8), deep_net(depth, width=8, residual=True)
    n_weighted = lambda m: sum(isinstance(l, (nn.Conv2d, nn.Linear)) for l in m.modules())
    assert n_weighted(plain) == n_weighted(res) == depth
    assert count_trainable(plain) == count_trainable(res)
    # by hand: stem 1*W*9 + BN 2W, (depth-2) convs W*W*9 + BN 2W, linear W*10 + 10
    w = 8
    assert count_trainable(plain) == (9 * w + 2 * w) + (depth - 2) * (9 * w * w + 2 * w) + (10 * w + 10)
    x = torch.rand(3, 1, 8, 8)
    assert plain(x).shape == res(x).shape == (3, 10)


def test_residual_block_is_identity_plus_branch():
    from dlnotes.training import ResidualBlock
    torch.manual_seed(0)
    block = ResidualBlock(4).eval()
    nn.init.zeros_(block.bn2.weight)                 # F(x) = 0  ->  H(x) = relu(x)
    x = torch.randn(2, 4, 5, 5)
    torch.testing.assert_close(block(x), torch.relu(x))


def test_deep_net_bad_depth():
    with pytest.raises(ValueError, match="depth - 2 must be even"):
        deep_net(5)
    with pytest.raises(ValueError, match="depth must be >= 2"):
        deep_net(1)


# ----------------------------------------------------------------- freezing
def test_freeze_and_fine_tune_only_the_head():
    x_tr, y_tr, _, _ = _small_problem()
    with seeded(0):
        model = lenet5(num_classes=10)
    x = np.pad(x_tr, ((0, 0), (0, 0), (10, 10), (10, 10)))
    freeze(model.features)
    assert count_trainable(model) == 61706 - 156 - 2416
    before = [p.detach().clone() for p in model.parameters()]
    fit(model, x, y_tr, epochs=1, device="cpu")
    after = list(model.parameters())
    n_feature_params = len(list(model.features.parameters()))
    for i, (b, a) in enumerate(zip(before, after)):
        assert torch.equal(a, b) == (i < n_feature_params)
    freeze(model.features, frozen=False)
    assert count_trainable(model) == 61706


def test_freeze_needs_a_module():
    with pytest.raises(TypeError, match="module must be an nn.Module"):
        freeze([torch.zeros(1)])


# ----------------------------------------------------------------- autoencoder loop
def _autoencoder_run():
    from dlnotes.rnn import DenoisingAutoencoder
    from dlnotes.training import fit_autoencoder
    x = split_digits(8, rng=np.random.default_rng(0))[0][:200]
    with seeded(0):
        model = DenoisingAutoencoder(in_features=64, hidden=16, code=4)
    return fit_autoencoder(model, x, noise=0.3, epochs=2, batch_size=32, device="cpu"), model


def test_fit_autoencoder_is_deterministic():
    (h1, m1), (h2, m2) = _autoencoder_run(), _autoencoder_run()
    assert h1 == h2
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p, q)


@pytest.mark.parametrize("kwargs, match", [
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"lr": -1.0}, "lr must be > 0"),
])
def test_fit_autoencoder_bad_arguments(kwargs, match):
    from dlnotes.rnn import DenoisingAutoencoder
    from dlnotes.training import fit_autoencoder
    with pytest.raises(ValueError, match=match):
        fit_autoencoder(DenoisingAutoencoder(64, 8, 2), np.zeros((4, 1, 8, 8)), device="cpu", **kwargs)


def test_fit_autoencoder_rejects_unscaled_images():
    from dlnotes.rnn import DenoisingAutoencoder
    from dlnotes.training import fit_autoencoder
    with pytest.raises(ValueError, match="x_train must lie in \\[0, 1\\]"):
        fit_autoencoder(DenoisingAutoencoder(64, 8, 2), np.full((4, 1, 8, 8), 16.0), device="cpu")


def test_sparse_autoencoder_loss_is_bce_plus_l1_of_the_code():
    """One full-batch step of fit_autoencoder(code_l1=λ) == one Adam step on BCE + λ·mean‖h‖₁."""
    from dlnotes.rnn import DenoisingAutoencoder
    from dlnotes.training import fit_autoencoder
    x = split_digits(8, rng=np.random.default_rng(0))[0][:50].astype(np.float64)   # (50, 1, 8, 8)
    with seeded(0):
        model = DenoisingAutoencoder(in_features=64, hidden=16, code=6).double()
    reference = copy.deepcopy(model)
    hist = fit_autoencoder(model, x, noise=0.0, epochs=1, batch_size=50, lr=1e-2, code_l1=0.05,
                           seed=0, device="cpu")
    xt = torch.from_numpy(x)
    opt = torch.optim.Adam(reference.parameters(), lr=1e-2)
    order = torch.randperm(50, generator=torch.Generator().manual_seed(0))
    clean = xt[order]
    code = reference.encode(clean)                                         # (50, 6), >= 0
    bce = nn.functional.binary_cross_entropy(reference(clean), clean)
    l1 = code.abs().sum(1).mean()
    opt.zero_grad()
    (bce + 0.05 * l1).backward()
    opt.step()
    assert hist["train_loss"] == [pytest.approx(bce.item(), rel=1e-12)]
    assert hist["code_l1"] == [pytest.approx(l1.item(), rel=1e-12)]
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-12)


def test_code_l1_makes_the_code_sparser():
    from dlnotes.rnn import DenoisingAutoencoder
    from dlnotes.training import fit_autoencoder
    x = split_digits(8, rng=np.random.default_rng(0))[0][:300]
    codes = {}
    for lam in (0.0, 0.02):
        with seeded(0):
            model = DenoisingAutoencoder(in_features=64, hidden=32, code=16)
        h = fit_autoencoder(model, x, noise=0.0, epochs=15, batch_size=32, lr=3e-3, code_l1=lam,
                            device="cpu")
        with torch.no_grad():
            codes[lam] = model.encode(torch.from_numpy(x))
        assert len(h["code_l1"]) == 15                                 # recorded every epoch
    assert (codes[0.02] > 0).float().mean() < 0.5 * (codes[0.0] > 0).float().mean()
    assert codes[0.02].abs().sum(1).mean() < 0.2 * codes[0.0].abs().sum(1).mean()


def test_code_l1_bad_arguments():
    from dlnotes.rnn import DenoisingAutoencoder
    from dlnotes.training import fit_autoencoder
    x = np.zeros((4, 1, 8, 8))
    with pytest.raises(ValueError, match="code_l1 must be >= 0"):
        fit_autoencoder(DenoisingAutoencoder(64, 8, 2), x, code_l1=-0.1, device="cpu")
    plain = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.Sigmoid(), nn.Unflatten(1, (1, 8, 8)))
    with pytest.raises(ValueError, match="needs the model's code"):
        fit_autoencoder(plain, x, code_l1=0.1, device="cpu")
    h = fit_autoencoder(plain, x, epochs=1, device="cpu")              # no code: no code_l1 record
    assert set(h) == {"train_loss"}


# ----------------------------------------------------------------- dtype
def test_fit_trains_a_float64_model_in_float64_and_equals_a_plain_loop():
    """fit == the textbook loop (same permutation, Adam, cross-entropy), bit for bit, in float64."""
    x_tr, y_tr, _, _ = _small_problem()                       # float32 arrays
    with seeded(0):
        model = deep_net(4, width=8).double()
    reference = copy.deepcopy(model)
    hist = fit(model, x_tr, y_tr, epochs=2, batch_size=64, lr=1e-3, seed=5, device="cpu")
    assert all(p.dtype == torch.float64 for p in model.parameters())

    x = torch.as_tensor(x_tr, dtype=torch.float64)            # (300, 1, 8, 8)
    y = torch.as_tensor(y_tr)
    gen = torch.Generator().manual_seed(5)
    losses = _adam_loop(reference, x, y, lambda: torch.randperm(len(x), generator=gen).split(64))
    assert hist["step_loss"] == losses
    for p, q in zip(model.parameters(), reference.parameters()):
        assert torch.equal(p, q)


def test_fit_and_evaluate_cast_inputs_to_the_model_dtype():
    x_tr, y_tr, x_te, y_te = _small_problem()
    for dtype in (torch.float32, torch.float64):
        with seeded(0):
            model = deep_net(4, width=4).to(dtype)
        fit(model, x_tr.astype(np.float64), y_tr, epochs=1, device="cpu")   # float64 input too
        assert next(model.parameters()).dtype == dtype
        loss, _ = evaluate(model, x_te, y_te)
        model.eval()
        with torch.no_grad():
            direct = nn.functional.cross_entropy(model(torch.as_tensor(x_te, dtype=dtype)),
                                                 torch.as_tensor(y_te)).item()
        assert loss == pytest.approx(direct, rel=1e-12 if dtype == torch.float64 else 1e-5)
