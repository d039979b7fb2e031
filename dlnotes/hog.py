"""Histogram of oriented gradients (HOG), vectorised, equal to ``skimage.feature.hog``.

The pipeline of Dalal & Triggs (CVPR 2005): optional gamma (square-root) compression →
centred ``[-1, 0, 1]`` gradients → magnitude-weighted orientation histograms per cell →
overlapping blocks of cells, each normalised → concatenation.  Each stage is a plain
function here so that a chapter can draw it; :func:`hog` chains them.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_choice, check_int, check_ndim, pair

__all__ = ["BLOCK_NORMS", "gradients", "cell_histograms", "normalize_blocks", "hog",
           "draw_hog", "hog_opencv_style", "import_cv2_hog", "opencv_hog",
           "skimage_to_opencv_order", "compare_with_opencv"]

#: what to install for ``cv2.HOGDescriptor`` (OpenCV 5's plain wheels lack it)
OPENCV_HOG_PACKAGE = "opencv-contrib-python-headless"

BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")


def gradients(image):
    """Centred differences ``I[r+1] - I[r-1]`` along rows and columns, as scikit-image.

    On the border only the component *normal* to it is zero: ``g_row`` on the first and
    last rows, ``g_col`` on the first and last columns (``g_col`` of the top row is a
    normal centred difference).

    Parameters
    ----------
    image : ndarray, shape (H, W), float

    Returns
    -------
    g_row, g_col : ndarray, shape (H, W)
        Unnormalised gradients (no division by 2), as scikit-image.
    """
    image = np.asarray(image, dtype=np.float64)
    g_row = np.zeros_like(image)
    g_col = np.zeros_like(image)
    g_row[1:-1, :] = image[2:, :] - image[:-2, :]   # (H-2, W)
    g_col[:, 1:-1] = image[:, 2:] - image[:, :-2]   # (H, W-2)
    return g_row, g_col


def _orientation_edges(orientations):
    """Bin edges in degrees, computed in float32 exactly as scikit-image's Cython kernel."""
    step = np.float32(180.0 / orientations)
    return step * np.arange(orientations + 1, dtype=np.float32)  # (orientations + 1,)


