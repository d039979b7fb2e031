"""Data augmentation with OpenCV: geometric and photometric transforms of one image.

Images are ``(H, W)`` or ``(H, W, C)`` arrays (OpenCV's channel-last layout, not NCHW),
either ``uint8`` in [0, 255] or floating point in [0, 1].  Every function returns an
image of the same shape, dtype and range, takes ``rng`` (a ``numpy.random.Generator``)
and draws its random parameters from ranges named like torchvision's ``transforms``
(``degrees``, ``translate``, ``scale``, ``shear``).  Pass a range with equal ends, e.g.
``degrees=(30, 30)``, for a deterministic transform.

Geometric transforms map through one 2×3 matrix (:func:`affine_matrix`) with bilinear
interpolation and a constant (black) border, like ``torchvision.transforms.RandomAffine``.
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import check_choice, check_probability

__all__ = ["affine_matrix", "warp_affine", "flip", "rotate", "scale", "random_crop",
           "translate", "affine", "gaussian_noise", "brightness_contrast", "sharpen"]


# ----------------------------------------------------------------------------- checks

def _check_image(image):
    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(f"image must be (H, W) or (H, W, C) with C in 1, 3, 4, got shape "
                         f"{image.shape}; convert NCHW tensors with x.transpose(1, 2, 0)")
    if image.dtype == np.uint8:
        return image
    if not np.issubdtype(image.dtype, np.floating):
        raise TypeError(f"image must be uint8 or floating point in [0, 1], got dtype {image.dtype}")
    if image.size and (np.nanmin(image) < 0 or np.nanmax(image) > 1):
        raise ValueError(f"a float image must be in [0, 1], got [{image.min():.3g}, "
                         f"{image.max():.3g}]; divide uint8 data by 255")
    return image


def _range(name, value, symmetric_from=None, lower=-math.inf):
    """``value`` -> (low, high): a number ``v`` means ``(-v, v)`` (or ``(c - v, c + v)``)."""
    if np.isscalar(value):
        if value < 0:
            raise ValueError(f"{name}={value!r} must be >= 0 when it is a single number")
        c = 0.0 if symmetric_from is None else symmetric_from
        value = (c - value, c + value)
    if len(value) != 2 or value[0] > value[1] or value[0] < lower:
        raise ValueError(f"{name} must be a number or a (low, high) pair with low <= high"
                         f" and low >= {lower}, got {value!r}")
    return float(value[0]), float(value[1])


def _to_float(image):
    return image.astype(np.float64) / 255.0 if image.dtype == np.uint8 else image


def _from_float(result, like):
    """Back to ``like``'s dtype and range: clip to [0, 1]; uint8 rounds."""
    result = np.clip(result, 0.0, 1.0)
    if like.dtype == np.uint8:
        return np.round(result * 255.0).astype(np.uint8)
    return result.astype(like.dtype, copy=False)


# ----------------------------------------------------------------------------- geometry

def affine_matrix(size, angle=0.0, translate=(0.0, 0.0), scale=1.0, shear=(0.0, 0.0)):
    """The 2×3 matrix that rotates, scales and shears about the image centre, then shifts.

    Parameters
    ----------
    size : (int, int)
        ``(H, W)``; the centre is ``((W - 1) / 2, (H - 1) / 2)`` in (x, y) pixel coordinates.
    angle : float
        Degrees, counter-clockwise on screen (OpenCV's and torchvision's sign).  Multiples
        of 90 give exact 0/±1 entries, so quarter turns of a square image are exact in every
        dtype (``cv2.warpAffine`` then only copies pixels).
    translate : (float, float)
        ``(dx, dy)`` in pixels.
    scale : float
        > 0; > 1 zooms in.
    shear : (float, float)
        Shear angles in degrees along x and y.

    Returns
    -------
    ndarray, shape (2, 3)
        Maps input (x, y, 1) to output (x, y); with ``shear == 0`` it equals
        ``cv2.getRotationMatrix2D(centre, angle, scale)`` plus the translation.
    """
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    h, w = size
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    quarter, rest = divmod(float(angle), 90.0)
    if rest == 0.0:   # exact quarter turns: cos(pi/2) is 6e-17 in floating point, not 0
        c, s = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(quarter) % 4]
    else:
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    # image y points down, so a counter-clockwise turn on screen is [[c, s], [-s, c]]
    rot = scale * np.array([[c, s], [-s, c]])
    sh = np.array([[1.0, math.tan(math.radians(shear[0]))], [math.tan(math.radians(shear[1])), 1.0]])
    lin = rot @ sh
    centre = np.array([cx, cy])
    offset = centre - lin @ centre + np.asarray(translate, dtype=float)
    return np.hstack([lin, offset[:, None]])


