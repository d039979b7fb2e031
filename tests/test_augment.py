"""dlnotes.augment: OpenCV augmentations keep shape, dtype and range; geometry is exact."""
import cv2
import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.transform
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import augment as A
from dlnotes.data import load_image

OPS = [A.flip, A.rotate, A.scale, A.translate, A.affine, A.random_crop, A.gaussian_noise,
       A.brightness_contrast, A.sharpen]
PHOTO = load_image("astronaut", size=(33, 41))          # odd, non-square, float64 in [0, 1]


def variants():
    u8 = np.round(PHOTO * 255).astype(np.uint8)
    return {"float64 rgb": PHOTO, "float32 rgb": PHOTO.astype(np.float32), "uint8 rgb": u8,
            "uint8 gray": u8[..., 1], "float64 gray": PHOTO[..., 0], "float32 hw1": PHOTO[..., :1].astype(np.float32)}


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(sorted(variants())))
def test_keeps_shape_dtype_and_range(op, seed, kind):
    image = variants()[kind]
    out = op(image, np.random.default_rng(seed))
    assert out.shape == image.shape and out.dtype == image.dtype
    if out.dtype != np.uint8:
        assert out.min() >= 0 and out.max() <= 1
    again = op(image, np.random.default_rng(seed))          # rng decides everything
    np.testing.assert_array_equal(out, again)


@settings(max_examples=30, deadline=None)
@given(angle=st.floats(-180, 180), s=st.floats(0.5, 2), tx=st.floats(-5, 5), ty=st.floats(-5, 5),
       h=st.integers(3, 40), w=st.integers(3, 40))
def test_affine_matrix_equals_opencv_and_skimage(angle, s, tx, ty, h, w):
    m = A.affine_matrix((h, w), angle, (tx, ty), s)
    ref = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, s)
    ref[:, 2] += (tx, ty)
    np.testing.assert_allclose(m, ref, atol=1e-12)
    # the same map as skimage's: rotate about the centre (skimage counts angles clockwise in
    # (row, col) space = counter-clockwise on screen with y down -> rotation=-angle)
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    t = (skimage.transform.AffineTransform(translation=-c)
         + skimage.transform.AffineTransform(scale=s, rotation=np.deg2rad(-angle))
         + skimage.transform.AffineTransform(translation=c + (tx, ty)))
    np.testing.assert_allclose(m, t.params[:2], atol=1e-10)


@pytest.mark.parametrize("angle, quarter", [(90, 1), (-90, 3), (180, 2), (270, 3), (360, 0), (-450, 3)])
def test_quarter_turns_are_exact(angle, quarter):
    """Multiples of 90 degrees give exact 0/1 entries (cos(pi/2) is 6e-17 in floating point),
    so OpenCV only copies pixels: rotate equals np.rot90 bit for bit, in float32 too."""
    m = A.affine_matrix((9, 9), angle)
    assert set(np.unique(m[:, :2])) <= {-1.0, 0.0, 1.0}
    np.testing.assert_allclose(m, cv2.getRotationMatrix2D((4.0, 4.0), angle, 1.0), atol=1e-12)
    sq = np.random.default_rng(angle % 7).random((9, 9)).astype(np.float32)
    np.testing.assert_array_equal(A.rotate(sq, np.random.default_rng(0), degrees=(angle, angle)),
                                  np.rot90(sq, quarter))


def test_shear_matrix():
    m = A.affine_matrix((11, 11), shear=(45, 0))
    np.testing.assert_allclose(m[:, :2], [[1, 1], [0, 1]], atol=1e-12)
    np.testing.assert_allclose(m @ [5, 5, 1], [5, 5])          # the centre stays put


def test_warp_equals_skimage_warp():
    image = load_image("camera", size=48)
    m = A.affine_matrix(image.shape, 23.0, (1.5, -2.0), 1.1)
    ours = A.warp_affine(image, m)
    ref = skimage.transform.warp(image, np.linalg.inv(np.vstack([m, [0, 0, 1]])), order=1, mode="constant")
    # OpenCV's bilinear weights are quantised to 1/32 pixel; inside the image they agree closely
    assert np.abs(ours - ref)[4:-4, 4:-4].max() < 0.02
    assert np.abs(ours - ref)[4:-4, 4:-4].mean() < 0.002


