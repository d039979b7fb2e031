"""RoI Pooling and RoI Align: equal to torchvision.ops, loop versions, edge cases, bad input."""
import numpy as np
import pytest
import torch
import torchvision.ops as ops
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import detection as det


def tv_pool(x, boxes, output_size, scale):
    return ops.roi_pool(torch.from_numpy(x), torch.from_numpy(boxes), output_size, scale).numpy()


def tv_align(x, boxes, output_size, scale, sampling_ratio=-1, aligned=False):
    return ops.roi_align(torch.from_numpy(x), torch.from_numpy(boxes), output_size, scale,
                         sampling_ratio, aligned).numpy()


@st.composite
def roi_configs(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    k = draw(st.integers(1, 4))
    scale = draw(st.sampled_from([1.0, 0.5, 0.25, 1 / 3, 2.0]))
    half = draw(st.booleans())                     # half-integer coordinates
    xy1 = rng.uniform(-4, max(h, w) / scale + 3, (k, 2))
    wh = rng.uniform(0, 2 + 1.5 * max(h, w) / scale, (k, 2))
    if half:
        xy1, wh = np.round(xy1 * 2) / 2, np.round(wh * 2) / 2
    boxes = np.concatenate([rng.integers(0, n, (k, 1)), xy1, xy1 + wh], axis=1)
    x = rng.standard_normal((n, c, h, w))
    out = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    sr = draw(st.sampled_from([-1, 1, 2, 3]))
    return x, boxes, out, scale, sr, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(cfg=roi_configs())
def test_roi_pool_equals_torchvision_exactly(cfg):
    x, boxes, out, scale, _, _ = cfg
    np.testing.assert_array_equal(det.roi_pool(x, boxes, out, scale), tv_pool(x, boxes, out, scale))


@settings(max_examples=60, deadline=None)
@given(cfg=roi_configs())
def test_roi_align_equals_torchvision(cfg):
    x, boxes, out, scale, sr, aligned = cfg
    np.testing.assert_allclose(det.roi_align(x, boxes, out, scale, sr, aligned),
                               tv_align(x, boxes, out, scale, sr, aligned), rtol=1e-9, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(cfg=roi_configs())
def test_loop_versions_equal_vectorised(cfg):
    x, boxes, out, scale, sr, aligned = cfg
    np.testing.assert_array_equal(det.roi_pool_naive(x, boxes, out, scale),
                                  det.roi_pool(x, boxes, out, scale))
    np.testing.assert_allclose(det.roi_align_naive(x, boxes, out, scale, sr, aligned),
                               det.roi_align(x, boxes, out, scale, sr, aligned), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_float32_matches_torchvision(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 4, 13, 11)).astype(np.float32)
    xy = rng.uniform(-10, 180, (6, 2))
    boxes = np.concatenate([rng.integers(0, 2, (6, 1)), xy, xy + rng.uniform(0, 120, (6, 2))],
                           1).astype(np.float32)
    np.testing.assert_array_equal(det.roi_pool(x, boxes, 3, 1 / 16), tv_pool(x, boxes, 3, 1 / 16))
    for sr, al in [(-1, False), (2, True)]:
        np.testing.assert_allclose(det.roi_align(x, boxes, (3, 2), 1 / 16, sr, al),
                                   tv_align(x, boxes, (3, 2), 1 / 16, sr, al), rtol=1e-5, atol=1e-5)


def test_half_integer_coordinates_round_away_from_zero():
    # 5 * 0.5 = 2.5 -> std::round gives 3 (NumPy's round would give 2)
    x = np.arange(2 * 8 * 8, dtype=np.float64).reshape(1, 2, 8, 8)
    boxes = np.array([[0, 5, 5, 9, 13], [0, 1, 3, 7, 7]], dtype=np.float64)
    hs, he, ws, we = det.roi_pool_bins(boxes, 2, 0.5, 8, 8)
    assert ws[0, 0] == 3 and hs[0, 0] == 3 and ws[1, 0] == 1 and hs[1, 0] == 2
    np.testing.assert_array_equal(det.roi_pool(x, boxes, 2, 0.5), tv_pool(x, boxes, 2, 0.5))
    for al in (False, True):
        np.testing.assert_allclose(det.roi_align(x, boxes, 2, 0.5, 2, al),
                                   tv_align(x, boxes, 2, 0.5, 2, al), rtol=1e-12)


def test_empty_bins_are_zero():
    # a box hanging off the right/bottom edge: some bins are clipped to nothing
    x = np.full((1, 1, 4, 4), -7.0)
    boxes = np.array([[0, 2, 2, 9, 9]], dtype=np.float64)
    ours = det.roi_pool(x, boxes, 4, 1.0)
    np.testing.assert_array_equal(ours, tv_pool(x, boxes, 4, 1.0))
    assert (ours == 0).sum() > 0 and (ours == -7).sum() > 0


def test_box_entirely_outside_the_map():
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5))
    boxes = np.array([[0, 40, 40, 60, 55], [0, -30, -30, -20, -25]], dtype=np.float64)
    for al in (False, True):
        np.testing.assert_allclose(det.roi_align(x, boxes, 3, 1.0, -1, al),
                                   tv_align(x, boxes, 3, 1.0, -1, al), atol=1e-12)
    np.testing.assert_array_equal(det.roi_pool(x, boxes, 3, 1.0), tv_pool(x, boxes, 3, 1.0))
    assert np.all(det.roi_align(x, boxes, 3) == 0)


