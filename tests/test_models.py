"""dlnotes.models: parameter counts, parameter shapes and outputs equal to torchvision's;
forward shapes; count_macs against hand counts and torchvision's published ops."""
import math

import pytest
import torch
import torchvision
import torchvision.models as tvm
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import dlnotes.models as M
from dlnotes.models import _diagram
from dlnotes.models.bn_inception import BNInceptionModule
from dlnotes.models.inception_v4 import (InceptionResNet, InceptionResNetA, InceptionResNetB,
                                         InceptionResNetC, ReductionA, StemV4, _Residual)
from dlnotes.receptive_field import receptive_field_of

TV_KWARGS = {"inception_v3": {"init_weights": True}, "googlenet": {"init_weights": True}}


def on_meta(fn, *args, **kwargs):
    with torch.device("meta"):
        return fn(*args, **kwargs)


def tv_model(name, **kwargs):
    return getattr(tvm, name)(weights=None, **{**TV_KWARGS.get(name, {}), **kwargs})


def ours_like_torchvision(name):
    """Our model whose torchvision twin is ``tv_model(name)``."""
    if name == "googlenet":
        return M.googlenet(batch_norm=True, large_kernel=3)
    return getattr(M, name)()


# ---------------------------------------------------------------- parameter parity
@pytest.mark.parametrize("name", M.TORCHVISION_NAMES + ("googlenet",))
def test_parameter_count_and_shapes_equal_torchvision(name):
    ours = on_meta(ours_like_torchvision, name)
    ref = on_meta(tv_model, name)
    assert M.count_parameters(ours) == M.count_parameters(ref)
    # stronger: the same tensors (parameters and BN buffers) in the same order
    a = [v.shape for v in ours.state_dict().values()]
    b = [v.shape for v in ref.state_dict().values()]
    assert a == b


@pytest.mark.parametrize("name,expected", [
    ("alexnet_paper", 60_965_224), ("nin", 7_439_608), ("googlenet", 13_378_280),
    ("se_resnet50", 28_088_024), ("mobilenet_v1", 4_231_976), ("shufflenet_v1", 1_865_728),
])
def test_parameter_counts_of_models_torchvision_lacks(name, expected):
    assert M.count_parameters(on_meta(getattr(M, name))) == expected


def test_alexnet_paper_hand_count():
    # conv1 96·3·11·11+96, conv2 256·48·25+256 (2 groups), conv3 384·256·9+384,
    # conv4 384·192·9+384, conv5 256·192·9+256, fc6 9216·4096+4096, fc7, fc8
    convs = [96 * 3 * 121 + 96, 256 * 48 * 25 + 256, 384 * 256 * 9 + 384,
             384 * 192 * 9 + 384, 256 * 192 * 9 + 256]
    fcs = [9216 * 4096 + 4096, 4096 * 4096 + 4096, 4096 * 1000 + 1000]
    assert M.count_parameters(on_meta(M.alexnet_paper)) == sum(convs) + sum(fcs)
    # one GPU: the grouped convs see all channels
    one = M.count_parameters(on_meta(M.alexnet_paper, groups=1))
    assert one - sum(convs) - sum(fcs) == 256 * 48 * 25 + 384 * 192 * 9 + 256 * 192 * 9


def test_googlenet_without_aux_and_the_torchvision_variant():
    assert M.count_parameters(on_meta(M.googlenet, aux_logits=False)) == 6_998_552
    ours = on_meta(M.googlenet, aux_logits=False, batch_norm=True, large_kernel=3)
    ref = on_meta(tv_model, "googlenet", aux_logits=False)
    assert M.count_parameters(ours) == M.count_parameters(ref)


def test_resnet_v1_and_v15_differ_only_in_stride_placement():
    v1 = on_meta(M.resnet50, stride_in_1x1=True)
    v15 = on_meta(M.resnet50)
    assert M.count_parameters(v1) == M.count_parameters(v15)
    assert v1.layer2[0].conv1.stride == (2, 2) and v1.layer2[0].conv2.stride == (1, 1)
    assert v15.layer2[0].conv1.stride == (1, 1) and v15.layer2[0].conv2.stride == (2, 2)
    assert M.count_macs(v15, (3, 224, 224)) > M.count_macs(v1, (3, 224, 224))


def test_densenet_variants_are_ordered_by_size():
    sizes = {v: M.count_parameters(on_meta(M.densenet, 121, v)) for v in ("", "B", "C", "BC")}
    assert sizes["BC"] == 7_978_856
    assert sizes[""] > sizes["B"] > sizes["C"] > sizes["BC"]


