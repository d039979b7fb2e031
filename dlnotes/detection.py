"""Boxes, IoU, non-maximum suppression, anchors and space-to-depth, in NumPy.

Boxes are ``(x1, y1, x2, y2)`` corners in continuous coordinates (torchvision's
convention: a box's width is ``x2 - x1``, no ``+ 1``).  The RoI operations live in
:mod:`dlnotes._roi` and are re-exported here.
"""
from __future__ import annotations

import numpy as np

from ._roi import (roi_align, roi_align_naive, roi_align_sampling_points, roi_pool,
                   roi_pool_bins, roi_pool_naive)
from ._validate import check_choice, check_int, check_ndim

__all__ = ["box_area", "box_iou", "nms", "nms_naive", "nms_steps", "batched_nms", "soft_nms",
           "base_anchors", "grid_anchors", "space_to_depth", "draw_boxes",
           "roi_pool", "roi_pool_naive", "roi_pool_bins", "roi_align", "roi_align_naive",
           "roi_align_sampling_points"]


def _check_boxes(name, boxes):
    """Return ``boxes`` as a float ``(K, 4)`` array with ``x2 >= x1`` and ``y2 >= y1``."""
    boxes = np.asarray(boxes)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{name} must have shape (K, 4) with rows (x1, y1, x2, y2), "
                         f"got shape {boxes.shape}")
    if not np.issubdtype(boxes.dtype, np.floating):
        boxes = boxes.astype(np.float64)
    bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{k}] = {boxes[k]} has x2 < x1 or y2 < y1; boxes are corners "
                         f"(x1, y1, x2, y2), not (x, y, w, h)")
    return boxes


def box_area(boxes):
    """Areas ``(x2 - x1)·(y2 - y1)`` of ``boxes`` (K, 4) → (K,)."""
    boxes = _check_boxes("boxes", boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    """Intersection over union of every pair, equal to ``torchvision.ops.box_iou``.

    $$\\mathrm{IoU}(A, B) = \\frac{|A \\cap B|}{|A| + |B| - |A \\cap B|}$$

    Parameters
    ----------
    boxes1 : ndarray, shape (N, 4)
    boxes2 : ndarray, shape (M, 4)

    Returns
    -------
    ndarray, shape (N, M)
        NaN where both boxes have zero area (0/0), as torchvision.
    """
    boxes1 = _check_boxes("boxes1", boxes1)
    boxes2 = _check_boxes("boxes2", boxes2)
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])      # (N,)
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])      # (M,)
    lt = np.maximum(boxes1[:, None, :2], boxes2[None, :, :2])                  # (N, M, 2)
    rb = np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])                  # (N, M, 2)
    wh = np.maximum(rb - lt, 0)
    inter = wh[..., 0] * wh[..., 1]                                            # (N, M)
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / (area1[:, None] + area2[None, :] - inter)


def _check_scores(boxes, scores, iou_threshold):
    boxes = _check_boxes("boxes", boxes)
    scores = check_ndim("scores", scores, 1, "one score per box")
    if len(scores) != len(boxes):
        raise ValueError(f"scores has {len(scores)} entries but boxes has {len(boxes)} rows")
    if not np.isfinite(iou_threshold):
        raise ValueError(f"iou_threshold must be a finite number, got {iou_threshold!r}")
    return boxes, scores