@pytest.mark.parametrize("kind", ["float64 gray", "uint8 rgb", "float32 hw1"])
def test_exact_geometry(kind):
    image = variants()[kind]
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(A.flip(image, rng, p=1.0), image[:, ::-1])
    np.testing.assert_array_equal(A.flip(image, rng, p=1.0, direction="vertical"), image[::-1])
    np.testing.assert_array_equal(A.flip(image, rng, p=0.0), image)
    both = A.flip(A.flip(image, rng, p=1.0), rng, p=1.0, direction="vertical")
    np.testing.assert_array_equal(both, np.rot90(image, 2))    # two flips = a 180° turn
    sq = image[:33, :33]
    np.testing.assert_array_equal(A.rotate(sq, rng, degrees=(90, 90)), np.rot90(sq))
    np.testing.assert_array_equal(A.rotate(sq, rng, degrees=(-90, -90)), np.rot90(sq, -1))
    for op, kw in ((A.rotate, dict(degrees=0)), (A.scale, dict(scale=(1, 1))),
                   (A.translate, dict(translate=(0, 0))), (A.random_crop, dict(scale=(1, 1))),
                   (A.affine, dict(degrees=0, translate=(0, 0), scale=(1, 1), shear=0)),
                   (A.gaussian_noise, dict(sigma=0)), (A.sharpen, dict(alpha=0)),
                   (A.brightness_contrast, dict(brightness=0, contrast=0))):
        np.testing.assert_array_equal(op(image, rng, **kw), image, err_msg=op.__name__)


def test_integer_translation_is_a_shift_with_black_fill():
    image = PHOTO[..., 0]
    m = A.affine_matrix(image.shape, translate=(3, -2))
    out = A.warp_affine(image, m)
    ref = ndi.shift(image, (-2, 3), order=0, mode="constant", cval=0.0)
    np.testing.assert_array_equal(out, ref)


def test_random_crop_is_a_resized_window():
    image = PHOTO
    out = A.random_crop(image, np.random.default_rng(3), scale=(0.5, 0.5))
    h, w = image.shape[:2]
    ch, cw = round(0.5 * h), round(0.5 * w)
    windows = [cv2.resize(image[y:y + ch, x:x + cw], (w, h), interpolation=cv2.INTER_LINEAR)
               for y in range(h - ch + 1) for x in range(w - cw + 1)]
    assert any(np.array_equal(out, win) for win in windows)


def test_noise_statistics_and_uint8_rounding():
    gray = np.full((200, 200), 0.5)
    out = A.gaussian_noise(gray, np.random.default_rng(0), sigma=0.1)
    assert abs((out - 0.5).std() - 0.1) < 0.003 and abs((out - 0.5).mean()) < 0.003
    u8 = np.full((200, 200), 128, np.uint8)
    out8 = A.gaussian_noise(u8, np.random.default_rng(0), sigma=0.1)
    np.testing.assert_array_equal(out8, np.clip(np.round(out * 255 - 0.5 * 255 + 128), 0, 255))
    # noise adds high frequencies: the Laplacian's energy grows (a blur would shrink it)
    photo = load_image("camera", size=64)
    noisy = A.gaussian_noise(photo, np.random.default_rng(1), sigma=0.1)
    lap = lambda im: np.abs(ndi.laplace(im)).mean()  # noqa: E731
    assert lap(noisy) > 1.5 * lap(photo) > 1.5 * lap(ndi.gaussian_filter(photo, 1))