def _pixel_permutation(matrix, border_value, image):
    """The warp by indexing when ``matrix`` maps pixel centres onto pixel centres, else None.

    A 2×2 part of signed unit entries (quarter turns, flips, transposes) and an integer
    offset move every pixel to another pixel: bilinear interpolation is then a copy.  Done by
    indexing it is exact in every dtype; ``cv2.warpAffine`` (OpenCV 5) rounds float32 results
    of such maps by up to one ulp.
    """
    m = np.asarray(matrix, dtype=np.float64)
    lin, off = m[:, :2], m[:, 2]
    if not (np.all(np.isin(lin, (-1.0, 0.0, 1.0))) and abs(np.linalg.det(lin)) == 1.0
            and np.all(off == np.round(off))):
        return None
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    # output (x, y) = lin @ (x_in, y_in) + off, and lin's inverse is its transpose
    dx, dy = xs - off[0], ys - off[1]
    x_in = np.rint(lin[0, 0] * dx + lin[1, 0] * dy).astype(int)
    y_in = np.rint(lin[0, 1] * dx + lin[1, 1] * dy).astype(int)
    inside = (x_in >= 0) & (x_in < w) & (y_in >= 0) & (y_in < h)
    out = np.full_like(image, border_value)
    out[inside] = image[y_in[inside], x_in[inside]]
    return out


def warp_affine(image, matrix, border_value=0.0):
    """Apply a 2×3 affine ``matrix`` (input -> output coordinates) with ``cv2.warpAffine``.

    Bilinear interpolation; pixels that come from outside the image get
    ``border_value`` (in the image's own units).  Returns the same shape and dtype.
    A matrix that maps pixels onto pixels (quarter turns, flips, integer shifts) is applied
    by indexing instead, which is exact in every dtype.
    """
    import cv2

    image = _check_image(image)
    h, w = image.shape[:2]
    exact = _pixel_permutation(matrix, border_value, image)
    if exact is not None:
        return exact
    src = image if image.dtype in (np.uint8, np.float32, np.float64) else image.astype(np.float32)
    out = cv2.warpAffine(src, np.asarray(matrix, dtype=np.float64), (w, h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=border_value)
    out = out.reshape(image.shape)
    if image.dtype != np.uint8:
        out = np.clip(out, 0.0, 1.0)  # bilinear weights can overshoot [0, 1] by round-off
    return out.astype(image.dtype, copy=False)


def flip(image, rng, p=0.5, direction="horizontal"):
    """Mirror the image with probability ``p`` (``"horizontal"``: left-right, ``"vertical"``: up-down).

    A flip is a reflection, not a rotation: left-right then up-down equals a 180° turn,
    one flip alone equals no rotation.
    """
    import cv2

    image = _check_image(image)
    p = check_probability("p", p)
    code = {"horizontal": 1, "vertical": 0}[check_choice("direction", direction, ("horizontal", "vertical"))]
    if rng.random() >= p:
        return image.copy()
    return cv2.flip(image, code).reshape(image.shape)


def rotate(image, rng, degrees=15.0, border_value=0.0):
    """Rotate about the centre by an angle drawn uniformly from ``degrees``.

    ``degrees``: a number ``d`` (the range ``(-d, d)``) or ``(low, high)``.  Corners that
    rotate in from outside are filled with ``border_value``.
    """
    lo, hi = _range("degrees", degrees)
    image = _check_image(image)
    return warp_affine(image, affine_matrix(image.shape[:2], angle=rng.uniform(lo, hi)), border_value)


def scale(image, rng, scale=(0.8, 1.2), border_value=0.0):
    """Zoom about the centre by a factor drawn from ``scale`` (same output size)."""
    lo, hi = _range("scale", scale, lower=1e-6)
    image = _check_image(image)
    return warp_affine(image, affine_matrix(image.shape[:2], scale=rng.uniform(lo, hi)), border_value)


def translate(image, rng, translate=(0.1, 0.1), border_value=0.0):
    """Shift by up to ``translate = (fx, fy)`` of the width/height (uniform, either sign).

    The uncovered strip is filled with ``border_value`` (black by default).
    """
    fx, fy = (float(translate[0]), float(translate[1]))
    if not (0 <= fx <= 1 and 0 <= fy <= 1):
        raise ValueError(f"translate fractions must be in [0, 1], got {translate!r}")
    image = _check_image(image)
    h, w = image.shape[:2]
    shift = (rng.uniform(-fx, fx) * w, rng.uniform(-fy, fy) * h)
    return warp_affine(image, affine_matrix((h, w), translate=shift), border_value)


def affine(image, rng, degrees=10.0, translate=(0.05, 0.05), scale=(0.9, 1.1), shear=10.0,
           border_value=0.0):
    """A random affine map: rotation, translation, zoom and shear in one warp.

    Ranges as in :func:`rotate`, :func:`translate`, :func:`scale`; ``shear`` is a number
    ``s`` (x-shear in ``(-s, s)`` degrees) or ``(low, high)``.
    """
    image = _check_image(image)
    h, w = image.shape[:2]
    a = rng.uniform(*_range("degrees", degrees))
    t = (rng.uniform(-translate[0], translate[0]) * w, rng.uniform(-translate[1], translate[1]) * h)
    s = rng.uniform(*_range("scale", scale, lower=1e-6))
    sx = rng.uniform(*_range("shear", shear))
    return warp_affine(image, affine_matrix((h, w), a, t, s, (sx, 0.0)), border_value)


def random_crop(image, rng, scale=(0.5, 1.0)):
    """Cut a random window and resize it back to the input size ("zoom by cropping").

    The window's sides are a fraction drawn from ``scale`` of the image's (aspect kept);
    its position is uniform.  Resizing uses ``cv2.INTER_LINEAR``.
    """
    import cv2

    lo, hi = _range("scale", scale, lower=1e-6)
    if hi > 1:
        raise ValueError(f"scale must be within (0, 1] (a crop cannot exceed the image), got {scale!r}")
    image = _check_image(image)
    h, w = image.shape[:2]
    f = rng.uniform(lo, hi)
    ch, cw = max(1, round(f * h)), max(1, round(f * w))
    y0, x0 = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    crop = image[y0:y0 + ch, x0:x0 + cw]
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR).reshape(image.shape)