# ---------------------------------------------------------------- output parity
def _fill_and_copy(ours, ref, seed):
    """Random float64 weights in ``ours``, copied into ``ref`` tensor by tensor (same order)."""
    g = torch.Generator().manual_seed(seed)
    for m in (ours, ref):
        m.to_empty(device="cpu").to(torch.float64).eval()
    for (name, t), u in zip(ours.state_dict().items(), ref.state_dict().values()):
        if t.is_floating_point():
            v = torch.rand(t.shape, generator=g, dtype=t.dtype)
            t.copy_(v + 0.5 if name.endswith("running_var") else (v - 0.5) * 0.2)
        else:
            t.zero_()
        u.copy_(t)


@pytest.mark.parametrize("name,size", [
    ("alexnet", 67), ("resnet18", 45), ("resnet50", 33), ("densenet121", 40),
    ("mobilenet_v2", 37), ("shufflenet_v2_x0_5", 41), ("googlenet", 51), ("inception_v3", 79),
])
def test_outputs_equal_torchvision_with_the_same_weights(name, size):
    ours = on_meta(ours_like_torchvision, name)
    ref = on_meta(tv_model, name)
    for seed in ((0,) if name == "alexnet" else (0, 1)):    # AlexNet: 61 M weights, one draw
        _fill_and_copy(ours, ref, seed)
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(seed),
                        dtype=torch.float64)
        with torch.no_grad():
            torch.testing.assert_close(ours(x), ref(x), rtol=1e-10, atol=1e-10)


def test_se_module_equals_torchvision_ops():
    ours = M.SqueezeExcitation(32, reduction=4).double()
    ref = torchvision.ops.SqueezeExcitation(32, 8).double()
    ref.load_state_dict({k.replace("gate", "scale"): v for k, v in ours.state_dict().items()},
                        strict=False)
    for (a, b) in zip(ours.parameters(), ref.parameters()):
        b.data.copy_(a.data)
    x = torch.randn(3, 32, 5, 7, dtype=torch.float64)
    torch.testing.assert_close(ours(x), ref(x))


@pytest.mark.parametrize("groups,channels", [(2, 4), (3, 12), (4, 8), (2, 116)])
def test_channel_shuffle_equals_torchvision(groups, channels):
    from torchvision.models.shufflenetv2 import channel_shuffle
    x = torch.randn(2, channels, 3, 5)
    torch.testing.assert_close(M.channel_shuffle(x, groups), channel_shuffle(x, groups))
    # the permutation written out: input channel i·(C/g) + j goes to j·g + i
    idx = torch.arange(channels).view(1, channels, 1, 1).float()
    out = M.channel_shuffle(idx, groups).flatten().long().tolist()
    per = channels // groups
    assert out == [i * per + j for j in range(per) for i in range(groups)]


# ---------------------------------------------------------------- forward shapes
ALL = [n for n in M.__all__ if n[0].islower() and n not in
       ("count_parameters", "count_macs", "channel_shuffle", "densenet", "lenet5",
           "draw_family", "draw_block_diagram")
       and callable(getattr(M, n))]


@pytest.mark.parametrize("name", ALL)
def test_forward_shape_on_meta(name):
    model = on_meta(getattr(M, name)).eval()
    size = 299 if name.startswith("inception") else 224
    out = model(torch.empty(2, 3, size, size, device="meta"))
    assert out.shape == (2, 1000)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v1", "shufflenet_v1", "alexnet_paper"])
def test_forward_shape_at_224_on_cpu(name):
    torch.manual_seed(0)
    model = getattr(M, name)().eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 224, 224))
    assert out.shape == (1, 1000) and torch.isfinite(out).all()


def test_num_classes_and_aux_outputs_in_training():
    model = on_meta(M.googlenet, num_classes=7).train()
    logits, aux1, aux2 = model(torch.empty(2, 3, 224, 224, device="meta"))
    assert logits.shape == aux1.shape == aux2.shape == (2, 7)
    logits, aux = on_meta(M.inception_v3, num_classes=5).train()(
        torch.empty(2, 3, 299, 299, device="meta"))
    assert logits.shape == aux.shape == (2, 5)
    assert on_meta(M.resnet34, num_classes=3)(torch.empty(1, 3, 64, 64, device="meta")).shape == (1, 3)