def test_brightness_contrast_rule():
    x = PHOTO
    out = A.brightness_contrast(x, np.random.default_rng(0), brightness=(0.1, 0.1), contrast=(1.5, 1.5))
    np.testing.assert_allclose(out, np.clip(1.5 * x + 0.1, 0, 1))
    u8 = np.round(x * 255).astype(np.uint8)
    out8 = A.brightness_contrast(u8, np.random.default_rng(0), brightness=(0.1, 0.1), contrast=(1.5, 1.5))
    # a single number c means the factor range 1 +- c
    assert A.brightness_contrast(x, np.random.default_rng(0), brightness=0, contrast=0.5).max() <= 1
    ref = cv2.convertScaleAbs(u8, alpha=1.5, beta=0.1 * 255)    # OpenCV's saturating rule
    assert np.abs(out8.astype(int) - ref).max() <= 1            # (OpenCV rounds half to even)


def test_sharpen_equals_correlation_with_the_kernel():
    x = PHOTO[..., 0]
    kernel = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float)
    ref = np.clip(ndi.correlate(x, kernel, mode="mirror"), 0, 1)  # mirror = OpenCV reflect-101
    np.testing.assert_allclose(A.sharpen(x, np.random.default_rng(0), alpha=(1, 1)), ref, atol=1e-12)
    half = A.sharpen(x, np.random.default_rng(0), alpha=(0.5, 0.5))
    np.testing.assert_allclose(half, np.clip(0.5 * x + 0.5 * ndi.correlate(x, kernel, mode="mirror"), 0, 1),
                               atol=1e-12)


def test_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"image must be \(H, W\) or \(H, W, C\)"):
        A.rotate(np.zeros((1, 3, 8, 8)), rng)
    with pytest.raises(ValueError, match=r"float image must be in \[0, 1\]"):
        A.flip(PHOTO * 255, rng)
    with pytest.raises(TypeError, match="uint8 or floating point"):
        A.flip(np.zeros((4, 4), np.int16), rng)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        A.flip(PHOTO, rng, p=1.5)
    with pytest.raises(ValueError, match="direction='diagonal'"):
        A.flip(PHOTO, rng, direction="diagonal")
    with pytest.raises(ValueError, match="degrees=-5"):
        A.rotate(PHOTO, rng, degrees=-5)
    with pytest.raises(ValueError, match="low <= high"):
        A.scale(PHOTO, rng, scale=(1.2, 0.8))
    with pytest.raises(ValueError, match="scale must be within"):
        A.random_crop(PHOTO, rng, scale=(0.5, 1.5))
    with pytest.raises(ValueError, match="translate fractions"):
        A.translate(PHOTO, rng, translate=(2, 0))
    with pytest.raises(ValueError, match="alpha must be within"):
        A.sharpen(PHOTO, rng, alpha=(0, 2))
    with pytest.raises(ValueError, match="scale must be > 0"):
        A.affine_matrix((5, 5), scale=0)


@settings(max_examples=40, deadline=None)
@given(perm=st.sampled_from([((1, 0), (0, 1)), ((0, 1), (-1, 0)), ((-1, 0), (0, -1)), ((0, -1), (1, 0)),
                             ((-1, 0), (0, 1)), ((1, 0), (0, -1)), ((0, 1), (1, 0)), ((0, -1), (-1, 0))]),
       dx=st.integers(-12, 12), dy=st.integers(-12, 12), h=st.integers(1, 15), w=st.integers(1, 15),
       border=st.sampled_from([0.0, 0.5]))
def test_pixel_permutations_equal_opencv(perm, dx, dy, h, w, border):
    """The indexing path for pixel-to-pixel maps equals cv2.warpAffine (float64 and uint8),
    borders included, on odd, non-square sizes."""
    m = np.hstack([np.array(perm, dtype=float), [[dx], [dy]]])
    image = np.random.default_rng(h * 31 + w).random((h, w))
    ref = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=border)
    np.testing.assert_allclose(A.warp_affine(image, m, border), ref.reshape(h, w), atol=1e-12)
    u8 = np.round(image * 255).astype(np.uint8)
    ref8 = cv2.warpAffine(u8, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=int(border * 255))
    np.testing.assert_array_equal(A.warp_affine(u8, m, int(border * 255)), ref8.reshape(h, w))
