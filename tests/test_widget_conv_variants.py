"""Where the variant kernels read: the player's logic against torch's gradients."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import conv
from dlnotes.widgets import conv_variants as cv


def support(fn, shape, i, j):
    """Input positions whose value reaches output (i, j) (ones kernel: no cancellation)."""
    x = torch.ones(1, 1, *shape, dtype=torch.float64, requires_grad=True)
    fn(x)[0, 0, i, j].backward()
    return sorted(map(tuple, np.argwhere(x.grad[0, 0].numpy() != 0).tolist()))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 3),
       data=st.data())
def test_transposed_reads_are_the_inputs_that_reach_the_output(n, k, s, p, data):
    if p > k - 1:
        with pytest.raises(ValueError, match="zero-inserted form would crop"):
            cv.transposed_reads(0, 0, n, k, s, p)
        return
    out = conv.conv_transpose_output_size(n, k, s, p)
    if out < 1:
        return
    i, j = data.draw(st.integers(0, out - 1)), data.draw(st.integers(0, out - 1))
    w = torch.ones(1, 1, k, k, dtype=torch.float64)
    ref = support(lambda x: F.conv_transpose2d(x, w, stride=s, padding=p), (n, n), i, j)
    t = cv.transposed_reads(i, j, n, k, s, p)
    assert t["sources"] == ref
    assert t["size"] - k + 1 == out                     # a stride-1 conv over it gives the output


def test_transposed_k3_s2_reads_one_two_or_four_inputs():
    counts = {(i, j): len(cv.transposed_reads(i, j, 3, 3, 2, 1)["sources"])
              for i in range(5) for j in range(5)}
    assert counts[(0, 0)] == 1 and counts[(0, 1)] == 2 and counts[(1, 1)] == 4
    assert {counts[(f // 5, f % 5)] for f in range(0, 25, 3)} == {1, 2, 4}   # the player's frames
    with pytest.raises(ValueError, match="outside the 5x5 output"):
        cv.transposed_reads(5, 0, 3, 3, 2, 1)


@pytest.mark.parametrize("k,d,s,p", [(3, 2, 1, 0), (3, 1, 2, 1), (2, 3, 1, 2)])
def test_dilated_reads_are_the_gradient_support(k, d, s, p):
    w = torch.ones(1, 1, k, k, dtype=torch.float64)
    n = 9
    out = conv.conv_output_size(n, k, s, p, d)
    for i, j in [(0, 0), (out - 1, out // 2)]:
        rows, cols = cv.dilated_reads(i, j, k, d, s, p)
        inside = (rows >= 0) & (rows < n) & (cols >= 0) & (cols < n)
        ours = sorted(zip(rows[inside].tolist(), cols[inside].tolist()))
        assert ours == support(lambda x: F.conv2d(x, w, stride=s, padding=p, dilation=d), (n, n), i, j)


def test_deformable_reads_are_the_grid_plus_offsets():
    off = cv.smooth_offsets(4)
    ys, xs = cv.deformable_reads(2, 3, off)
    ry, rx = cv.dilated_reads(2, 3, 3, 1)
    np.testing.assert_allclose(ys - ry, off[:, 0])
    np.testing.assert_allclose(xs - rx, off[:, 1])
    with pytest.raises(ValueError, match=r"offsets must have shape \(9, 2\)"):
        cv.deformable_reads(0, 0, np.zeros((9,)))


def test_drawing_titles_and_player():
    fig, axes = plt.subplots(2, 3)
    cv.draw_kernel_reads(6, axes)
    assert axes[1][1].get_title() == "output (1, 1) ← 4 inputs"
    cv.draw_kernel_reads(0, axes)
    assert axes[1][1].get_title() == "output (0, 0) ← 1 input"
    plt.close(fig)
    html = cv.kernel_reads_animation(frames=[0, 1]).data
    assert html.count("data:image/png;base64") == 2
