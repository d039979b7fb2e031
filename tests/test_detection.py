"""IoU, NMS, batched NMS, soft-NMS, anchors and space-to-depth against torchvision/torch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision.ops as ops
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList

from dlnotes import detection as det


@st.composite
def box_sets(draw, max_boxes=25):
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    k = draw(st.integers(0, max_boxes))
    xy = rng.uniform(0, 30, (k, 2))
    wh = rng.uniform(0, 15, (k, 2))
    if draw(st.booleans()):                          # integer boxes: many exact ties in IoU
        xy, wh = np.round(xy), np.round(wh)
    scores = rng.random(k)
    if draw(st.booleans()):
        scores = np.round(scores * 4) / 4            # tied scores
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    thr = draw(st.sampled_from([0.0, 0.25, 1 / 3, 0.5, 0.7, 1.0]))
    idxs = rng.integers(0, 3, k)
    return np.concatenate([xy, xy + wh], 1).astype(dtype), scores.astype(dtype), thr, idxs


def t(a):
    return torch.from_numpy(np.asarray(a))


@settings(max_examples=60, deadline=None)
@given(cfg=box_sets())
def test_nms_and_box_iou_equal_torchvision(cfg):
    boxes, scores, thr, _ = cfg
    np.testing.assert_array_equal(det.nms(boxes, scores, thr), ops.nms(t(boxes), t(scores), thr))
    np.testing.assert_array_equal(det.nms_naive(boxes, scores, thr), det.nms(boxes, scores, thr))
    np.testing.assert_array_equal(det.box_iou(boxes, boxes[:4]),
                                  ops.box_iou(t(boxes), t(boxes[:4])).numpy())
    steps = det.nms_steps(boxes, scores, thr)
    np.testing.assert_array_equal([k for k, _ in steps], det.nms(boxes, scores, thr))
    if len(boxes):
        gone = np.concatenate([s for _, s in steps] + [[k for k, _ in steps]])
        assert sorted(gone) == list(range(len(boxes)))   # every box is kept or suppressed once


@settings(max_examples=40, deadline=None)
@given(cfg=box_sets())
def test_batched_nms_equals_torchvision(cfg):
    boxes, scores, thr, idxs = cfg
    scores = np.random.default_rng(len(boxes)).permutation(len(boxes)).astype(boxes.dtype)
    np.testing.assert_array_equal(det.batched_nms(boxes, scores, idxs, thr),
                                  ops.batched_nms(t(boxes), t(scores), t(idxs), thr))


def test_iou_exactly_at_the_threshold_is_kept():
    # IoU = 1/2 exactly; torchvision suppresses only when IoU > threshold
    boxes = np.array([[0, 0, 2, 1], [0, 0, 1, 1]], dtype=np.float64)
    scores = np.array([0.9, 0.8])
    assert det.box_iou(boxes[:1], boxes[1:])[0, 0] == 0.5
    for thr, kept in [(0.5, [0, 1]), (0.4999, [0])]:
        np.testing.assert_array_equal(det.nms(boxes, scores, thr), kept)
        np.testing.assert_array_equal(ops.nms(t(boxes), t(scores), thr), kept)


def test_float32_iou_compared_in_double():
    # IoU 1/3 in float32 is 0.3333333433 > the double 1/3: suppressed, as in torchvision
    boxes = np.array([[0, 0, 2, 1], [1, 0, 3, 1]], dtype=np.float32)
    scores = np.array([0.9, 0.8], dtype=np.float32)
    np.testing.assert_array_equal(det.nms(boxes, scores, 1 / 3),
                                  ops.nms(t(boxes), t(scores), 1 / 3))
    np.testing.assert_array_equal(det.nms(boxes.astype(float), scores, 1 / 3), [0, 1])


def test_zero_area_boxes_give_nan_iou_and_are_never_suppressed():
    boxes = np.array([[1, 1, 1, 1], [1, 1, 1, 1]], dtype=np.float64)
    assert np.isnan(det.box_iou(boxes, boxes)).all()
    np.testing.assert_array_equal(det.nms(boxes, np.array([0.5, 0.4]), 0.0), [0, 1])


def soft_nms_reference(boxes, scores, nt, sigma, thresh, method):
    """Algorithm 1 of Bodla et al. (2017), literally."""
    b = list(range(len(boxes)))
    s = list(np.asarray(scores, dtype=float))
    keep, kept = [], []
    while b:
        m = max(b, key=lambda i: (s[i], -i))
        keep.append(m)
        kept.append(s[m])
        b.remove(m)
        for i in list(b):
            o = det.box_iou(boxes[[m]], boxes[[i]])[0, 0]
            o = 0.0 if np.isnan(o) else o
            if method == "linear":
                s[i] = s[i] * (1 - o) if o >= nt else s[i]
            else:
                s[i] = s[i] * np.exp(-o * o / sigma)
            if s[i] < thresh:
                b.remove(i)
    return keep, kept


@settings(max_examples=30, deadline=None)
@given(cfg=box_sets(), method=st.sampled_from(["linear", "gaussian"]))
def test_soft_nms_follows_the_paper(cfg, method):
    boxes, scores, thr, _ = cfg
    boxes = boxes.astype(np.float64)
    scores = np.random.default_rng(len(boxes)).random(len(boxes))   # distinct scores
    keep, kept = det.soft_nms(boxes, scores, 0.3, 0.5, 0.05, method)
    ref_keep, ref_kept = soft_nms_reference(boxes, scores, 0.3, 0.5, 0.05, method)
    np.testing.assert_array_equal(keep, ref_keep)
    np.testing.assert_allclose(kept, ref_kept, rtol=1e-12)
    assert np.all(np.diff(kept) <= 1e-15)


def test_soft_nms_leaves_disjoint_boxes_alone():
    boxes = np.array([[0, 0, 1, 1], [2, 2, 3, 3], [5, 5, 6, 6]], dtype=float)
    scores = np.array([0.2, 0.9, 0.5])
    keep, kept = det.soft_nms(boxes, scores, method="gaussian")
    np.testing.assert_array_equal(keep, [1, 2, 0])
    np.testing.assert_array_equal(kept, [0.9, 0.5, 0.2])


@pytest.mark.parametrize("sizes,ratios,grid,stride", [
    ((32, 64, 128), (0.5, 1.0, 2.0), (3, 5), (16, 16)),
    ((100,), (0.3, 1.7), (2, 3), (7, 9)),
])
def test_anchors_equal_torchvision(sizes, ratios, grid, stride):
    gen = AnchorGenerator((sizes,), (ratios,))
    h, w = grid[0] * stride[0], grid[1] * stride[1]
    ref = gen(ImageList(torch.zeros(1, 3, h, w), [(h, w)]), [torch.zeros(1, 1, *grid)])[0]
    ours = det.grid_anchors(det.base_anchors(sizes, ratios), grid, stride)
    np.testing.assert_array_equal(ours, ref.numpy())
    np.testing.assert_array_equal(det.base_anchors(sizes, ratios),
                                  gen.generate_anchors(list(sizes), list(ratios)).numpy())


@pytest.mark.parametrize("shape,r", [((2, 3, 6, 9), 3), ((1, 5, 4, 4), 2), ((1, 1, 3, 3), 1)])
def test_space_to_depth_equals_pixel_unshuffle(shape, r):
    x = np.random.default_rng(0).standard_normal(shape)
    np.testing.assert_array_equal(det.space_to_depth(x, r), F.pixel_unshuffle(t(x), r).numpy())


def test_bad_input_is_rejected():
    good = np.array([[0, 0, 1, 1.0]])
    with pytest.raises(ValueError, match=r"boxes must have shape \(K, 4\)"):
        det.nms(np.zeros((2, 5)), np.zeros(2), 0.5)
    with pytest.raises(ValueError, match="x2 < x1 or y2 < y1"):
        det.box_iou(np.array([[2, 0, 1, 1.0]]), good)
    with pytest.raises(ValueError, match="scores has 2 entries but boxes has 1 rows"):
        det.nms(good, np.zeros(2), 0.5)
    with pytest.raises(ValueError, match="method='hard' is not supported"):
        det.soft_nms(good, np.ones(1), method="hard")
    with pytest.raises(ValueError, match="not divisible by block_size=2"):
        det.space_to_depth(np.zeros((1, 1, 5, 4)), 2)
    with pytest.raises(RuntimeError):        # torch refuses it too
        F.pixel_unshuffle(torch.zeros(1, 1, 5, 4), 2)
    with pytest.raises(ValueError, match="sizes and aspect_ratios must be positive"):
        det.base_anchors((0, 32))


def test_draw_boxes_labels_are_readable_on_any_background():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    boxes = np.array([[0, 0, 4, 2], [1, 1, 3, 3.0]])
    ax = det.draw_boxes(boxes, labels=["0.91", "0.50"], colors=["lime", "navy"], linewidth=3)
    assert [p.get_linewidth() for p in ax.patches] == [3, 3]
    texts = ax.texts
    assert [t.get_text() for t in texts] == ["0.91", "0.50"]
    assert [t.get_color() for t in texts] == ["black", "white"]        # dark text on lime, light on navy
    assert texts[0].get_bbox_patch().get_facecolor()[:3] == matplotlib.colors.to_rgb("lime")
    assert texts[0].get_va() == "bottom"
    ax = det.draw_boxes(boxes, labels=["a", "b"], colors="red", label_background=False, label_inside=True)
    assert ax.texts[0].get_color() == "red" and ax.texts[0].get_bbox_patch() is None
    assert ax.texts[0].get_va() == "top"
    plt.close("all")