def nms(boxes, scores, iou_threshold):
    """Greedy non-maximum suppression, equal to ``torchvision.ops.nms``.

    Visit boxes by decreasing score; keep a box unless an already kept box overlaps it
    with IoU **strictly greater** than ``iou_threshold``.

    Parameters
    ----------
    boxes : ndarray, shape (K, 4)
    scores : ndarray, shape (K,)
    iou_threshold : float

    Returns
    -------
    ndarray, shape (M,), int64
        Indices of the kept boxes, by decreasing score (ties: lower index first).

    Notes
    -----
    Neubeck & Van Gool, "Efficient Non-Maximum Suppression", ICPR 2006; the greedy form
    used since R-CNN (Girshick et al., CVPR 2014).  Only kept boxes compute IoUs, each against
    all later boxes at once (O(kept·K) work, no K×K matrix), with torchvision's arithmetic
    ``inter / (area_i + area_j - inter)`` in the boxes' dtype, compared in float64 like
    C++'s float-vs-double ``ovr > iou_threshold``.
    """
    boxes, scores = _check_scores(boxes, scores, iou_threshold)
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes[order].T                            # each (K,), visiting order
    area = (x2 - x1) * (y2 - y1)
    zero = boxes.dtype.type(0)
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(len(order)):
            if suppressed[i]:
                continue
            keep.append(order[i])
            w = np.maximum(zero, np.minimum(x2[i], x2[i + 1:]) - np.maximum(x1[i], x1[i + 1:]))
            h = np.maximum(zero, np.minimum(y2[i], y2[i + 1:]) - np.maximum(y1[i], y1[i + 1:]))
            inter = w * h
            iou = inter / (area[i] + area[i + 1:] - inter)    # NaN (0/0) > t is False
            suppressed[i + 1:] |= iou.astype(np.float64) > iou_threshold
    return np.asarray(keep, dtype=np.int64)


def nms_naive(boxes, scores, iou_threshold):
    """Pair-by-pair loop version of :func:`nms`, as torchvision's C++ kernel."""
    boxes, scores = _check_scores(boxes, scores, iou_threshold)
    order = np.argsort(-scores, kind="stable")
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    suppressed = np.zeros(len(boxes), dtype=bool)
    keep = []
    for a, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        for j in order[a + 1:]:
            if suppressed[j]:
                continue
            w = max(0.0, min(boxes[i, 2], boxes[j, 2]) - max(boxes[i, 0], boxes[j, 0]))
            h = max(0.0, min(boxes[i, 3], boxes[j, 3]) - max(boxes[i, 1], boxes[j, 1]))
            inter = w * h
            with np.errstate(invalid="ignore", divide="ignore"):
                if float(inter / (area[i] + area[j] - inter)) > iou_threshold:
                    suppressed[j] = True
    return np.asarray(keep, dtype=np.int64)


def nms_steps(boxes, scores, iou_threshold):
    """Greedy NMS as a list of steps, for drawing: one ``(kept, suppressed_now)`` per kept box.

    Returns
    -------
    list of (int, ndarray of int)
        The box kept at this step and the boxes it suppresses (original indices).
    """
    boxes, scores = _check_scores(boxes, scores, iou_threshold)
    order = np.argsort(-scores, kind="stable")
    iou = box_iou(boxes, boxes).astype(np.float64)
    alive = np.ones(len(boxes), dtype=bool)
    steps = []
    for i in order:
        if not alive[i]:
            continue
        alive[i] = False
        hit = np.flatnonzero(alive & (iou[i] > iou_threshold))
        alive[hit] = False
        steps.append((int(i), hit))
    return steps


def batched_nms(boxes, scores, idxs, iou_threshold):
    """NMS within each category separately, equal to ``torchvision.ops.batched_nms``.

    Parameters
    ----------
    boxes : ndarray, shape (K, 4)
    scores : ndarray, shape (K,)
    idxs : ndarray, shape (K,), int
        Category (or image) of each box; boxes of different categories never suppress
        each other.
    iou_threshold : float

    Returns
    -------
    ndarray, shape (M,), int64
        Kept indices by decreasing score.

    Notes
    -----
    torchvision (0.29, ``torchvision.ops.boxes.batched_nms``) offsets each category's boxes
    by ``idx·(max_coordinate + 1)`` so that one NMS call does all, when
    ``boxes.numel() <= 4000`` on the CPU (1000 boxes; 100000 numbers on the GPU) and
    otherwise loops over the categories; the shift can change an IoU in the last bit.  We
    always loop over the categories, which is the exact definition.
    """
    boxes, scores = _check_scores(boxes, scores, iou_threshold)
    idxs = check_ndim("idxs", idxs, 1, "one category per box")
    if len(idxs) != len(boxes):
        raise ValueError(f"idxs has {len(idxs)} entries but boxes has {len(boxes)} rows")
    keep = [np.flatnonzero(idxs == k)[nms(boxes[idxs == k], scores[idxs == k], iou_threshold)]
            for k in np.unique(idxs)]
    keep = np.concatenate(keep) if keep else np.zeros(0, dtype=np.int64)
    return keep[np.argsort(-scores[keep], kind="stable")].astype(np.int64)