def test_zero_size_box_aligned_has_no_samples():
    x = np.ones((1, 1, 5, 5))
    boxes = np.array([[0, 2, 2, 2, 2]], dtype=np.float64)
    np.testing.assert_array_equal(det.roi_align(x, boxes, 2, aligned=True),
                                  tv_align(x, boxes, 2, 1.0, -1, True))
    assert np.all(det.roi_align(x, boxes, 2, aligned=True) == 0)
    # legacy (aligned=False) forces the box to one cell, so it samples
    assert np.all(det.roi_align(x, boxes, 2, aligned=False) == 1)


def test_notes_worked_example():
    # 800x800 image, stride 32 -> 25x25 map; a 665-px box; 7x7 bins
    boxes = np.array([[0, 0, 0, 665, 665]], dtype=np.float64)
    hs, he, ws, we = det.roi_pool_bins(boxes, 7, 1 / 32, 25, 25)
    assert we.max() == 22                       # round(20.78) = 21, +1 -> 22 cells, not 20
    assert list(we[0] - ws[0]) == [4, 4, 4, 4, 4, 4, 4]   # bins of 22/7 = 3.14 -> floor/ceil
    pts = det.roi_align_sampling_points(boxes, 7, 1 / 32, 2)[0]
    assert pts["grid"] == (2, 2)
    assert pts["bin_size"][0] == pytest.approx(665 / 32 / 7)
    assert det.roi_align_sampling_points(boxes, 7, 1 / 32, -1)[0]["grid"] == (3, 3)


def test_bad_input_is_rejected():
    x = np.zeros((1, 1, 4, 4))
    good = np.array([[0, 0, 0, 2, 2]], dtype=np.float64)
    with pytest.raises(ValueError, match=r"boxes must have shape \(K, 5\)"):
        det.roi_align(x, good[:, 1:], 2)
    with pytest.raises(ValueError, match=r"boxes must have shape \(K, 5\)"):
        det.roi_pool(x, good[0], 2)
    with pytest.raises(ValueError, match="negative size"):
        det.roi_align(x, np.array([[0, 3, 0, 1, 2]], dtype=float), 2)
    with pytest.raises(ValueError, match=r"output_size\[0\] must be >= 1, got 0"):
        det.roi_pool(x, good, (0, 2))
    with pytest.raises(ValueError, match="output_size must be >= 1"):
        det.roi_align(x, good, -1)
    with pytest.raises(ValueError, match="sampling_ratio=0 is ambiguous"):
        det.roi_align(x, good, 2, sampling_ratio=0)
    with pytest.raises(ValueError, match="input must be a 4-D array"):
        det.roi_align(x[0], good, 2)
    with pytest.raises(ValueError, match="batch indices"):
        det.roi_pool(x, np.array([[1, 0, 0, 2, 2]], dtype=float), 2)
    with pytest.raises(ValueError, match="spatial_scale must be a positive"):
        det.roi_align(x, good, 2, spatial_scale=0)
    with pytest.raises(TypeError, match="input must be a float array"):
        det.roi_pool(x.astype(int), good, 2)
    # torchvision also refuses a (K, 4) tensor
    with pytest.raises(Exception):
        ops.roi_align(torch.from_numpy(x), torch.from_numpy(good[:, 1:]), 2)
