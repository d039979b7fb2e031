"""HOG vs scikit-image and OpenCV, RoI Align/Pool and NMS vs torchvision (CPU), as ratios."""
import numpy as np
import torch
import torchvision.ops as ops
from run import Case
from skimage.feature import hog as sk_hog

from dlnotes import detection as det
from dlnotes import hog as H
from dlnotes.data import load_image

_rng = np.random.default_rng(0)
_image = load_image("astronaut", gray=True)                        # 512×512
_window = np.round(_image[100:228, 200:264] * 255).astype(np.uint8)  # 128×64 Dalal–Triggs window
_cv_hog = H.import_cv2_hog().HOGDescriptor()   # ImportError naming the contrib wheel if missing
_x = _rng.standard_normal((2, 64, 50, 50)).astype(np.float32)
_xy = _rng.uniform(0, 600, (128, 2))
_boxes = np.concatenate([_rng.integers(0, 2, (128, 1)), _xy, _xy + _rng.uniform(32, 300, (128, 2))],
                        1).astype(np.float32)
_xt, _bt = torch.from_numpy(_x), torch.from_numpy(_boxes)
_nb = np.concatenate([_xy[:, :2], _xy + _rng.uniform(10, 100, (128, 2))], 1)
_nb = np.concatenate([_nb + _rng.uniform(-5, 5, _nb.shape) for _ in range(8)]).astype(np.float32)
_ns = _rng.random(len(_nb)).astype(np.float32)
_nbt, _nst = torch.from_numpy(_nb), torch.from_numpy(_ns)

CASES = [
    Case(name="hog 512×512 (9, 8×8, 3×3, L2-Hys)", ours=lambda: H.hog(_image),
         reference=lambda: sk_hog(_image), reference_name="skimage"),
    Case(name="hog_opencv_style 128×64 window (Dalal–Triggs defaults)",
         ours=lambda: H.hog_opencv_style(_window / 255.0),
         reference=lambda: _cv_hog.compute(_window), reference_name="cv2"),
    Case(name="roi_align (2,64,50,50) 128 boxes 7×7 sr=2 float32",
         ours=lambda: det.roi_align(_x, _boxes, 7, 1 / 16, 2),
         reference=lambda: ops.roi_align(_xt, _bt, 7, 1 / 16, 2), reference_name="torchvision",
         naive=lambda: det.roi_align_naive(_x, _boxes, 7, 1 / 16, 2)),
    Case(name="roi_pool (2,64,50,50) 128 boxes 7×7 float32",
         ours=lambda: det.roi_pool(_x, _boxes, 7, 1 / 16),
         reference=lambda: ops.roi_pool(_xt, _bt, 7, 1 / 16), reference_name="torchvision"),
    Case(name="nms 1024 boxes thr 0.5 float32", ours=lambda: det.nms(_nb, _ns, 0.5),
         reference=lambda: ops.nms(_nbt, _nst, 0.5), reference_name="torchvision",
         naive=lambda: det.nms_naive(_nb, _ns, 0.5)),
]
