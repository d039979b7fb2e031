"""HOG: equal to skimage.feature.hog; the OpenCV-style variant; drawing; bad input."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
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
    rows = H.compare_with_opencv(img)
    cos = [c for c, _ in rows.values()]
    assert all(0.5 < c < 0.9999 for c in cos)    # similar, but not the same descriptor
    assert cos[-1] > cos[0]                      # removing OpenCV's choices brings them closer
    # trilinear voting: a single pure-orientation edge votes into two neighbouring bins
    edge = np.zeros((16, 16))
    edge[:, 8:] = 1
    votes = H.hog_opencv_style(edge, gamma=False).reshape(-1, 9)
    assert (votes[:, 0] > 0).any() and (votes[:, 8] > 0).any()   # 0° sits between bins 8 and 0


def test_draw_hog_draws_one_segment_per_bin():
    hist = H.cell_histograms(*H.gradients(load_image("camera", gray=True, size=32)), 9, (8, 8))
    ax = H.draw_hog(hist, (8, 8))
    assert len(ax.collections[0].get_segments()) == 4 * 4 * 9
    plt.close("all")


cv2 = pytest.importorskip("cv2")


@pytest.mark.skipif(not hasattr(cv2, "HOGDescriptor"),
                    reason="OpenCV 5 moved HOGDescriptor to the contrib module xobjdetect")
@pytest.mark.parametrize("gamma", [True, False])
def test_opencv_style_equals_cv2_hogdescriptor(gamma):
    # runs only where an OpenCV with HOGDescriptor (2.x-4.x) is installed
    u8 = np.round(load_image("camera", gray=True, size=(64, 48)) * 255).astype(np.uint8)
    desc = cv2.HOGDescriptor((48, 64), (16, 16), (8, 8), (8, 8), 9, 1, -1.0, 0, 0.2, gamma)
    np.testing.assert_allclose(H.hog_opencv_style(u8 / 255.0, gamma=gamma),
                               desc.compute(u8).ravel(), atol=2e-4)
