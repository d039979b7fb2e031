"""RoI Pooling (Fast R-CNN) and RoI Align (Mask R-CNN) in NumPy, equal to torchvision.ops.

Re-exported from :mod:`dlnotes.detection`.  ``input`` is ``(N, C, H, W)``; ``boxes`` is
``(K, 5)`` with rows ``[batch_index, x1, y1, x2, y2]`` in image coordinates, mapped to the
feature map by ``spatial_scale`` (e.g. 1/32 for stride 32).
"""
from __future__ import annotations

import numpy as np

from ._validate import check_int, check_ndim, pair

__all__ = ["roi_pool", "roi_pool_naive", "roi_pool_bins", "roi_align", "roi_align_naive",
           "roi_align_sampling_points"]

_FLT_MAX = float(np.finfo(np.float32).max)   # torchvision starts its max at -FLT_MAX


def _round_half_away(x):
    """C's ``std::round``: halves go away from zero (NumPy's ``round`` goes to even)."""
    a = np.abs(x)
    f = np.floor(a)
    return np.sign(x) * (f + (a - f >= 0.5))


def _check_rois(input, boxes, output_size, spatial_scale):
    """Validate the shared arguments; return (input, boxes, (ph, pw), batch indices)."""
    input = check_ndim("input", input, 4, "N, C, H, W")
    if not np.issubdtype(input.dtype, np.floating):
        raise TypeError(f"input must be a float array, got dtype {input.dtype}; "
                        f"convert with input.astype(np.float32)")
    boxes = np.asarray(boxes)
    if boxes.ndim != 2 or boxes.shape[1] != 5:
        raise ValueError(f"boxes must have shape (K, 5) with rows [batch_index, x1, y1, x2, y2], "
                         f"got shape {boxes.shape}; prepend the batch index column to (K, 4) boxes")
    boxes = boxes.astype(input.dtype)
    ph, pw = pair("output_size", output_size, minimum=1)
    if not np.isfinite(spatial_scale) or spatial_scale <= 0:
        raise ValueError(f"spatial_scale must be a positive number (e.g. 1/32 for stride 32), "
                         f"got {spatial_scale!r}")
    if not np.all(np.isfinite(boxes)):
        raise ValueError("boxes contain NaN or inf")
    batch = boxes[:, 0]
    if np.any(batch != np.floor(batch)) or np.any(batch < 0) or np.any(batch >= input.shape[0]):
        raise ValueError(f"boxes[:, 0] must be integer batch indices in [0, {input.shape[0]}), "
                         f"got {np.unique(batch)[:5]}")
    neg = (boxes[:, 3] < boxes[:, 1]) | (boxes[:, 4] < boxes[:, 2])
    if np.any(neg):
        k = int(np.flatnonzero(neg)[0])
        raise ValueError(f"box {k} has a negative size (x2 < x1 or y2 < y1): {boxes[k, 1:]}; "
                         f"boxes are (x1, y1, x2, y2) corners, not (x, y, w, h)")
    return input, boxes, (ph, pw), batch.astype(np.int64)


# --------------------------------------------------------------------------- RoI Pooling
def roi_pool_bins(boxes, output_size, spatial_scale=1.0, height=None, width=None,
                  dtype=np.float64):
    """Integer bin edges of RoI Pooling, as torchvision computes them.

    Two quantisations: the box corners are rounded to feature cells
    (``round(x·scale)``, halves away from zero, and the box spans ``x2 - x1 + 1`` cells);
    then bin ``p`` spans ``[floor(p·s), ceil((p+1)·s))`` cells with ``s = size / pooled``
    (so neighbouring bins may overlap by one cell), shifted by the box start and clipped
    to ``[0, height]`` / ``[0, width]`` when those are given.

    Parameters
    ----------
    boxes : ndarray, shape (K, 4) or (K, 5)
        ``[x1, y1, x2, y2]`` (a leading batch column is dropped).
    output_size : int or (int, int)
    spatial_scale : float
    height, width : int, optional
        Feature-map size for clipping.
    dtype : numpy float dtype
        The arithmetic precision (torchvision computes in the input's dtype).

    Returns
    -------
    hstart, hend : ndarray, shape (K, PH), int64
    wstart, wend : ndarray, shape (K, PW), int64
    """
    ph, pw = pair("output_size", output_size, minimum=1)
    boxes = np.asarray(boxes, dtype=dtype)[:, -4:]                       # (K, 4)
    corners = _round_half_away(boxes * dtype(spatial_scale)).astype(np.int64)
    x1, y1, x2, y2 = corners.T
    roi_w = np.maximum(x2 - x1 + 1, 1).astype(dtype)                     # (K,)
    roi_h = np.maximum(y2 - y1 + 1, 1).astype(dtype)

    def edges(start, size, pooled, limit):
        step = (size / dtype(pooled))[:, None]                           # (K, 1)
        p = np.arange(pooled, dtype=dtype)[None, :]
        lo = np.floor(p * step).astype(np.int64) + start[:, None]        # (K, pooled)
        hi = np.ceil((p + 1) * step).astype(np.int64) + start[:, None]
        if limit is not None:
            lo, hi = np.clip(lo, 0, limit), np.clip(hi, 0, limit)
        return lo, hi

    hstart, hend = edges(y1, roi_h, ph, height)
    wstart, wend = edges(x1, roi_w, pw, width)
    return hstart, hend, wstart, wend


