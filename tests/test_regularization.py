"""dlnotes.regularization: dropout like torch, the paper's variant, penalties, early stopping."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import regularization as reg


@settings(max_examples=40, deadline=None)
@given(p=st.floats(0.01, 0.99), seed=st.integers(0, 2**16),
       shape=st.lists(st.integers(1, 7), min_size=1, max_size=3))
def test_dropout_matches_torch_given_the_mask(p, seed, shape):
    # torch's mask cannot be reproduced from a NumPy seed, so compare what matters: kept
    # elements are x / (1 - p) exactly, dropped ones are 0 -- for torch's mask and ours.
    x = np.random.default_rng(seed).normal(size=shape)
    torch.manual_seed(seed)
    ref = F.dropout(torch.from_numpy(x), p=p, training=True).numpy()
    ours = reg.dropout(x, p=p, rng=np.random.default_rng(seed))
    for out in (ref, ours):
        kept = out != 0
        np.testing.assert_array_equal(out[kept], (x * (1 / (1 - p)))[kept])
        # the same formula as torch, bit for bit
    keep = ours != 0
    np.testing.assert_array_equal(ours, x * (keep / (1 - p)))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_match_torch(p):
    x = np.ones(200_000)
    ours = reg.dropout(x, p, rng=np.random.default_rng(0))
    torch.manual_seed(0)
    ref = F.dropout(torch.from_numpy(x), p).numpy()
    for out in (ours, ref):
        assert abs((out == 0).mean() - p) < 0.005            # drop probability is p
        assert abs(out.mean() - 1) < 0.02                     # expectation is preserved
    assert set(np.unique(ours)) == set(np.unique(ref))


def test_dropout_edge_cases_like_torch():
    x = np.arange(6.0).reshape(2, 3)
    t = torch.from_numpy(x)
    assert reg.dropout(x, 0.7, training=False) is x
    np.testing.assert_array_equal(reg.dropout(x, 0.0, rng=np.random.default_rng(0)), F.dropout(t, 0.0).numpy())
    np.testing.assert_array_equal(reg.dropout(x, 1.0, rng=np.random.default_rng(0)), F.dropout(t, 1.0).numpy())


def test_dropout_masks_each_element_independently():
    out = reg.dropout(np.ones((64, 100)), 0.5, rng=np.random.default_rng(1))
    counts = (out == 0).sum(axis=1)
    assert len(set(counts.tolist())) > 5                       # not exactly half every row
    assert not (out[0] == out[1]).all()                        # each example its own mask


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_dropout_bad_p_like_torch(p):
    # torch: ValueError for p outside [0, 1], RuntimeError for NaN; we always raise ValueError
    with pytest.raises((ValueError, RuntimeError), match="dropout probability has to be between 0 and 1"):
        F.dropout(torch.ones(3), p)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        reg.dropout(np.ones(3), p)
    with pytest.raises(ValueError, match="dropout probability"):
        reg.dropout_paper(np.ones(3), p)


def test_dropout_paper_vs_inverted_expectations():
    x = np.full(100_000, 2.0)
    p = 0.2
    train = reg.dropout_paper(x, p, rng=np.random.default_rng(0))
    assert abs(train.mean() - 2 * (1 - p)) < 0.02              # no rescaling in training
    np.testing.assert_allclose(reg.dropout_paper(x, p, training=False), 2 * (1 - p))
    # inverted dropout: expectation kept in training, identity at test
    assert abs(reg.dropout(x, p, rng=np.random.default_rng(0)).mean() - 2) < 0.02
    # the two networks differ only by the constant factor 1/(1-p) everywhere
    a = reg.dropout(x, p, rng=np.random.default_rng(5))
    b = reg.dropout_paper(x, p, rng=np.random.default_rng(5))
    np.testing.assert_allclose(a, b / (1 - p))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 1000), weight=st.floats(0, 3))
def test_penalties_and_their_gradients(seed, weight):
    r = np.random.default_rng(seed)
    params = [r.normal(size=(3, 4)), r.normal(size=5)]
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    np.testing.assert_allclose(reg.l1_penalty(params, weight), weight * sum(np.abs(p).sum() for p in params))
    np.testing.assert_allclose(reg.l2_penalty(params, weight), 0.5 * weight * sum((p ** 2).sum() for p in params))
    (reg.l1_penalty(tparams, weight) + reg.l2_penalty(tparams, weight)).backward()
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(t.grad.numpy(), weight * np.sign(p) + weight * p, rtol=1e-12, atol=1e-300)


def test_l2_penalty_equals_sgd_weight_decay():
    w0 = np.random.default_rng(0).normal(size=(4, 3))
    a = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(w0, requires_grad=True)
    opt_a = torch.optim.SGD([a], lr=0.1, weight_decay=0.3)
    opt_b = torch.optim.SGD([b], lr=0.1)
    for _ in range(5):
        for opt, w, extra in ((opt_a, a, 0), (opt_b, b, 1)):
            opt.zero_grad()
            loss = (w.sum() - 1) ** 2 + (reg.l2_penalty([w], 0.3) if extra else 0)
            loss.backward()
            opt.step()
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 1000), t=st.floats(0, 2))
def test_soft_threshold_equals_softshrink(seed, t):
    x = np.random.default_rng(seed).normal(size=(5, 7))
    np.testing.assert_allclose(reg.soft_threshold(x, t), F.softshrink(torch.from_numpy(x), t).numpy())
    assert (reg.soft_threshold(x, t)[np.abs(x) <= t] == 0).all()


def test_bad_weights():
    with pytest.raises(ValueError, match="weight must be >= 0"):
        reg.l1_penalty([np.ones(2)], -1)
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        reg.soft_threshold(np.ones(2), -0.1)


def test_early_stopping():
    es = reg.EarlyStopping(patience=2)
    losses = [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.6]
    stops = []
    for v in losses:
        stops.append(es.step(v))
        if stops[-1]:
            break
    assert stops == [False, False, False, False, False, True]  # 3 epochs without improvement
    assert es.best == 0.7 and es.best_epoch == 2
    es = reg.EarlyStopping(patience=0, mode="max", min_delta=0.05)
    assert [es.step(v) for v in (0.5, 0.54)] == [False, True]
    with pytest.raises(ValueError, match="mode='median'"):
        reg.EarlyStopping(mode="median")


def _toy():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 4, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return x[:150], y[:150], x[150:], y[150:]


def test_train_classifier_learns_and_is_deterministic():
    xt, yt, xv, yv = _toy()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 2)
        runs.append(reg.train_classifier(model, xt, yt, xv, yv, epochs=15, lr=0.1, batch_size=16, l1=1e-3))
    assert runs[0] == runs[1]
    assert runs[0]["train_loss"][-1] < runs[0]["train_loss"][0] and runs[0]["val_acc"][-1] > 0.9


def test_train_classifier_early_stopping_restores_best():
    xt, yt, xv, yv = _toy()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))
    hist = reg.train_classifier(model, xt, yt, xv, yv, epochs=200, lr=0.3, batch_size=8,
                                early_stopping=reg.EarlyStopping(patience=3))
    assert hist["stopped_epoch"] < 199 and hist["best_epoch"] <= hist["stopped_epoch"]
    with torch.no_grad():
        val = F.cross_entropy(model(xv), yv).item()
    assert val == pytest.approx(min(hist["val_loss"]), rel=1e-6)
    with pytest.raises(ValueError, match="optimizer='lbfgs'"):
        reg.train_classifier(model, xt, yt, xv, yv, optimizer="lbfgs")
    with pytest.raises(ValueError, match="lengths differ"):
        reg.train_classifier(model, xt, yt[:5], xv, yv)


def test_train_classifier_transform_sees_every_training_batch_only():
    """``transform`` is online augmentation: called once per training mini-batch, never on
    the evaluation passes; the identity transform changes nothing."""
    xt, yt, xv, yv = _toy()
    seen = []

    def spy(xb):
        seen.append(xb.shape[0])
        return xb

    runs = []
    for transform in (None, spy):
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 2).double()
        runs.append(reg.train_classifier(model, xt.double(), yt, xv.double(), yv, epochs=3, lr=0.1,
                                         batch_size=16, transform=transform))
    assert runs[0] == runs[1]
    assert sorted(seen) == sorted([16] * 9 * 3 + [6] * 3)      # 150 = 9 x 16 + 6, 3 epochs


def test_train_classifier_transform_changes_training_not_evaluation():
    xt, yt, xv, yv = _toy()
    flipped = []
    for transform in (None, lambda xb: -xb):              # a transform that destroys the signal
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 2)
        h = reg.train_classifier(model, xt, yt, xv, yv, epochs=15, lr=0.1, batch_size=16,
                                 transform=transform)
        flipped.append(h["val_acc"][-1])
    assert flipped[0] > 0.9 and flipped[1] < 0.1           # trained on -x, evaluated on x


def test_train_classifier_bad_transform():
    xt, yt, xv, yv = _toy()
    model = torch.nn.Linear(4, 2)
    with pytest.raises(ValueError, match="transform must be a callable"):
        reg.train_classifier(model, xt, yt, xv, yv, epochs=1, transform="flip")
    with pytest.raises(ValueError, match=r"transform changed the batch's shape from \(16, 4\)"):
        reg.train_classifier(model, xt, yt, xv, yv, epochs=1, batch_size=16, transform=lambda xb: xb[:, :2])