def cell_histograms(g_row, g_col, orientations=9, pixels_per_cell=(8, 8)):
    """Per-cell histograms of unsigned gradient orientation, weighted by magnitude.

    Each pixel votes its magnitude ``hypot(g_row, g_col)`` into the single bin that holds
    its orientation ``atan2(g_row, g_col) mod 180°`` (hard assignment: bin ``i`` holds
    ``[i·180/n, (i+1)·180/n)``).  A cell's histogram is divided by its pixel count.
    Pixels beyond the last whole cell are ignored.

    Parameters
    ----------
    g_row, g_col : ndarray, shape (H, W)
    orientations : int
    pixels_per_cell : (int, int)

    Returns
    -------
    ndarray, shape (H // c_row, W // c_col, orientations), float64
    """
    c_row, c_col = pixels_per_cell
    n_row, n_col = g_row.shape[0] // c_row, g_row.shape[1] // c_col
    g_row = g_row[:n_row * c_row, :n_col * c_col]
    g_col = g_col[:n_row * c_row, :n_col * c_col]
    magnitude = np.hypot(g_col, g_row)                                   # (h, w)
    angle = np.rad2deg(np.arctan2(g_row, g_col)) % 180                   # (h, w) in [0, 180)
    edges = _orientation_edges(orientations).astype(np.float64)
    bins = np.searchsorted(edges, angle, side="right") - 1               # (h, w)
    valid = (bins >= 0) & (bins < orientations)  # float32 edges may leave a sliver below 180°
    cell = (np.arange(n_row * c_row) // c_row)[:, None] * n_col + \
        (np.arange(n_col * c_col) // c_col)[None, :]                     # (h, w) cell id
    index = (cell * orientations + bins)[valid]
    hist = np.bincount(index, weights=magnitude[valid], minlength=n_row * n_col * orientations)
    return hist.reshape(n_row, n_col, orientations) / (c_row * c_col)


def normalize_blocks(hist, cells_per_block=(3, 3), block_norm="L2-Hys", eps=1e-5):
    """Group cells into overlapping blocks (stride one cell) and normalise each block.

    ``L1``: ``v / (|v|_1 + eps)``; ``L1-sqrt``: its square root; ``L2``:
    ``v / sqrt(|v|_2^2 + eps^2)``; ``L2-Hys``: L2, clip at 0.2, L2 again (Lowe 2004).

    Parameters
    ----------
    hist : ndarray, shape (n_cells_row, n_cells_col, orientations)
    cells_per_block : (int, int)
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}

    Returns
    -------
    ndarray, shape (n_blocks_row, n_blocks_col, b_row, b_col, orientations)
    """
    b_row, b_col = cells_per_block
    blocks = np.lib.stride_tricks.sliding_window_view(hist, (b_row, b_col), axis=(0, 1))
    blocks = blocks.transpose(0, 1, 3, 4, 2)        # (nbr, nbc, b_row, b_col, orient)
    axes = (2, 3, 4)
    if block_norm in ("L1", "L1-sqrt"):
        out = blocks / (np.abs(blocks).sum(axis=axes, keepdims=True) + eps)
        return np.sqrt(out) if block_norm == "L1-sqrt" else out
    out = blocks / np.sqrt((blocks ** 2).sum(axis=axes, keepdims=True) + eps ** 2)
    if block_norm == "L2-Hys":
        out = np.minimum(out, 0.2)
        out = out / np.sqrt((out ** 2).sum(axis=axes, keepdims=True) + eps ** 2)
    return out


def hog(image, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(3, 3),
        block_norm="L2-Hys", transform_sqrt=False, feature_vector=True):
    """Histogram of oriented gradients of a grey image, equal to ``skimage.feature.hog``.

    Parameters
    ----------
    image : ndarray, shape (H, W)
        Grey image (float; non-negative if ``transform_sqrt``).
    orientations : int
        Number of unsigned orientation bins over [0°, 180°).
    pixels_per_cell : int or (int, int)
    cells_per_block : int or (int, int)
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}
    transform_sqrt : bool
        Gamma compression: take the square root of the image first.
    feature_vector : bool
        Flatten the result.

    Returns
    -------
    ndarray, shape (n_blocks_row, n_blocks_col, b_row, b_col, orientations), or flattened
        ``n_blocks = n_cells - cells_per_block + 1`` with ``n_cells = H // c_row``.

    Raises
    ------
    ValueError
        If the image is not 2-D, is smaller than one block, has negative values with
        ``transform_sqrt``, or a parameter is out of range.

    Notes
    -----
    Dalal & Triggs, "Histograms of Oriented Gradients for Human Detection", CVPR 2005
    (§6).  Like scikit-image (and unlike the paper and OpenCV) there is no Gaussian
    spatial window, votes are not interpolated between neighbouring bins or cells, and
    colour images are not supported (scikit-image takes the channel with the largest
    gradient).  scikit-image accumulates cell sums in float32; we use float64, so the
    two agree to about 1e-6 relative.
    """
    image = check_ndim("image", image, 2, "a grey image H×W; convert colour with rgb2gray")
    check_int("orientations", orientations, minimum=1)
    c_row, c_col = pair("pixels_per_cell", pixels_per_cell, minimum=1)
    b_row, b_col = pair("cells_per_block", cells_per_block, minimum=1)
    check_choice("block_norm", block_norm, BLOCK_NORMS)
    image = image.astype(np.float64)
    if image.shape[0] < b_row * c_row or image.shape[1] < b_col * c_col:
        raise ValueError(
            f"image {image.shape[0]}×{image.shape[1]} is smaller than one block: HOG with "
            f"pixels_per_cell=({c_row}, {c_col}) and cells_per_block=({b_row}, {b_col}) needs at "
            f"least {b_row * c_row} rows and {b_col * c_col} cols; pad or resize the image, or use "
            f"smaller cells/blocks")
    if transform_sqrt:
        if np.any(image < 0):
            raise ValueError("transform_sqrt=True needs a non-negative image; got negative values "
                             "(rescale to [0, 1] first)")
        image = np.sqrt(image)
    g_row, g_col = gradients(image)
    hist = cell_histograms(g_row, g_col, orientations, (c_row, c_col))
    blocks = normalize_blocks(hist, (b_row, b_col), block_norm)
    return blocks.ravel() if feature_vector else blocks


def draw_hog(hist, pixels_per_cell=(8, 8), ax=None, image=None, color="yellow", scale=1.0,
             linewidth=1.0):
    """Draw cell histograms as "stars": per bin a segment perpendicular to its mean gradient.

    A gradient at angle θ belongs to an edge running at θ + 90°, so each segment shows the
    *edge* direction, with length proportional to the bin's value (scaled so the largest
    bin spans a cell).

    Parameters
    ----------
    hist : ndarray, shape (n_cells_row, n_cells_col, orientations)
    pixels_per_cell : (int, int)
    ax : matplotlib Axes, optional
    image : ndarray, optional
        Drawn underneath in grey (half transparent); without it the background is black.
    color : matplotlib colour
    scale : float
        Length of the largest segment, in cells.
    linewidth : float
        Segment width in points (thicker lines read better on a small figure).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    hist = np.asarray(hist)
    n_row, n_col, n_orient = hist.shape
    c_row, c_col = pair("pixels_per_cell", pixels_per_cell, minimum=1)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    if image is not None:
        ax.imshow(image, cmap="gray", alpha=0.5)
    else:
        ax.imshow(np.zeros((n_row * c_row, n_col * c_col)), cmap="gray")
    # gradient angle θ = atan2(g_row, g_col) is measured with rows growing downwards, so in
    # (x, y-down) image coordinates the edge runs along θ + 90°
    theta = np.pi * (np.arange(n_orient) + 0.5) / n_orient + np.pi / 2
    length = 0.5 * min(c_row, c_col) * scale * hist / max(hist.max(), 1e-12)  # (nr, nc, o)
    cy = (np.arange(n_row) + 0.5) * c_row - 0.5
    cx = (np.arange(n_col) + 0.5) * c_col - 0.5
    dx = length * np.cos(theta)                  # (nr, nc, o)
    dy = length * np.sin(theta)
    x0 = cx[None, :, None] - dx
    x1 = cx[None, :, None] + dx
    y0 = cy[:, None, None] - dy
    y1 = cy[:, None, None] + dy
    segments = np.stack([np.stack([x0, y0], -1), np.stack([x1, y1], -1)], -2).reshape(-1, 2, 2)
    ax.add_collection(LineCollection(segments, colors=color, linewidths=linewidth,
                                     capstyle="round"))
    ax.set_axis_off()
    return ax


# OpenCV's fastAtan2 (modules/core/src/mathfuncs_core.simd.hpp, atan_f32): a degree-7 odd
# polynomial in float32 on the octant ratio, max error about 0.01°
_ATAN_POLY = tuple(np.float32(c) * np.float32(180 / np.pi) for c in
                   (0.9997878412794807, -0.3258083974640975, 0.1555786518463281, -0.04432655554792128))


def _fast_atan2_deg(y, x):
    """OpenCV's ``fastAtan2`` in float32: angle of (x, y) in degrees, in [0, 360)."""
    f32 = np.float32
    x, y = np.asarray(x, f32), np.asarray(y, f32)
    ax, ay = np.abs(x), np.abs(y)
    steep = ax < ay
    eps = f32(np.finfo(np.float64).eps)                  # (float)DBL_EPSILON
    c = np.where(steep, ax / (ay + eps), ay / (ax + eps)).astype(f32)
    c2 = c * c
    p1, p3, p5, p7 = _ATAN_POLY
    a = (((p7 * c2 + p5) * c2 + p3) * c2 + p1) * c
    a = np.where(steep, f32(90) - a, a)
    a = np.where(x < 0, f32(180) - a, a)
    return np.where(y < 0, f32(360) - a, a).astype(f32)


def hog_opencv_style(image, cell=8, block=2, orientations=9, gamma=True, win_sigma=None,
                     l2hys_threshold=0.2, fast_atan2=True, interpolate=True):
    """OpenCV's ``HOGDescriptor::compute`` algorithm for one window covering the image, in NumPy.

    What OpenCV (``modules/objdetect/src/hog.cpp`` in 2.x-4.x; the contrib module
    ``xobjdetect`` in 5.x) does differently from
    scikit-image: intensities are on the 0-255 scale and optionally square-rooted
    (``gammaCorrection``); each pixel splits its vote linearly between the two nearest
    orientation bins (bin centres at ``(k + 1/2)·180°/n``) and bilinearly between the
    four nearest cell centres of its block (together: *trilinear* interpolation); votes are
    weighted by a Gaussian window over the block (σ = ``(block_w + block_h)/8`` pixels);
    L2-Hys uses ``1/(‖v‖ + 0.1·len(v))`` then ``1/(‖v‖ + 1e-3)``; and the vector is ordered
    blocks column by column, cells column-major, orientations innermost.

    Parameters
    ----------
    image : ndarray, shape (H, W), values in [0, 1]
        Quantised to 0..255 as OpenCV's uint8 input; cropped to whole cells.
    cell, block : int
        Cell side in pixels; block side in cells (block stride = one cell).
    gamma : bool
    win_sigma : float, optional
        Default ``block * cell / 4`` (OpenCV's ``(bw + bh) / 8``).
    l2hys_threshold : float
        Clipping value of L2-Hys.
    fast_atan2 : bool
        Orientation from OpenCV's float32 polynomial ``fastAtan2`` (as ``cv::cartToPolar``),
        not the exact ``np.arctan2``.
    interpolate : bool
        Trilinear voting (OpenCV has no switch for it).  ``False`` votes like scikit-image:
        the whole magnitude into the bin ``[k·180/n, (k+1)·180/n)`` of the pixel's own cell.

    Returns
    -------
    ndarray, shape (n_blocks_x * n_blocks_y * block * block * orientations,), float64
        In OpenCV's order.

    Notes
    -----
    Checked against ``cv2.HOGDescriptor.compute`` (OpenCV 4.14 and 5.1, see
    :func:`opencv_hog`): equal to 2e-6 absolute on photos and random configurations, float32
    rounding (OpenCV computes in float32, we in float64).  That needs OpenCV's polynomial ``fastAtan2`` (error up to
    0.01°); with the exact ``np.arctan2`` (``fast_atan2=False``) the descriptors differ by
    up to ~4e-4, because the angle error moves part of a vote between two bins.
    Dalal & Triggs' own Gaussian window has σ = half the block width (8 px for 16-px
    blocks); OpenCV's default, used here, is a quarter (4 px).
    """
    image = check_ndim("image", image, 2, "grey H×W")
    h, w = image.shape[0] // cell * cell, image.shape[1] // cell * cell
    if h < block * cell or w < block * cell:
        raise ValueError(f"image {image.shape[0]}×{image.shape[1]} is smaller than one block "
                         f"({block * cell}×{block * cell} pixels)")
    img = np.clip(np.round(image[:h, :w] * 255), 0, 255)
    img = np.sqrt(img) if gamma else img
    padded = np.pad(img, 1, mode="reflect")                       # BORDER_REFLECT_101
    dx = padded[1:-1, 2:] - padded[1:-1, :-2]                     # (h, w)
    dy = padded[2:, 1:-1] - padded[:-2, 1:-1]
    mag = np.hypot(dx, dy)
    if fast_atan2:                                                # as cv::cartToPolar
        angle = np.deg2rad(_fast_atan2_deg(dy, dx).astype(np.float64))
    else:
        angle = np.arctan2(dy, dx) % (2 * np.pi)
    votes = np.zeros((h, w, orientations))                        # (h, w, bins)
    rr, cc = np.indices((h, w))
    if interpolate:
        angle = angle * orientations / np.pi - 0.5                # bin coordinate
        lo = np.floor(angle)
        frac = angle - lo
        lo = lo.astype(int) % orientations
        np.add.at(votes, (rr, cc, lo), mag * (1 - frac))
        np.add.at(votes, (rr, cc, (lo + 1) % orientations), mag * frac)
    else:                                                         # scikit-image's hard bins
        hard = np.floor(angle % np.pi * orientations / np.pi).astype(int) % orientations
        votes[rr, cc, hard] = mag
    side = block * cell
    sigma = side / 4.0 if win_sigma is None else float(win_sigma)
    d2 = (np.arange(side) - side / 2.0) ** 2
    gauss = np.exp(-(d2[:, None] + d2[None, :]) / (2 * sigma ** 2))       # (side, side)
    pos = (np.arange(side) + 0.5) / cell - 0.5                   # cell coordinate of a pixel
    if interpolate:
        cell_w = np.maximum(0, 1 - np.abs(pos[:, None] - np.arange(block)[None, :]))  # (side, block)
    else:                                                         # a pixel votes in its own cell
        cell_w = (np.arange(side)[:, None] // cell == np.arange(block)[None, :]).astype(float)
    weights = gauss[:, :, None, None] * cell_w[:, None, :, None] * cell_w[None, :, None, :]
    windows = np.lib.stride_tricks.sliding_window_view(votes, (side, side), axis=(0, 1))
    windows = windows[::cell, ::cell]                            # (nby, nbx, bins, side, side)
    hist = np.einsum("yxoij,ijab->yxabo", windows, weights)     # (nby, nbx, cy, cx, bins)
    flat = hist.transpose(1, 0, 3, 2, 4).reshape(hist.shape[1], hist.shape[0], -1)
    size = flat.shape[-1]
    flat = np.minimum(flat / (np.linalg.norm(flat, axis=-1, keepdims=True) + 0.1 * size),
                      l2hys_threshold)
    flat = flat / (np.linalg.norm(flat, axis=-1, keepdims=True) + 1e-3)
    return flat.ravel()


def skimage_to_opencv_order(blocks):
    """Reorder a non-flattened HOG (``feature_vector=False``) into OpenCV's layout.

    scikit-image: ``(block_row, block_col, cell_row, cell_col, orient)`` flattened row-major.
    OpenCV: ``(block_col, block_row, cell_col, cell_row, orient)``.
    """
    return np.asarray(blocks).transpose(1, 0, 3, 2, 4).ravel()


def import_cv2_hog():
    """Import OpenCV and check that it has ``cv2.HOGDescriptor``; return the ``cv2`` module.

    OpenCV 4.x has ``HOGDescriptor`` in every wheel; OpenCV 5 moved it to the contrib module
    ``xobjdetect``, so only the *contrib* wheels (``opencv-contrib-python-headless``, as on
    Colab) have it, and the plain ``opencv-python(-headless)`` 5.x wheels do not.

    Raises
    ------
    ImportError
        If OpenCV is missing, or is a build without ``HOGDescriptor``; the message says
        what to install.
    """
    hint = (f"pip install '{OPENCV_HOG_PACKAGE}>=4.8' (uninstall opencv-python and "
            f"opencv-python-headless first: they provide the same cv2 module)")
    try:
        import cv2
    except ImportError as err:
        raise ImportError(f"OpenCV is not installed; cv2.HOGDescriptor needs {hint}") from err
    if not hasattr(cv2, "HOGDescriptor"):
        version = getattr(cv2, "__version__", "?")
        raise ImportError(f"OpenCV {version} has no cv2.HOGDescriptor (OpenCV 5 moved it to the "
                          f"contrib module xobjdetect, which the plain opencv-python wheels lack): "
                          f"{hint}")
    return cv2


def opencv_hog(image, cell=8, block=2, orientations=9, gamma=True, win_sigma=None):
    """``cv2.HOGDescriptor.compute`` on one window covering the image (cropped to whole cells).

    Parameters
    ----------
    image : ndarray, shape (H, W), values in [0, 1]
        Quantised to uint8 (0..255), OpenCV's usual input.
    cell, block, orientations, gamma, win_sigma
        As :func:`hog_opencv_style`; ``win_sigma=None`` is OpenCV's default
        ``(block_w + block_h) / 8`` (passed as ``winSigma=-1``).

    Returns
    -------
    ndarray, shape (n_blocks_x * n_blocks_y * block * block * orientations,), float64
        OpenCV's float32 result, in OpenCV's order.

    Raises
    ------
    ValueError
        If the image is smaller than one block, or ``block**2 * orientations < 4`` (which
        makes ``cv2.HOGDescriptor.compute`` segfault in OpenCV 4.14, 5.0 and 5.1).
    ImportError
        If OpenCV is missing or has no ``HOGDescriptor`` (:func:`import_cv2_hog`).
    """
    image = check_ndim("image", image, 2, "grey H×W")
    cv2 = import_cv2_hog()
    h, w = image.shape[0] // cell * cell, image.shape[1] // cell * cell
    if h < block * cell or w < block * cell:
        raise ValueError(f"image {image.shape[0]}×{image.shape[1]} is smaller than one block "
                         f"({block * cell}×{block * cell} pixels)")
    if block * block * orientations < 4:
        # OpenCV's vectorised block normalisation reads 4 floats at a time: with fewer than 4
        # numbers per block (e.g. 1×1-cell blocks, 2 or 3 bins) the process segfaults
        # (4.14, 5.0, 5.1; tests/test_hog.py checks it in a subprocess)
        raise ValueError(f"cv2.HOGDescriptor crashes when block*block*orientations < 4; got "
                         f"block={block}, orientations={orientations} "
                         f"({block * block * orientations} numbers per block): use more bins")
    u8 = np.clip(np.round(np.asarray(image[:h, :w], np.float64) * 255), 0, 255).astype(np.uint8)
    sigma = -1.0 if win_sigma is None else float(win_sigma)
    # winSize, blockSize, blockStride, cellSize, nbins, derivAperture, winSigma,
    # histogramNormType (0 = L2Hys), L2HysThreshold, gammaCorrection
    descriptor = cv2.HOGDescriptor((w, h), (block * cell,) * 2, (cell, cell), (cell, cell),
                                   orientations, 1, sigma, 0, 0.2, bool(gamma))
    return descriptor.compute(u8).ravel().astype(np.float64)


def compare_with_opencv(image, cell=8, block=2, orientations=9, numpy_rows=True):
    """How far apart scikit-image's HOG and OpenCV's ``cv2.HOGDescriptor`` are on one window.

    :func:`hog` (= ``skimage.feature.hog``; L2-Hys, same cells and blocks, reordered to
    OpenCV's layout) against :func:`opencv_hog`, first each with its defaults, then
    matching OpenCV's switches: gamma on both, gamma off on both, and gamma off with a
    huge window σ (≈ no Gaussian window).  OpenCV has no switch for trilinear voting, so
    the last two rows use :func:`hog_opencv_style` (equal to ``cv2`` to float32 rounding)
    with voting off: once with the window kept, once without it.  Removing each of the two
    on its own shows what each contributes, independently of the order.

    Parameters
    ----------
    image : ndarray, shape (H, W), values in [0, 1]
    cell, block, orientations : int
    numpy_rows : bool
        Add the two rows without trilinear voting (computed in NumPy).

    Returns
    -------
    dict
        setting -> (cosine similarity, relative L2 error ``‖sk − cv‖ / ‖cv‖``), in the order
        defaults, gamma on both, gamma off on both, no window, [no voting, neither].
    """
    image = check_ndim("image", image, 2, "grey H×W")
    h, w = image.shape[0] // cell * cell, image.shape[1] // cell * cell
    quantised = np.clip(np.round(image[:h, :w] * 255), 0, 255) / 255.0   # the same pixels for both

    def measure(ours, ref):
        cos = float(ours @ ref / (np.linalg.norm(ours) * np.linalg.norm(ref)))
        return cos, float(np.linalg.norm(ours - ref) / np.linalg.norm(ref))

    def sk(gamma):
        return skimage_to_opencv_order(hog(quantised, orientations, cell, block, "L2-Hys",
                                           transform_sqrt=gamma, feature_vector=False))

    rows = {}
    settings = [("defaults (gamma only in OpenCV)", False, True, None),
                ("gamma on both", True, True, None),
                ("gamma off on both", False, False, None),
                ("gamma off, no window (winSigma=1e6)", False, False, 1e6)]
    for name, sk_gamma, cv_gamma, sigma in settings:
        rows[name] = measure(sk(sk_gamma), opencv_hog(quantised, cell, block, orientations,
                                                      cv_gamma, sigma))
    if numpy_rows:
        for name, sigma in (("gamma off, no trilinear voting (NumPy)", None),
                            ("gamma off, neither (NumPy)", 1e6)):
            rows[name] = measure(sk(False), hog_opencv_style(quantised, cell, block, orientations,
                                                             gamma=False, win_sigma=sigma,
                                                             interpolate=False))
    return rows