def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """RoI max pooling, exactly equal to ``torchvision.ops.roi_pool``.

    Parameters
    ----------
    input : ndarray, shape (N, C, H, W), float
    boxes : ndarray, shape (K, 5)
        Rows ``[batch_index, x1, y1, x2, y2]`` in image coordinates.
    output_size : int or (int, int)
        ``(PH, PW)``.
    spatial_scale : float
        Image → feature-map scale (1/stride).

    Returns
    -------
    ndarray, shape (K, C, PH, PW), input's dtype
        The maximum over each bin; 0 for an empty bin (a bin clipped away by the border).

    Raises
    ------
    ValueError
        Boxes not ``(K, 5)``, a bad batch index, a negative box size, a non-positive
        output size or scale.

    Notes
    -----
    Girshick, "Fast R-CNN", ICCV 2015, §2.1.  torchvision rounds each corner with
    ``std::round`` and makes the box ``x2 - x1 + 1`` cells wide; a bin spans
    ``[floor(p·s), ceil((p+1)·s))``.  NaNs are skipped, as torchvision's ``>`` test skips
    them.  Unlike torchvision we reject boxes with ``x2 < x1`` (torchvision silently makes
    them 1×1).
    """
    input, boxes, (ph, pw), batch = _check_rois(input, boxes, output_size, spatial_scale)
    _, c, h, w = input.shape
    hs, he, ws, we = roi_pool_bins(boxes, (ph, pw), spatial_scale, h, w, input.dtype.type)
    out = np.zeros((len(boxes), c, ph, pw), dtype=input.dtype)
    for k in range(len(boxes)):              # max is separable: over columns, then rows
        r0, r1 = hs[k].min(), max(he[k].max(), hs[k].min())   # crop to the rows/cols used
        c0, c1 = ws[k].min(), max(we[k].max(), ws[k].min())
        x = input[batch[k], :, r0:r1, c0:c1]                             # (C, h', w')
        rows, cols = np.arange(r0, r1), np.arange(c0, c1)
        mask_w = (cols >= ws[k, :, None]) & (cols < we[k, :, None])     # (PW, w')
        mask_h = (rows >= hs[k, :, None]) & (rows < he[k, :, None])     # (PH, h')
        hh, ww = x.shape[1:]
        col_max = np.fmax.reduce(np.broadcast_to(x[:, :, None, :], (c, hh, pw, ww)), axis=3,
                                 where=mask_w[None, None], initial=-np.inf)  # (C, h', PW)
        m = np.fmax.reduce(np.broadcast_to(col_max[:, None], (c, ph, hh, pw)), axis=2,
                           where=mask_h[None, :, :, None], initial=-np.inf)  # (C, PH, PW)
        empty = (he[k] <= hs[k])[:, None] | (we[k] <= ws[k])[None, :]    # (PH, PW)
        out[k] = np.where(empty, 0, np.maximum(m, -_FLT_MAX))
    return out


def roi_pool_naive(input, boxes, output_size, spatial_scale=1.0):
    """Loop version of :func:`roi_pool` (same result), for reading and testing."""
    input, boxes, (ph, pw), batch = _check_rois(input, boxes, output_size, spatial_scale)
    _, c, h, w = input.shape
    hs, he, ws, we = roi_pool_bins(boxes, (ph, pw), spatial_scale, h, w, input.dtype.type)
    out = np.zeros((len(boxes), c, ph, pw), dtype=input.dtype)
    for k in range(len(boxes)):
        for i in range(ph):
            for j in range(pw):
                if he[k, i] <= hs[k, i] or we[k, j] <= ws[k, j]:
                    continue                                   # empty bin -> 0
                for ch in range(c):
                    best = -_FLT_MAX
                    for y in range(hs[k, i], he[k, i]):
                        for x in range(ws[k, j], we[k, j]):
                            if input[batch[k], ch, y, x] > best:
                                best = input[batch[k], ch, y, x]
                    out[k, ch, i, j] = best
    return out