def test_lenet5_is_exported():
    assert M.count_parameters(M.lenet5()) == 61_706


# ---------------------------------------------------------------- count_macs
def test_count_macs_hand_counts():
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)            # 3×9×9 -> 8×5×5
    assert M.count_macs(conv, (3, 9, 9)) == 8 * 5 * 5 * 3 * 3 * 3
    grouped = nn.Conv2d(6, 4, (3, 1), groups=2)               # 6×5×4 -> 4×3×4
    assert M.count_macs(grouped, (6, 5, 4)) == 4 * 3 * 4 * 3 * 3 * 1
    net = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 3 * 3, 5))
    assert M.count_macs(net, (2, 7, 6)) == 2 * 3 * 3 * 4 + 18 * 5
    assert M.count_macs(nn.AdaptiveAvgPool2d(1), (4, 6, 6)) == 4 * 36
    total, per_layer = M.count_macs(net, (2, 7, 6), batch_size=3, by_layer=True)
    assert total == 3 * (72 + 90) and per_layer == {"0": 3 * 72, "2": 3 * 90}


@settings(max_examples=40, deadline=None)
@given(c_in=st.integers(1, 4), c_out=st.integers(1, 4), groups=st.sampled_from([1, 2]),
       k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2),
       h=st.integers(8, 13), w=st.integers(8, 13))
def test_count_macs_conv_formula(c_in, c_out, groups, k, s, p, d, h, w):
    conv = nn.Conv2d(c_in * groups, c_out * groups, k, s, p, d, groups=groups)
    h_out = math.floor((h + 2 * p - d * (k - 1) - 1) / s) + 1
    w_out = math.floor((w + 2 * p - d * (k - 1) - 1) / s) + 1
    assert M.count_macs(conv, (c_in * groups, h, w)) == c_out * groups * h_out * w_out * c_in * k * k


@pytest.mark.parametrize("name,weights", [
    ("alexnet", "AlexNet_Weights"), ("vgg16", "VGG16_Weights"), ("resnet18", "ResNet18_Weights"),
    ("resnet50", "ResNet50_Weights"), ("densenet121", "DenseNet121_Weights"),
    ("mobilenet_v2", "MobileNet_V2_Weights"), ("shufflenet_v2_x1_0", "ShuffleNet_V2_X1_0_Weights"),
    ("inception_v3", "Inception_V3_Weights"), ("googlenet", "GoogLeNet_Weights"),
])
def test_count_macs_matches_torchvision_published_ops(name, weights):
    published = getattr(tvm, weights).IMAGENET1K_V1.meta["_ops"] * 1e9    # "GFLOPS" = GMACs
    size = 299 if name == "inception_v3" else 224
    macs = M.count_macs(on_meta(ours_like_torchvision, name), (3, size, size))
    assert macs == pytest.approx(published, rel=0.01)


def test_resnet50_is_about_4_1_gmacs():
    assert 4.05e9 < M.count_macs(on_meta(M.resnet50), (3, 224, 224)) < 4.15e9


def test_count_macs_restores_training_mode_and_errors():
    model = nn.Sequential(nn.Conv2d(1, 1, 1), nn.Dropout()).train()
    M.count_macs(model, (1, 3, 3))
    assert model.training
    with pytest.raises(ValueError, match=r"input_size must be \(C, H, W\)"):
        M.count_macs(model, (3, 3))
    with pytest.raises(ValueError, match=r"input_size\[1\] must be >= 1"):
        M.count_macs(model, (1, 0, 3))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        M.count_macs(lambda x: x, (1, 3, 3))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        M.count_parameters([torch.zeros(3)])