def soft_nms(boxes, scores, iou_threshold=0.3, sigma=0.5, score_threshold=0.001,
             method="linear"):
    """Soft-NMS: decay the scores of overlapping boxes instead of removing them.

    Repeatedly take the remaining box ``M`` with the highest (current) score; every other
    remaining box ``b`` gets
    ``s ← s·(1 − IoU(M, b))`` if ``IoU ≥ iou_threshold`` (``'linear'``) or
    ``s ← s·exp(−IoU(M, b)² / sigma)`` (``'gaussian'``, for every box); boxes whose score
    falls below ``score_threshold`` are dropped.

    Parameters
    ----------
    boxes : ndarray, shape (K, 4)
    scores : ndarray, shape (K,)
    iou_threshold : float
        ``N_t`` of the linear rule.
    sigma : float
        Width of the Gaussian rule.
    score_threshold : float
    method : {'linear', 'gaussian'}

    Returns
    -------
    keep : ndarray, shape (M,), int64
        Indices in the order they were selected.
    new_scores : ndarray, shape (M,)
        Their decayed scores at selection time (non-increasing).

    Notes
    -----
    Bodla et al., "Soft-NMS — Improving Object Detection With One Line of Code",
    ICCV 2017 (arXiv:1704.04503), Algorithm 1 and Eqs. 2-3.
    """
    boxes, scores = _check_scores(boxes, scores, iou_threshold)
    check_choice("method", method, ("linear", "gaussian"))
    if method == "gaussian" and not sigma > 0:
        raise ValueError(f"sigma must be > 0 for the Gaussian rule, got {sigma!r}")
    iou = box_iou(boxes, boxes)
    s = scores.astype(np.float64).copy()
    alive = s >= score_threshold
    keep, kept_scores = [], []
    while alive.any():
        m = int(np.flatnonzero(alive)[np.argmax(s[alive])])
        keep.append(m)
        kept_scores.append(s[m])
        alive[m] = False
        o = np.nan_to_num(iou[m])
        if method == "linear":
            decay = np.where(o >= iou_threshold, 1 - o, 1.0)
        else:
            decay = np.exp(-o ** 2 / sigma)
        s = np.where(alive, s * decay, s)
        alive &= s >= score_threshold
    return np.asarray(keep, dtype=np.int64), np.asarray(kept_scores)


def base_anchors(sizes=(128, 256, 512), aspect_ratios=(0.5, 1.0, 2.0), dtype=np.float32):
    """Zero-centred anchors for every (ratio, size) pair, as torchvision's ``AnchorGenerator``.

    For ratio ``r = h / w`` and size ``s`` the anchor has area ``s²``: ``h = s·√r``,
    ``w = s/√r``, rounded to integers (half to even, as ``torch.round``).

    Returns
    -------
    ndarray, shape (len(aspect_ratios) * len(sizes), 4)
        Rows ``[-w/2, -h/2, w/2, h/2]``, ratio-major.

    Notes
    -----
    Ren et al., "Faster R-CNN", NeurIPS 2015, §3.1.1 (3 scales × 3 ratios = 9 anchors).
    """
    sizes = np.asarray(sizes, dtype=dtype)
    ratios = np.asarray(aspect_ratios, dtype=dtype)
    if np.any(sizes <= 0) or np.any(ratios <= 0):
        raise ValueError(f"sizes and aspect_ratios must be positive, got {sizes} and {ratios}")
    h_ratios = np.sqrt(ratios)
    w_ratios = dtype(1) / h_ratios
    ws = (w_ratios[:, None] * sizes[None, :]).ravel()
    hs = (h_ratios[:, None] * sizes[None, :]).ravel()
    return np.round(np.stack([-ws, -hs, ws, hs], axis=1) / dtype(2))


