"""The max-pooling player: its frames are torch's forward and autograd's backward."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes.widgets import pooling as wp

EXAMPLE = np.array([[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 0, 1, 2]])


@settings(max_examples=30, deadline=None)
@given(h=st.integers(2, 7), w=st.integers(2, 7), k=st.integers(1, 3), s=st.integers(1, 3),
       seed=st.integers(0, 2**16), ties=st.booleans())
def test_frames_end_at_torchs_forward_and_autograds_backward(h, w, k, s, seed, ties):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(h, w)).astype(float) if ties else rng.normal(size=(h, w))
    if k > min(h, w):
        with pytest.raises(ValueError, match="smaller than the pooling window"):
            wp.max_pool_steps(x, k, s)
        return
    xt = torch.tensor(x[None, None], requires_grad=True)
    y, idx = F.max_pool2d(xt, k, s, return_indices=True)
    g = rng.normal(size=tuple(y.shape[2:]))
    y.backward(torch.tensor(g[None, None]))
    steps = wp.max_pool_steps(x, k, s, g)
    n = y.numel()
    assert len(steps) == 2 * n and [st_["phase"] for st_ in steps] == ["forward"] * n + ["backward"] * n
    np.testing.assert_array_equal(steps[n - 1]["output"], y[0, 0].detach().numpy())
    np.testing.assert_allclose(steps[-1]["grad_input"], xt.grad[0, 0].numpy(), atol=1e-12)
    for f, step in enumerate(steps[:n]):      # argmax == torch's index (first max on ties)
        r, c = step["argmax"]
        assert r * w + c == idx.ravel()[f].item()
        assert np.isnan(step["output"]).sum() == n - f - 1
        assert not step["grad_input"].any()


def test_the_chapter_example_routes_the_gradient_not_the_maximum():
    steps = wp.max_pool_steps(EXAMPLE, 3, 1, np.array([[1.0, 2], [3, 4]]))
    dx = steps[-1]["grad_input"]
    assert dx[1, 2] == 1 + 2 + 4 and dx[3, 0] == 3 and dx.sum() == 10   # 8 in three windows, 9 in one
    assert [s["argmax"] for s in steps[:4]] == [(1, 2), (1, 2), (3, 0), (1, 2)]


def test_bad_grad_output():
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(2, 2\)"):
        wp.max_pool_steps(EXAMPLE, 3, 1, np.ones((3, 3)))
    with pytest.raises(ValueError, match="2-D"):
        wp.max_pool_steps(EXAMPLE[None], 3, 1)


def test_drawing_and_player():
    steps = wp.max_pool_steps(EXAMPLE, 3, 1)
    axes = wp.draw_max_pool_step(EXAMPLE, steps[6])     # backward, output (1, 0): the 9
    assert axes[3].get_title() == "dL/dx[3,0] += 1"
    assert axes[0].get_title() == "x: where the max was"
    plt.close("all")
    html = wp.max_pool_animation().data
    assert html.count("data:image/png;base64") == 8
    assert 'class="dlnotes-player"' in html