# ---------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("call,match", [
    (lambda: M.alexnet_paper(groups=3), "groups must be 1"),
    (lambda: M.alexnet(dropout=1.5), r"dropout must be in \[0, 1\]"),
    (lambda: M.vgg16(num_classes=0), "num_classes must be >= 1"),
    (lambda: M.densenet(122), "depth=122 is not supported"),
    (lambda: M.densenet(121, "D"), "variant='D' is not supported"),
    (lambda: M.shufflenet_v1(groups=5), "groups=5 is not supported"),
    (lambda: M.googlenet(large_kernel=7), "large_kernel must be 5"),
    (lambda: M.mobilenet_v1(width_mult=0), "width_mult must be > 0"),
    (lambda: M.channel_shuffle(torch.zeros(1, 5, 2, 2), 2), "groups=2 must divide the 5"),
    (lambda: M.resnet18(num_classes=2.5), "num_classes must be an int"),
    (lambda: M.zfnet(widths=(512, 1024)), "widths must be three ints"),
    (lambda: M.zfnet(widths=(512, 0, 512)), r"widths\[1\] must be >= 1"),
    (lambda: M.inception_v4(dropout=-0.1), r"dropout must be in \[0, 1\]"),
    (lambda: InceptionResNet("v3"), "version='v3' is not supported"),
    (lambda: InceptionResNet("v1", "released"), "variant='released' exists only for"),
    (lambda: M.inception_resnet_v2(variant="tf"), "variant='tf' is not supported"),
    (lambda: M.inception_resnet_v1(blocks=(5, 10)), "blocks must be three ints"),
    (lambda: M.bn_inception(num_classes=0), "num_classes must be >= 1"),
])
def test_bad_arguments_raise(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_diagrams_draw_every_family():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for name, (rows, skips, _) in _diagram.BLOCKS.items():
        ax = _diagram.draw_family(name)
        labels = {t.get_text() for t in ax.texts}
        assert {r for row in rows for r in ([row] if isinstance(row, str) else row) if r} <= labels
        # one junction circle (with its operator) per row that shortcuts lead into
        assert sum(t.get_text() in ("+", "c", "×") for t in ax.texts) == len({j for _, j, _ in skips})
        plt.close(ax.figure)
    with pytest.raises(ValueError, match="name='vit' is not supported"):
        _diagram.draw_family("vit")
    with pytest.raises(ValueError, match=r"skip \(2, 1\) must go down"):
        _diagram.draw_block_diagram(["a", "b", "c"], [(2, 1, "+")])
    plt.close("all")


def test_memory_efficient_dense_block_gives_the_same_values_and_gradients():
    from dlnotes.models.densenet import DenseBlock
    torch.manual_seed(0)
    plain = DenseBlock(5, 8, growth_rate=4).double()
    efficient = DenseBlock(5, 8, growth_rate=4, memory_efficient=True).double()
    efficient.load_state_dict(plain.state_dict())
    x = torch.randn(2, 8, 6, 5, dtype=torch.float64, requires_grad=True)
    grads = []
    for block in (plain, efficient):
        y = block(x)
        assert y.shape == (2, 8 + 5 * 4, 6, 5)
        (g,) = torch.autograd.grad((y ** 2).sum(), x)
        grads.append((y.detach(), g))
    torch.testing.assert_close(grads[0], grads[1])


# ---------------------------------------------------------------- ZFNet
def test_zfnet_map_sizes_follow_fig3_and_counts_by_hand():
    model = M.zfnet().eval()
    x, sizes = torch.zeros(1, 3, 224, 224), []
    for layer in model.features:
        x = layer(x)
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
            sizes.append(tuple(x.shape[1:]))
    assert sizes == [(96, 110, 110), (96, 55, 55), (256, 26, 26), (256, 13, 13), (384, 13, 13),
                     (384, 13, 13), (256, 13, 13), (256, 6, 6)]
    convs = [96 * 3 * 49 + 96, 256 * 96 * 25 + 256, 384 * 256 * 9 + 384, 384 * 384 * 9 + 384,
             256 * 384 * 9 + 256]
    fcs = [9216 * 4096 + 4096, 4096 * 4096 + 4096, 4096 * 1000 + 1000]
    assert M.count_parameters(model) == sum(convs) + sum(fcs) == 62_357_608
    wide = on_meta(M.zfnet, widths=(512, 1024, 512))
    assert M.count_parameters(wide) == (convs[0] + convs[1] + 512 * 256 * 9 + 512
                                        + 1024 * 512 * 9 + 1024 + 512 * 1024 * 9 + 512
                                        + 512 * 36 * 4096 + 4096 + sum(fcs[1:]))


def test_zfnet_receptive_fields_equal_the_zf5_table_of_chapter_9():
    # note 001 §8.1's ZF-5 rows conv1..conv5: RF 7, 11, 27, 43, 75, 107, 139; jumps 2..16
    rows = receptive_field_of(M.zfnet(), (3, 224, 224))
    spatial = [r for r in rows if r.name.startswith("features.") and r.kernel is not None]
    assert [r.rf for r in spatial[:7]] == [7, 11, 27, 43, 75, 107, 139]
    assert [r.jump for r in spatial[:7]] == [2, 4, 8, 16, 16, 16, 16]


# ---------------------------------------------------------------- Inception-v4 family
V4_STAGES = [(384, 35, 35), (384, 35, 35), (1024, 17, 17), (1024, 17, 17), (1536, 8, 8), (1536, 8, 8)]


def _stage_shapes(model, size=299):
    x, out = torch.empty(1, 3, size, size, device="meta"), []
    for stage in model.stages:
        x = stage(x)
        out.append(tuple(x.shape[1:]))
    return out


@pytest.mark.parametrize("build,expected", [
    (lambda: M.inception_v4(), V4_STAGES),
    (lambda: M.inception_resnet_v1(), [(256, 35, 35), (256, 35, 35), (896, 17, 17),
                                       (896, 17, 17), (1792, 8, 8), (1792, 8, 8)]),
    (lambda: M.inception_resnet_v2(), [(384, 35, 35), (384, 35, 35), (1152, 17, 17),
                                       (1152, 17, 17), (2144, 8, 8), (2144, 8, 8)]),
    (lambda: M.inception_resnet_v2(variant="released"), [(320, 35, 35), (320, 35, 35),
                                                         (1088, 17, 17), (1088, 17, 17),
                                                         (2080, 8, 8), (1536, 8, 8)]),
])
def test_inception_v4_family_stage_shapes_equal_the_papers_figures(build, expected):
    # Figs. 9 and 15: 35×35×384 after the stem, 17×17×1024 after Reduction-A, 8×8×1536
    # after Reduction-B (v4); v1: 256 / 896 / 1792; v2 as corrected in the docstring.
    assert _stage_shapes(on_meta(build)) == expected


def test_stem_v4_intermediate_sizes_of_fig3():
    stem = on_meta(StemV4)
    x = stem.convs(torch.empty(1, 3, 299, 299, device="meta"))
    assert tuple(x.shape[1:]) == (64, 147, 147)
    x = torch.cat([stem.pool1(x), stem.conv1(x)], 1)
    assert tuple(x.shape[1:]) == (160, 73, 73)
    x = torch.cat([stem.tower_a(x), stem.tower_b(x)], 1)
    assert tuple(x.shape[1:]) == (192, 71, 71)


@pytest.mark.parametrize("name,kwargs,params,gmacs", [
    # timm's ports of the TF-slim checkpoints: model cards "Params (M): 42.7, GMACs: 12.3"
    # (inception_v4.tf_in1k) and "55.8, 13.2" (inception_resnet_v2.tf_ens_adv_in1k); the
    # exact counts were compared once with timm 1.0 (42,679,816 and 55,843,464).
    ("inception_v4", {}, 42_679_816, 12.3),
    ("inception_resnet_v2", {"variant": "released"}, 55_843_464, 13.2),
])
def test_inception_v4_and_released_resnet_v2_match_published_counts(name, kwargs, params, gmacs):
    model = on_meta(getattr(M, name), **kwargs)
    assert M.count_parameters(model) == params
    assert round(M.count_macs(model, (3, 299, 299)) / 1e9, 1) == gmacs


@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 6), l=st.integers(1, 6), m=st.integers(1, 6), n=st.integers(1, 6),
       c=st.integers(1, 5), size=st.integers(5, 12))
