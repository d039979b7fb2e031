"""Bundled sample images and data sets -- nothing is downloaded at run time.

Photos come from scikit-image's images that ship inside its wheel; digits come from
scikit-learn's bundled copy of the UCI optical digits (8×8, 1797 images).
"""
from __future__ import annotations

import numpy as np

from ._validate import check_choice

__all__ = ["IMAGES", "load_image", "load_digits"]

# scikit-image images that live inside the wheel (no pooch download needed).
IMAGES = ("astronaut", "camera", "coffee", "chelsea", "coins", "moon", "rocket",
          "text", "horse", "clock", "page", "checkerboard")


def load_image(name="astronaut", gray=False, size=None):
    """Return a bundled photo as ``float64`` in ``[0, 1]``.

    Parameters
    ----------
    name : str
        One of :data:`IMAGES` (scikit-image's bundled images).
    gray : bool
        Convert to a single luminance channel (ITU-R 601, as ``skimage.color.rgb2gray``).
    size : int or (int, int), optional
        Resize to ``size`` (square) or ``(height, width)`` with area interpolation.

    Returns
    -------
    ndarray, shape (H, W) if ``gray`` else (H, W, 3), dtype float64
        Grey images stay 2-D even when ``gray`` is False.
    """
    check_choice("name", name, IMAGES)
    import skimage
    import skimage.color
    import skimage.data

    img = getattr(skimage.data, name)()
    if name == "horse":
        img = ~img  # boolean silhouette -> white horse on black
    img = skimage.img_as_float64(img)
    if img.ndim == 3 and img.shape[-1] == 4:
        img = skimage.color.rgba2rgb(img)
    if gray and img.ndim == 3:
        img = skimage.color.rgb2gray(img)
    if size is not None:
        import cv2

        h, w = (size, size) if np.isscalar(size) else size
        img = cv2.resize(img, (int(w), int(h)), interpolation=cv2.INTER_AREA)
    return np.clip(img, 0.0, 1.0)


def load_digits(size=8):
    """scikit-learn's bundled handwritten digits, optionally upscaled.

    Parameters
    ----------
    size : int
        Output side length; 8 keeps the original images, 28 gives MNIST-sized inputs
        (bilinear upscaling with OpenCV).

    Returns
    -------
    images : ndarray, shape (1797, 1, size, size), dtype float32, values in [0, 1]
    labels : ndarray, shape (1797,), dtype int64
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 8:
        raise ValueError(f"size must be an int >= 8 (the original digits are 8×8), got {size!r}")
    from sklearn.datasets import load_digits as _load

    bunch = _load()
    images = (bunch.images / 16.0).astype(np.float32)  # (1797, 8, 8)
    if size != 8:
        import cv2

        images = np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_LINEAR)
                           for im in images])
    return np.clip(images, 0, 1)[:, None], bunch.target.astype(np.int64)