# --------------------------------------------------------------------------- RoI Align
def roi_align_sampling_points(boxes, output_size, spatial_scale=1.0, sampling_ratio=-1,
                              aligned=False, dtype=np.float64):
    """Where RoI Align samples: per box, the bin grid and the regular sample points in each bin.

    Parameters
    ----------
    boxes : ndarray, shape (K, 4) or (K, 5)
    output_size, spatial_scale, sampling_ratio, aligned
        As :func:`roi_align`.

    Returns
    -------
    list of dict, one per box, with
        ``start`` (x, y), ``bin_size`` (w, h) in feature-map units (continuous, no rounding);
        ``grid`` (gh, gw) samples per bin; ``y`` shape (PH, gh) and ``x`` shape (PW, gw):
        sample coordinates, the samples of bin ``(i, j)`` being ``y[i] × x[j]``.
    """
    ph, pw = pair("output_size", output_size, minimum=1)
    boxes = np.asarray(boxes, dtype=dtype)[:, -4:]
    offset = dtype(0.5) if aligned else dtype(0.0)
    scaled = boxes * dtype(spatial_scale) - offset                      # (K, 4)
    size_w = scaled[:, 2] - scaled[:, 0]
    size_h = scaled[:, 3] - scaled[:, 1]
    if not aligned:                                   # legacy: force malformed RoIs to 1×1
        size_w, size_h = np.maximum(size_w, 1), np.maximum(size_h, 1)
    out = []
    for k in range(len(boxes)):
        bin_h, bin_w = size_h[k] / dtype(ph), size_w[k] / dtype(pw)
        gh = sampling_ratio if sampling_ratio > 0 else int(np.ceil(size_h[k] / dtype(ph)))
        gw = sampling_ratio if sampling_ratio > 0 else int(np.ceil(size_w[k] / dtype(pw)))
        iy = (np.arange(max(gh, 0), dtype=dtype) + dtype(0.5))
        ix = (np.arange(max(gw, 0), dtype=dtype) + dtype(0.5))
        y = (scaled[k, 1] + np.arange(ph, dtype=dtype)[:, None] * bin_h
             + iy[None] * bin_h / dtype(gh))                                    # (PH, gh)
        x = (scaled[k, 0] + np.arange(pw, dtype=dtype)[:, None] * bin_w
             + ix[None] * bin_w / dtype(gw))                                    # (PW, gw)
        out.append(dict(start=(scaled[k, 0], scaled[k, 1]), bin_size=(bin_w, bin_h),
                        grid=(max(gh, 0), max(gw, 0)), y=y, x=x))
    return out


def _bilinear_1d(coord, size):
    """torchvision's per-axis bilinear rule: indices (low, high), weights, validity.

    A sample more than one cell outside the map (``< -1`` or ``> size``) contributes 0;
    otherwise it is clamped to ``[0, size - 1]``.
    """
    valid = (coord >= -1.0) & (coord <= size)
    c = np.maximum(coord, 0)
    low = np.floor(c).astype(np.int64)
    at_end = low >= size - 1
    low = np.where(at_end, size - 1, low)
    high = np.where(at_end, size - 1, low + 1)
    c = np.where(at_end, low.astype(c.dtype), c)
    frac = c - low
    return low, high, (1 - frac) * valid, frac * valid