def test_reduction_a_widths_and_sizes(k, l, m, n, c, size):
    block = ReductionA(c, k, l, m, n).eval()
    out = block(torch.zeros(1, c, size, size))
    assert out.shape == (1, c + n + m, (size - 3) // 2 + 1, (size - 3) // 2 + 1)
    assert M.count_parameters(block) == (n * c * 9 + k * c + k * l * 9 + l * m * 9
                                         + 2 * (n + k + l + m))       # BN: γ and β


@pytest.mark.parametrize("block", [
    lambda: InceptionResNetA(24, (8, 12, 16), scale=0.17),
    lambda: InceptionResNetB(20, 12, (8, 10, 12), scale=0.1),
    lambda: InceptionResNetC(28, 12, (8, 10, 12), scale=0.3),
])
def test_residual_inception_block_is_relu_of_x_plus_scaled_branch(block):
    torch.manual_seed(0)
    b = block().double().eval()
    x = torch.randn(2, b.up.out_channels, 7, 6, dtype=torch.float64)
    with torch.no_grad():
        branch = b.up(torch.cat([m(x) for m in b.branches.branches], 1))
        torch.testing.assert_close(b(x), torch.relu(x + b.scale * branch), rtol=1e-12, atol=1e-12)
        b.up.weight.zero_()
        b.up.bias.zero_()
        torch.testing.assert_close(b(x), torch.relu(x), rtol=0, atol=0)   # only the shortcut is x
    assert isinstance(b.up, nn.Conv2d) and b.up.kernel_size == (1, 1) and b.up.bias is not None


def test_inception_v4_has_no_residual_additions_and_inception_resnet_does():
    def residual_blocks(model):
        return sum(isinstance(m, _Residual) for m in model.modules())
    assert residual_blocks(on_meta(M.inception_v4)) == 0
    assert residual_blocks(on_meta(M.inception_resnet_v1)) == 5 + 10 + 5
    assert residual_blocks(on_meta(M.inception_resnet_v2, variant="released")) == 10 + 20 + 10


# ---------------------------------------------------------------- BN-Inception
def test_bn_inception_widths_sizes_and_count():
    model = on_meta(M.bn_inception)
    x = model.stem(torch.empty(1, 3, 224, 224, device="meta"))
    assert tuple(x.shape[1:]) == (192, 28, 28)
    shapes = {}
    for name, block in model.blocks.items():
        x = block(x)
        shapes[name] = tuple(x.shape[1:])
        assert x.shape[1] == block.out_channels
    assert shapes["3b"] == (320, 28, 28) and shapes["3c"] == (576, 14, 14)
    assert shapes["4d"] == (608, 14, 14) and shapes["4e"] == (1056, 7, 7)
    assert shapes["5b"] == (1024, 7, 7)
    # the released Caffe model (Cadene's bninception) has 11,295,240 parameters, of which
    # 10,016 are conv biases that BN makes redundant; compared once, not a test dependency
    assert M.count_parameters(model) == 11_295_240 - 10_016
    kernels = {m.kernel_size for m in model.modules() if isinstance(m, nn.Conv2d)}
    assert kernels == {(7, 7), (1, 1), (3, 3)}                          # no 5×5 left
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == \
        sum(isinstance(m, nn.Conv2d) for m in model.modules())
    assert not any(isinstance(m, (nn.LocalResponseNorm, nn.Dropout)) for m in model.modules())
    assert model(torch.empty(2, 3, 160, 160, device="meta")).shape == (2, 1000)
    with pytest.raises(ValueError, match="needs even map sides, got 7×7"):
        model(torch.empty(1, 3, 112, 112, device="meta"))           # 4e would see 7×7


def test_bn_inception_module_matches_googlenet_inception_with_two_3x3():
    # with the double-3×3 branch removed, a BN-Inception module is torchvision's GoogLeNet
    # Inception block (BN variant, 3×3 "5×5" branch) with the same weights
    from torchvision.models.googlenet import Inception as TVInception
    torch.manual_seed(0)
    ours = BNInceptionModule(16, 4, 3, 5, 2, 6, "max", 3).double().eval()
    ref = TVInception(16, 4, 3, 5, 2, 6, 3).double().eval()
    for src, dst in ((ours.branch1, ref.branch1), (ours.branch3, ref.branch2),
                     (ours.branch_pool[1], ref.branch4[1])):
        for a, b in zip(src.state_dict().values(), dst.state_dict().values(), strict=True):
            b.copy_(a)
    x = torch.randn(2, 16, 9, 7, dtype=torch.float64)
    with torch.no_grad():
        a, b = ours(x), ref(x)
    torch.testing.assert_close(a[:, :9], b[:, :9])                       # 1×1 and 3×3 branches
    torch.testing.assert_close(a[:, 15:], b[:, 15:])                     # pool projection
    assert a.shape == (2, 4 + 5 + 6 + 3, 9, 7)


def test_mobilenet_v1_with_full_convolutions_is_table_4s_conv_mobilenet():
    # Howard et al. Table 4: Conv MobileNet 29.3 M parameters, 4866 M mult-adds;
    # MobileNet 4.2 M and 569 M
    full, sep = on_meta(M.mobilenet_v1, separable=False), on_meta(M.mobilenet_v1)
    assert round(M.count_parameters(full) / 1e6, 1) == 29.3
    assert round(M.count_parameters(sep) / 1e6, 1) == 4.2
    assert M.count_macs(full, (3, 224, 224)) / 1e6 == pytest.approx(4866, abs=2)
    assert round(M.count_macs(sep, (3, 224, 224)) / 1e6) == 569
    assert not any(isinstance(m, nn.Conv2d) and m.groups > 1 for m in full.modules())
