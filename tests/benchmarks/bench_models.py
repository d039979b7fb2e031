"""Forward time of dlnotes' ResNet-50 (and MobileNet v2) vs torchvision's on CPU, eval mode.

Same weights (copied tensor by tensor), same input, float32, ``torch.no_grad``.  The
from-scratch models run the same torch kernels, so the ratio should be 1 within noise.
"""
import torch
import torchvision.models as tvm
from run import Case

import dlnotes.models as M


def _pair(ours, ref):
    ref.load_state_dict(dict(zip(ref.state_dict(), ours.state_dict().values())))
    return ours.eval(), ref.eval()


torch.manual_seed(0)
_r_ours, _r_ref = _pair(M.resnet50(), tvm.resnet50(weights=None))
_m_ours, _m_ref = _pair(M.mobilenet_v2(), tvm.mobilenet_v2(weights=None))
_x1 = torch.randn(1, 3, 224, 224)
_x2 = torch.randn(2, 3, 224, 224)


def _forward(model, x):
    def run():
        with torch.no_grad():
            return model(x)
    return run


CASES = [
    Case(name="resnet50 forward, batch 1, 224×224", ours=_forward(_r_ours, _x1),
         reference=_forward(_r_ref, _x1), reference_name="torchvision", repeat=3),
    Case(name="resnet50 forward, batch 2, 224×224", ours=_forward(_r_ours, _x2),
         reference=_forward(_r_ref, _x2), reference_name="torchvision", repeat=3),
    Case(name="mobilenet_v2 forward, batch 1, 224×224", ours=_forward(_m_ours, _x1),
         reference=_forward(_m_ref, _x1), reference_name="torchvision", repeat=3),
]
