"""HOG: equal to skimage.feature.hog; the OpenCV-style variant; drawing; bad input."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from skimage.feature import hog as sk_hog

from dlnotes import hog as H
from dlnotes.data import load_image


@st.composite
def hog_configs(draw):
    c = (draw(st.integers(2, 9)), draw(st.integers(2, 9)))
    b = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    shape = (c[0] * b[0] + draw(st.integers(0, 12)), c[1] * b[1] + draw(st.integers(0, 12)))
    kwargs = dict(orientations=draw(st.integers(1, 13)), pixels_per_cell=c, cells_per_block=b,
                  block_norm=draw(st.sampled_from(H.BLOCK_NORMS)),
                  transform_sqrt=draw(st.booleans()), feature_vector=draw(st.booleans()))
    return np.random.default_rng(draw(st.integers(0, 2**31 - 1))).random(shape), kwargs


@settings(max_examples=60, deadline=None)
@given(cfg=hog_configs())
def test_hog_equals_skimage(cfg):
    image, kwargs = cfg
    ours = H.hog(image, **kwargs)
    ref = sk_hog(image, **kwargs)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("norm", H.BLOCK_NORMS)
@pytest.mark.parametrize("name", ["camera", "coins"])
def test_hog_equals_skimage_on_photos(norm, name):
    image = load_image(name, gray=True, size=(96, 80))
    np.testing.assert_allclose(H.hog(image, block_norm=norm), sk_hog(image, block_norm=norm),
                               rtol=1e-5, atol=1e-7)


def test_edges_land_in_the_expected_bin():
    # a vertical edge: horizontal gradient (0°) -> bin 0; a horizontal edge -> 90° -> bin 4 of 9
    img = np.zeros((16, 16))
    img[:, 8:] = 1
    hist = H.cell_histograms(*H.gradients(img), 9, (8, 8))
    assert hist[..., 0].sum() > 0 and hist[..., 1:].sum() == 0
    hist = H.cell_histograms(*H.gradients(img.T), 9, (8, 8))
    assert hist[..., 4].sum() > 0 and np.delete(hist, 4, axis=-1).sum() == 0


def test_image_smaller_than_a_block_is_rejected():
    with pytest.raises(ValueError, match="needs at least 24 rows and 24 cols"):
        H.hog(np.zeros((23, 40)))
    with pytest.raises(ValueError, match="at least: 24 rows and 24 cols"):   # skimage too
        sk_hog(np.zeros((23, 40)))
    with pytest.raises(ValueError, match="needs at least 10 rows and 4 cols"):
        H.hog(np.zeros((9, 9)), pixels_per_cell=(5, 2), cells_per_block=2)


def test_other_bad_input_is_rejected():
    with pytest.raises(ValueError, match="image must be a 2-D array"):
        H.hog(np.zeros((32, 32, 3)))
    with pytest.raises(ValueError, match="block_norm='L3' is not supported"):
        H.hog(np.zeros((32, 32)), block_norm="L3")
    with pytest.raises(ValueError, match="non-negative image"):
        H.hog(-np.ones((32, 32)), transform_sqrt=True)
    with pytest.raises(ValueError, match="orientations must be >= 1"):
        H.hog(np.zeros((32, 32)), orientations=0)


def test_skimage_to_opencv_order_is_a_permutation():
    blocks = H.hog(np.random.default_rng(0).random((40, 56)), 9, 8, 2, feature_vector=False)
    reordered = H.skimage_to_opencv_order(blocks)
    assert sorted(reordered) == sorted(blocks.ravel())
    # first block of OpenCV = block (0, 0); its 2nd cell is the one *below* (column-major)
    np.testing.assert_array_equal(reordered[9:18], blocks[0, 0, 1, 0])
    # OpenCV's 2nd block is the one below the first (blocks go column by column)
    np.testing.assert_array_equal(reordered[36:45], blocks[1, 0, 0, 0])


def test_opencv_style_hog_properties():
    img = load_image("camera", gray=True, size=64)
    d = H.hog_opencv_style(img)
    assert d.shape == (7 * 7 * 2 * 2 * 9,)
    blocks = d.reshape(-1, 36)
    assert np.all(blocks <= 1) and np.all(blocks >= 0)
    assert np.all(np.linalg.norm(blocks, axis=1) <= 1)
    # trilinear voting: a single pure-orientation edge votes into two neighbouring bins
    edge = np.zeros((16, 16))
    edge[:, 8:] = 1
    votes = H.hog_opencv_style(edge, gamma=False).reshape(-1, 9)
    assert (votes[:, 0] > 0).any() and (votes[:, 8] > 0).any()   # 0° sits between bins 8 and 0
    votes = H.hog_opencv_style(edge, gamma=False, interpolate=False).reshape(-1, 9)
    assert (votes[:, 0] > 0).any() and not (votes[:, 1:] > 0).any()


@pytest.mark.parametrize("name", ["camera", "astronaut"])
def test_opencv_style_without_interpolation_is_skimage_up_to_normalisation(name):
    # switch off what cv2 cannot (trilinear voting) plus gamma and the window: what is left
    # is OpenCV's L2-Hys constants (+0.1·36 and +1e-3 instead of eps=1e-5) and its 0.01° atan
    q = np.round(load_image(name, gray=True, size=(128, 96)) * 255) / 255
    sk = H.skimage_to_opencv_order(H.hog(q, 9, 8, 2, "L2-Hys", feature_vector=False))
    cv = H.hog_opencv_style(q, gamma=False, win_sigma=1e6, interpolate=False)
    assert cv @ sk / (np.linalg.norm(cv) * np.linalg.norm(sk)) > 0.9999
    with_votes = H.hog_opencv_style(q, gamma=False, win_sigma=1e6)
    assert with_votes @ sk / (np.linalg.norm(with_votes) * np.linalg.norm(sk)) < 0.99


def test_fast_atan2_is_within_a_hundredth_of_a_degree():
    y, x = np.meshgrid(np.arange(-40.0, 41), np.arange(-40.0, 41))
    ours = H._fast_atan2_deg(y, x).astype(np.float64)
    exact = np.rad2deg(np.arctan2(y, x)) % 360
    err = np.abs((ours - exact + 180) % 360 - 180)
    assert 0.005 < err.max() < 0.011        # OpenCV's polynomial is not exact, but close


def test_draw_hog_draws_one_segment_per_bin():
    hist = H.cell_histograms(*H.gradients(load_image("camera", gray=True, size=32)), 9, (8, 8))
    ax = H.draw_hog(hist, (8, 8), linewidth=2.5)
    segments = ax.collections[0].get_segments()
    assert len(segments) == 4 * 4 * 9
    assert ax.collections[0].get_linewidths()[0] == 2.5
    # the longest segment spans one cell (scale=1) and lies along the edge, not the gradient
    lengths = [np.hypot(*(b - a)) for a, b in segments]
    assert max(lengths) == pytest.approx(8)
    plt.close("all")


def test_gradients_zero_only_the_normal_component_on_the_border():
    img = np.random.default_rng(0).random((6, 7))
    g_row, g_col = H.gradients(img)
    assert np.all(g_row[[0, -1]] == 0) and np.all(g_col[:, [0, -1]] == 0)
    np.testing.assert_array_equal(g_col[0, 1:-1], img[0, 2:] - img[0, :-2])   # top row: g_x kept
    np.testing.assert_array_equal(g_row[1:-1, 0], img[2:, 0] - img[:-2, 0])   # left column: g_y kept
    # scikit-image's own gradient (private helper of skimage.feature.hog) is the same
    from skimage.feature._hog import _hog_channel_gradient
    sk_row, sk_col = _hog_channel_gradient(img)
    np.testing.assert_array_equal(g_row, sk_row)
    np.testing.assert_array_equal(g_col, sk_col)


def test_angles_run_clockwise_on_screen():
    # rows grow downwards: a gradient pointing up-right on screen (g_row < 0, g_col > 0)
    # has atan2(g_row, g_col) = -45°, i.e. 135° unsigned -> bin 6 (120-140°) of 9
    img = np.add.outer(-np.arange(16.0), np.arange(16.0))     # brighter up and to the right
    g_row, g_col = H.gradients(img)
    assert g_row[8, 8] < 0 and g_col[8, 8] > 0
    hist = H.cell_histograms(g_row, g_col, 9, (8, 8))
    assert np.argmax(hist[1, 1]) == 6


try:
    import cv2
except ImportError:                         # the book extra requires opencv-contrib-python-headless
    cv2 = None
needs_hogdescriptor = pytest.mark.skipif(
    not hasattr(cv2, "HOGDescriptor"),
    reason="cv2.HOGDescriptor is missing: OpenCV is not installed, or is a plain 5.x wheel "
           "(OpenCV 5 moved it to the contrib module xobjdetect); install "
           "opencv-contrib-python-headless>=4.8")

# OpenCV computes in float32 (angles, magnitudes, Gaussian weights, sums over 16×16 pixels):
# measured max |difference| 1.7e-6 on photos (values <= ~0.3), so 5e-6 is a few float32 ulps
# of headroom.  With np.arctan2 instead of OpenCV's fastAtan2 the gap is ~1e-4 (see below).
ATOL_FLOAT32 = 5e-6


def _u8(name, size):
    return np.round(load_image(name, gray=True, size=size) * 255).astype(np.uint8)


@needs_hogdescriptor
@pytest.mark.parametrize("name, size", [("camera", (64, 48)), ("astronaut", (128, 64)),
                                        ("coins", (96, 80))])
@pytest.mark.parametrize("gamma", [True, False])
@pytest.mark.parametrize("sigma", [-1.0, 1.5, 1e6])
def test_opencv_style_equals_cv2_hogdescriptor(name, size, gamma, sigma):
    u8 = _u8(name, size)
    desc = cv2.HOGDescriptor(u8.shape[::-1], (16, 16), (8, 8), (8, 8), 9, 1, sigma, 0, 0.2, gamma)
    ref = desc.compute(u8).ravel()
    ours = H.hog_opencv_style(u8 / 255.0, gamma=gamma, win_sigma=None if sigma < 0 else sigma)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=ATOL_FLOAT32)
    np.testing.assert_allclose(H.opencv_hog(u8 / 255.0, gamma=gamma,
                                            win_sigma=None if sigma < 0 else sigma), ref, rtol=0)


@needs_hogdescriptor
@settings(max_examples=30, deadline=None)
@given(cell=st.integers(3, 10), block=st.integers(1, 3), orientations=st.integers(2, 12),
       extra=st.tuples(st.integers(0, 3), st.integers(0, 3)), gamma=st.booleans(),
       seed=st.integers(0, 2**31 - 1))
def test_opencv_style_equals_cv2_on_random_configs(cell, block, orientations, extra, gamma, seed):
    assume(block * block * orientations >= 4)          # fewer crash OpenCV (see the next test)
    image = np.random.default_rng(seed).random(((block + extra[0]) * cell, (block + extra[1]) * cell))
    ours = H.hog_opencv_style(image, cell, block, orientations, gamma)
    ref = H.opencv_hog(image, cell, block, orientations, gamma)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=0, atol=ATOL_FLOAT32)


@needs_hogdescriptor
def test_the_remaining_gap_is_opencvs_fast_atan2():
    u8 = _u8("camera", 128)
    ref = H.opencv_hog(u8 / 255.0)
    exact_atan = np.abs(H.hog_opencv_style(u8 / 255.0, fast_atan2=False) - ref).max()
    assert 1e-5 < exact_atan < 1e-3
    x, y = np.meshgrid(np.arange(-30, 31, dtype=np.float32), np.arange(-30, 31, dtype=np.float32))
    _, cv_deg = cv2.cartToPolar(x, y, angleInDegrees=True)
    np.testing.assert_allclose(H._fast_atan2_deg(y, x), cv_deg, rtol=0, atol=5e-5)  # 1-2 ulp


@needs_hogdescriptor
def test_skimage_and_cv2_are_similar_but_not_equal():
    rows = H.compare_with_opencv(load_image("camera", gray=True, size=128), numpy_rows=False)
    assert len(rows) == 4
    cos = [c for c, _ in rows.values()]
    rel = [r for _, r in rows.values()]
    assert all(0.85 < c < 0.99 for c in cos) and all(0.1 < r < 0.6 for r in rel)
    assert cos[-1] > cos[0] and rel[-1] < rel[0]   # matching OpenCV's switches brings them closer


@needs_hogdescriptor
@pytest.mark.parametrize("name, size", [("camera", 128), ("astronaut", (128, 64)),
                                        ("coins", (96, 128))])
def test_window_and_trilinear_voting_each_explain_about_half_of_the_gap(name, size):
    rows = list(H.compare_with_opencv(load_image(name, gray=True, size=size)).values())
    gap = [1 - c for c, _ in rows]          # defaults, gamma on, gamma off, no window, no voting, neither
    for single in (gap[3], gap[4]):         # one switch removed, the other kept
        assert 0.3 < 1 - single / gap[2] < 0.7
    assert gap[5] < 0.02 * gap[2]           # both removed: only L2-Hys constants and fastAtan2 left


def test_missing_hogdescriptor_gives_a_clear_error(monkeypatch):
    import sys
    import types

    plain = types.ModuleType("cv2")          # like opencv-python-headless 5.x: no HOGDescriptor
    plain.__version__ = "5.1.0"
    monkeypatch.setitem(sys.modules, "cv2", plain)
    for call in (H.import_cv2_hog, lambda: H.opencv_hog(np.zeros((32, 32))),
                 lambda: H.compare_with_opencv(np.zeros((32, 32)))):
        with pytest.raises(ImportError, match="OpenCV 5.1.0 has no cv2.HOGDescriptor.*"
                                              "pip install 'opencv-contrib-python-headless"):
            call()
    monkeypatch.setitem(sys.modules, "cv2", None)     # not installed: import fails
    with pytest.raises(ImportError, match="OpenCV is not installed.*opencv-contrib-python-headless"):
        H.import_cv2_hog()


_CRASH = """
import numpy as np, cv2
d = cv2.HOGDescriptor((32, 32), ({side}, {side}), (8, 8), (8, 8), {bins}, 1, -1, 0, 0.2, True)
print(d.compute(np.zeros((32, 32), np.uint8)).size)
"""


@needs_hogdescriptor
@pytest.mark.parametrize("block, bins, crashes", [(1, 1, True), (1, 3, True), (1, 4, False),
                                                  (2, 1, False)])
def test_the_segfault_guard_is_still_needed(block, bins, crashes):
    # OpenCV 4.14, 5.0 and 5.1 segfault with fewer than 4 numbers per block; run it in a child
    # process so the crash cannot take pytest down.  If a new OpenCV stops crashing, this test
    # says so, and opencv_hog's guard can be relaxed for that version.
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", _CRASH.format(side=8 * block, bins=bins)],
                         capture_output=True, text=True, timeout=120)
    if crashes:
        assert run.returncode != 0, f"OpenCV {cv2.__version__} no longer crashes: {run.stdout}"
        with pytest.raises(ValueError, match="crashes when block"):
            H.opencv_hog(np.zeros((32, 32)), cell=8, block=block, orientations=bins)
    else:
        assert run.returncode == 0, run.stderr
        assert H.opencv_hog(np.zeros((32, 32)), 8, block, bins).size == int(run.stdout)


@needs_hogdescriptor
def test_opencv_hog_bad_input():
    with pytest.raises(ValueError, match="smaller than one block"):
        H.opencv_hog(np.zeros((15, 40)))
    with pytest.raises(ValueError, match="image must be a 2-D array"):
        H.opencv_hog(np.zeros((32, 32, 3)))
    # cv2.HOGDescriptor segfaults (OpenCV 4.14, 5.x) with fewer than 4 numbers per block; we refuse
    with pytest.raises(ValueError, match="crashes when block\\*block\\*orientations < 4"):
        H.opencv_hog(np.zeros((32, 32)), cell=8, block=1, orientations=3)
    H.opencv_hog(np.zeros((32, 32)), cell=8, block=1, orientations=4)   # 4 is fine