def grid_anchors(anchors, grid_size, stride):
    """Place ``anchors`` (A, 4) at every feature-map cell: shifts ``(x·stride_w, y·stride_h)``.

    Parameters
    ----------
    anchors : ndarray, shape (A, 4)
    grid_size : (int, int)
        Feature map ``(H, W)``.
    stride : (int, int)
        Image pixels per cell ``(stride_h, stride_w)``.

    Returns
    -------
    ndarray, shape (H * W * A, 4)
        Cell-major (row by row), anchors innermost — torchvision's order.
    """
    anchors = check_ndim("anchors", anchors, 2, "A, 4")
    gh, gw = (check_int("grid_size", g, 1) for g in grid_size)
    sh, sw = (check_int("stride", s, 1) for s in stride)
    ys, xs = np.meshgrid(np.arange(gh) * sh, np.arange(gw) * sw, indexing="ij")
    shifts = np.stack([xs, ys, xs, ys], axis=-1).reshape(-1, 1, 4).astype(anchors.dtype)
    return (shifts + anchors[None]).reshape(-1, 4)


def space_to_depth(x, block_size):
    """Passthrough / reorg: move each ``r×r`` spatial block into channels (``F.pixel_unshuffle``).

    ``out[n, c·r² + i·r + j, h, w] = x[n, c, h·r + i, w·r + j]``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        ``H`` and ``W`` divisible by ``block_size``.
    block_size : int

    Returns
    -------
    ndarray, shape (N, C·r², H/r, W/r)

    Notes
    -----
    YOLOv2's passthrough layer (Redmon & Farhadi, CVPR 2017, §"Fine-Grained Features")
    brings a 26×26×512 map to 13×13×2048 this way, then concatenates it with the deep
    13×13 features.  Darknet's ``reorg`` orders channels differently; any fixed order is
    fine because the next convolution learns its weights.
    """
    x = check_ndim("x", x, 4, "N, C, H, W")
    r = check_int("block_size", block_size, 1)
    n, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(f"spatial size {h}×{w} is not divisible by block_size={r}; "
                         f"crop or pad to a multiple of {r}")
    y = x.reshape(n, c, h // r, r, w // r, r)                   # (N, C, H/r, r, W/r, r)
    return y.transpose(0, 1, 3, 5, 2, 4).reshape(n, c * r * r, h // r, w // r)


def draw_boxes(boxes, ax=None, labels=None, colors="tab:blue", linestyle="-", linewidth=1.5,
               alpha=1.0, fontsize=8, label_background=True, label_inside=False):
    """Draw ``(x1, y1, x2, y2)`` boxes as rectangles (image coordinates, y down).

    Parameters
    ----------
    boxes : array_like, shape (K, 4)
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        One label per box, written at its top-left corner.
    colors : colour or sequence of K colours
    linestyle, linewidth, alpha
        Of the rectangles.
    fontsize : float
        Of the labels, in points.
    label_background : bool
        Write each label on a patch of its box's colour, in black or white
        (:func:`dlnotes.plotting.text_color_for`), so that it reads on any photo;
        otherwise in the box's colour.
    label_inside : bool
        Write the label just inside the box's top-left corner instead of above it (for boxes
        that touch the top of the image).

    Returns
    -------
    matplotlib Axes
    """
    from .plotting import text_color_for

    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    colors = [colors] * len(boxes) if isinstance(colors, str) else list(colors)
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colors[k],
                               linestyle=linestyle, linewidth=linewidth, alpha=alpha))
        if labels is not None:
            style = dict(fontsize=fontsize, va="top" if label_inside else "bottom")
            if label_background:
                style.update(color=text_color_for(colors[k]),
                             bbox=dict(facecolor=colors[k], edgecolor="none", pad=1))
            else:
                style.update(color=colors[k])
            ax.text(x1, y1, labels[k], **style)
    return ax