# ----------------------------------------------------------------------------- photometric

def gaussian_noise(image, rng, sigma=(0.0, 0.05)):
    """Add pixel-wise Gaussian noise with a standard deviation drawn from ``sigma``.

    ``sigma`` is in units of the full range ([0, 1] floats; 255 for uint8).  The result is
    clipped to the range.  (Noise *adds* high frequencies; a Gaussian *blur* removes them.)
    """
    lo, hi = _range("sigma", (sigma, sigma) if np.isscalar(sigma) else sigma, lower=0.0)
    image = _check_image(image)
    noise = rng.normal(0.0, rng.uniform(lo, hi), size=image.shape)
    return _from_float(_to_float(image) + noise, image)


def brightness_contrast(image, rng, brightness=0.2, contrast=0.2):
    """``alpha * x + beta``: contrast factor ``alpha`` in ``1 ± contrast`` (or in the range
    ``contrast = (low, high)``), brightness shift ``beta`` in ``± brightness`` (or the range
    ``(low, high)``; units of the full range), clipped -- OpenCV's
    ``convertScaleAbs`` rule.  (torchvision's ``ColorJitter`` instead scales brightness
    and blends contrast towards the mean grey.)
    """
    b_lo, b_hi = _range("brightness", brightness)
    c_lo, c_hi = _range("contrast", contrast, symmetric_from=1.0, lower=0.0)
    image = _check_image(image)
    alpha, beta = rng.uniform(c_lo, c_hi), rng.uniform(b_lo, b_hi)
    return _from_float(alpha * _to_float(image) + beta, image)


_SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64)


def sharpen(image, rng, alpha=(0.2, 0.5)):
    """Blend the image with its sharpened version: ``(1 - a) x + a (x * K)``.

    ``K = [[0,-1,0],[-1,5,-1],[0,-1,0]]`` (identity minus the Laplacian), correlated with
    ``cv2.filter2D`` (border: reflect-101); ``a`` drawn from ``alpha`` in [0, 1], as
    imgaug's ``Sharpen(alpha)``.
    """
    import cv2

    lo, hi = _range("alpha", alpha, lower=0.0)
    if hi > 1:
        raise ValueError(f"alpha must be within [0, 1], got {alpha!r}")
    image = _check_image(image)
    a = rng.uniform(lo, hi)
    x = _to_float(image).astype(np.float64)
    sharp = cv2.filter2D(x, cv2.CV_64F, _SHARPEN, borderType=cv2.BORDER_REFLECT_101).reshape(x.shape)
    return _from_float((1 - a) * x + a * sharp, image)