def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """RoI Align, equal to ``torchvision.ops.roi_align`` (vectorised NumPy).

    Each of the ``PH×PW`` bins of the (unrounded) box gets a regular grid of
    ``gh×gw`` sample points; each sample is bilinearly interpolated from its four
    neighbouring feature cells and the bin's output is the **average** of its samples.

    Parameters
    ----------
    input : ndarray, shape (N, C, H, W), float
    boxes : ndarray, shape (K, 5)
        Rows ``[batch_index, x1, y1, x2, y2]`` in image coordinates.
    output_size : int or (int, int)
    spatial_scale : float
    sampling_ratio : int
        Samples per bin along each axis; ``-1`` (any negative) means adaptive,
        ``ceil(box_size / output_size)``.
    aligned : bool
        Shift the box by -0.5 cell so that pixel centres line up (Detectron2); the legacy
        ``False`` also forces boxes smaller than one cell up to one cell.

    Returns
    -------
    ndarray, shape (K, C, PH, PW), input's dtype

    Raises
    ------
    ValueError
        As :func:`roi_pool`, and for ``sampling_ratio == 0``.

    Notes
    -----
    He et al., "Mask R-CNN", ICCV 2017, §3 (RoIAlign).  The paper allows max or average
    over the samples; torchvision (and Detectron2) average.  torchvision treats
    ``sampling_ratio=0`` as adaptive; we reject it and ask for ``-1`` so the intent is
    explicit.  The bilinear weights are separable, so each bin is
    ``A_y · X · A_xᵀ`` with sparse interpolation rows: we gather the two rows × two columns
    around every sample and contract rows, then columns.
    """
    sampling_ratio = check_int("sampling_ratio", sampling_ratio)
    if sampling_ratio == 0:
        raise ValueError("sampling_ratio=0 is ambiguous; use sampling_ratio=-1 for the adaptive "
                         "grid ceil(roi_size / output_size) or a positive number of samples "
                         "per bin")
    input, boxes, (ph, pw), batch = _check_rois(input, boxes, output_size, spatial_scale)
    n, c, h, w = input.shape
    dt = input.dtype.type
    points = roi_align_sampling_points(boxes, (ph, pw), spatial_scale, sampling_ratio, aligned, dt)
    out = np.zeros((len(boxes), c, ph, pw), dtype=input.dtype)
    grids = np.array([p["grid"] for p in points]).reshape(-1, 2)
    channels_last = input.transpose(0, 2, 3, 1)                         # (N, H, W, C)
    for gh, gw in {tuple(g) for g in grids}:
        if gh == 0 or gw == 0:
            continue                                # no samples: the bin stays 0
        ks = np.flatnonzero((grids[:, 0] == gh) & (grids[:, 1] == gw))
        per_box = ph * gh * 2 * pw * gw * 2 * c
        for chunk in np.array_split(ks, max(1, len(ks) * per_box // 4_000_000)):
            y = np.stack([points[k]["y"] for k in chunk])               # (k, PH, gh)
            x = np.stack([points[k]["x"] for k in chunk])               # (k, PW, gw)
            ylo, yhi, wylo, wyhi = _bilinear_1d(y, h)
            xlo, xhi, wxlo, wxhi = _bilinear_1d(x, w)
            m = len(chunk)
            ridx = np.stack([ylo, yhi], -1).reshape(m, -1, 1)           # (k, PH*gh*2, 1)
            cidx = np.stack([xlo, xhi], -1).reshape(m, 1, -1)           # (k, 1, PW*gw*2)
            rw = np.stack([wylo, wyhi], -1).reshape(m, ph, gh * 2)      # (k, PH, gh*2)
            cw = np.stack([wxlo, wxhi], -1).reshape(m, pw, gw * 2)      # (k, PW, gw*2)
            # the four neighbours of every sample, gathered at once
            vals = channels_last[batch[chunk][:, None, None], ridx, cidx]  # (k, R, S, C)
            vals = vals.reshape(m, ph, gh * 2, pw, gw * 2, c)
            rows = np.einsum("kpr,kprqsc->kpqsc", rw, vals)             # (k, PH, PW, gw*2, C)
            out[chunk] = np.einsum("kpqsc,kqs->kcpq", rows, cw) / dt(gh * gw)
    return out


def roi_align_naive(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1,
                    aligned=False):
    """Loop version of :func:`roi_align`, sample by sample as torchvision's C++ kernel."""
    sampling_ratio = check_int("sampling_ratio", sampling_ratio)
    if sampling_ratio == 0:
        raise ValueError("sampling_ratio=0 is ambiguous; use -1 (adaptive) or a positive count")
    input, boxes, (ph, pw), batch = _check_rois(input, boxes, output_size, spatial_scale)
    _, c, h, w = input.shape
    points = roi_align_sampling_points(boxes, (ph, pw), spatial_scale, sampling_ratio, aligned,
                                       input.dtype.type)
    out = np.zeros((len(boxes), c, ph, pw), dtype=input.dtype)
    for k, pt in enumerate(points):
        gh, gw = pt["grid"]
        x_map = input[batch[k]]
        for i in range(ph):
            for j in range(pw):
                acc = np.zeros(c)
                for yy in pt["y"][i]:
                    for xx in pt["x"][j]:
                        if yy < -1.0 or yy > h or xx < -1.0 or xx > w:
                            continue
                        yl, yh, wyl, wyh = (v.item() for v in _bilinear_1d(np.array(yy), h))
                        xl, xh, wxl, wxh = (v.item() for v in _bilinear_1d(np.array(xx), w))
                        acc += (wyl * wxl * x_map[:, yl, xl] + wyl * wxh * x_map[:, yl, xh]
                                + wyh * wxl * x_map[:, yh, xl] + wyh * wxh * x_map[:, yh, xh])
                out[k, :, i, j] = acc / max(gh * gw, 1)
    return out
