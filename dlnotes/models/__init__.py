"""Classic CNN architectures written from scratch (torch ``nn.Module``\\ s).

Every model named like a torchvision model has, with default arguments, exactly
torchvision's parameter count and maps ``(N, 3, 224, 224)`` to ``(N, 1000)`` logits
(``tests/test_models.py`` checks both).  The rest are the papers' own versions or
networks torchvision does not ship.

- LeNet: :func:`lenet5` (1×28×28 → 10)
- AlexNet: :func:`alexnet` (torchvision's variant), :func:`alexnet_paper` (LRN, 96 filters, groups);
  ZFNet: :func:`zfnet` (7×7/2 conv1, stride-2 conv2)
- VGG: :func:`vgg11` … :func:`vgg19`, :func:`vgg11_bn` … :func:`vgg19_bn`
- NiN: :func:`nin`
- Inception: :func:`googlenet` (v1, the paper's), :func:`bn_inception` (the BN paper's "v2"),
  :func:`inception_v3` and its blocks, :func:`inception_v4` (pure Inception),
  :func:`inception_resnet_v1`, :func:`inception_resnet_v2` (residual Inception)
- ResNet: :func:`resnet18` … :func:`resnet152` (v1.5; ``stride_in_1x1=True`` gives v1)
- DenseNet: :func:`densenet121`/``161``/``169``/``201``, :func:`densenet` (-B/-C/-BC)
- SENet: :func:`se_resnet50`
- MobileNet: :func:`mobilenet_v1`, :func:`mobilenet_v2`
- ShuffleNet: :func:`shufflenet_v1`, :func:`shufflenet_v2_x0_5`, :func:`shufflenet_v2_x1_0`
- helpers: :func:`count_parameters`, :func:`count_macs`, and
  ``dlnotes.receptive_field.receptive_field_of`` for the receptive field;
  :func:`draw_family` draws a family's building block.
"""
from ._count import count_macs, count_parameters
from ._diagram import draw_block_diagram, draw_family
from .alexnet import alexnet, alexnet_paper, zfnet
from .bn_inception import bn_inception
from .densenet import densenet, densenet121, densenet161, densenet169, densenet201
from .googlenet import googlenet
from .inception import (InceptionA, InceptionB, InceptionC, InceptionD, InceptionE,
                        inception_v3)
from .inception_v4 import inception_resnet_v1, inception_resnet_v2, inception_v4
from .lenet import lenet5
from .mobilenet import mobilenet_v1, mobilenet_v2
from .nin import nin
from .resnet import BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101, resnet152
from .senet import SqueezeExcitation, se_resnet50
from .shufflenet import channel_shuffle, shufflenet_v1, shufflenet_v2_x0_5, shufflenet_v2_x1_0
from .vgg import vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

#: Models that torchvision also has, with the same name and parameter count.
TORCHVISION_NAMES = (
    "alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
    "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "densenet121", "densenet161", "densenet169", "densenet201", "mobilenet_v2",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "inception_v3",
)

__all__ = [
    "count_parameters", "count_macs", "lenet5", "alexnet", "alexnet_paper", "zfnet",
    "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
    "nin", "googlenet", "bn_inception", "inception_v3", "inception_v4", "inception_resnet_v1",
    "inception_resnet_v2", "InceptionA", "InceptionB", "InceptionC",
    "InceptionD", "InceptionE", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "BasicBlock", "Bottleneck", "densenet", "densenet121", "densenet161", "densenet169",
    "densenet201", "se_resnet50", "SqueezeExcitation", "mobilenet_v1", "mobilenet_v2",
    "shufflenet_v1", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "channel_shuffle",
    "draw_family", "draw_block_diagram", "TORCHVISION_NAMES",
]
