"""dlnotes.receptive_field: the recurrence, any torch model, and the effective RF.

The oracle is the gradient: with positive weights and no max-pooling, the input pixels
with a non-zero gradient of one output unit are exactly its receptive field.
"""
import numpy as np
import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import receptive_field as R

# The notes' tables (note 001 §8.1), printed by their Python 2 script for a 224 input.
NOTES = {
    "alexnet": dict(
        net=[[11, 4, 0], [3, 2, 0], [5, 1, 2], [3, 2, 0], [3, 1, 1], [3, 1, 1], [3, 1, 1], [3, 2, 0]],
        size=[54, 26, 26, 12, 12, 12, 12, 5], jump=[4, 8, 8, 16, 16, 16, 16, 32],
        rf=[11, 19, 51, 67, 99, 131, 163, 195]),
    "vgg16": dict(
        net=[[3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1],
             [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1], [3, 1, 1], [2, 2, 0], [3, 1, 1], [3, 1, 1],
             [3, 1, 1], [2, 2, 0]],
        size=[224, 224, 112, 112, 112, 56, 56, 56, 56, 28, 28, 28, 28, 14, 14, 14, 14, 7],
        jump=[1, 1, 2, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 16, 16, 16, 16, 32],
        rf=[3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212]),
    "zf-5": dict(
        net=[[7, 2, 3], [3, 2, 1], [5, 2, 2], [3, 2, 1], [3, 1, 1], [3, 1, 1], [3, 1, 1]],
        size=[112, 56, 28, 14, 14, 14, 14], jump=[2, 4, 8, 16, 16, 16, 16],
        rf=[7, 11, 27, 43, 75, 107, 139]),
}


@pytest.mark.parametrize("net", sorted(NOTES))
def test_notes_tables_are_reproduced(net):
    t = NOTES[net]
    rows = R.receptive_field(t["net"], input_size=224)
    assert [r.rf for r in rows] == t["rf"]
    assert [r.jump for r in rows] == t["jump"]
    assert [r.size for r in rows] == t["size"]


def _chain(layers):
    """A linear 1-channel conv chain with positive weights: gradient support = RF."""
    mods = [nn.Conv2d(1, 1, k, s, p, d, bias=False) for k, s, p, d in layers]
    for m in mods:
        nn.init.constant_(m.weight, 1.0)
    return nn.Sequential(*mods).double()


def _grad_support(model, n, unit):
    x = torch.ones(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    y = model(x)
    y[0, 0, unit[0], unit[1]].backward()
    ys, xs = np.nonzero(x.grad[0, 0].numpy())
    return ys.min(), ys.max(), xs.min(), xs.max(), tuple(y.shape[-2:])


layer_st = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(1, 3))


@settings(max_examples=40, deadline=None)
@given(layers=st.lists(layer_st, min_size=1, max_size=4), seed=st.integers(0, 10_000))
def test_recurrence_equals_gradient_support(layers, seed):
    layers = [(k, s, min(p, k // 2), d) for k, s, p, d in layers]  # torch-like padding
    last = R.receptive_field([list(layer) for layer in layers])[-1]
    n = int(last.rf + 3 * last.jump + 8)  # big enough for units whose box is on the image
    rows = R.receptive_field([list(layer) for layer in layers], input_size=n)
    out_n = rows[-1].size
    inside = [(i, j) for i in range(out_n) for j in range(out_n)
              if R.rf_box(rows[-1], (i, j))[0] >= 0 and R.rf_box(rows[-1], (i, j))[2] <= n - 1
              and R.rf_box(rows[-1], (i, j))[1] >= 0 and R.rf_box(rows[-1], (i, j))[3] <= n - 1]
    assert inside
    unit = inside[np.random.default_rng(seed).integers(len(inside))]
    y0, y1, x0, x1, shape = _grad_support(_chain(layers), n, unit)
    assert shape == (out_n, out_n)
    # the extreme taps are always used, so the support's ends are the box's ends
    assert (y0, x0, y1, x1) == R.rf_box(rows[-1], unit)


@settings(max_examples=25, deadline=None)
@given(layers=st.lists(layer_st, min_size=1, max_size=3))
def test_receptive_field_of_equals_the_recurrence_on_a_chain(layers):
    layers = [(k, s, min(p, k // 2), d) for k, s, p, d in layers]
    model = _chain(layers).float()
    # an input large enough for every layer's (dilated) kernel: the RF of the chain plus margin
    n = int(R.receptive_field([list(layer) for layer in layers])[-1].rf + 8)
    rows = R.receptive_field_of(model, (1, n, n))
    ref = R.receptive_field([list(layer) for layer in layers], input_size=n)
    assert [r.name for r in rows] == [str(i) for i in range(len(layers))]
    for a, b in zip(rows, ref):
        assert (a.rf, a.jump, a.start, a.size) == (b.rf, b.jump, b.start, b.size)


def test_dilation_gives_the_effective_kernel():
    k, d = 3, 4
    (row,) = R.receptive_field([[k, 1, 0, d]])
    assert row.rf == k + (d - 1) * (k - 1) == 9


def test_start_is_the_centre_of_unit_zero():
    rows = R.receptive_field([[3, 2, 1], [3, 2, 1]])
    assert rows[0].start == 0 and rows[1].start == 0
    rows = R.receptive_field([[3, 2, 0], [2, 2, 0]])
    assert rows[0].start == 1 and rows[1].start == 2


def _positive(model):
    """Positive conv weights, max-pool replaced by avg-pool: gradient support = RF."""
    for mod in list(model.modules()):
        for name, child in list(mod.named_children()):
            if isinstance(child, nn.MaxPool2d):
                setattr(mod, name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding,
                                                ceil_mode=child.ceil_mode))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.fill_(1.0 / m.weight[0].numel())
                if m.bias is not None:
                    m.bias.zero_()
    return model.eval().double()


def test_resnet18_matches_gradient_support():
    torchvision = pytest.importorskip("torchvision")
    model = _positive(torchvision.models.resnet18(weights=None))
    n = 480
    rows = R.receptive_field_of(model, (3, n, n))
    last = rows[-1]
    assert last.name == "layer4.1.conv2" and last.rf == 435 and last.jump == 32
    captured = {}
    model.layer4.register_forward_hook(lambda m, i, o: captured.setdefault("y", o))
    x = torch.ones(1, 3, n, n, dtype=torch.float64, requires_grad=True)
    model(x)
    y = captured["y"]
    c = y.shape[-1] // 2
    y[0, :, c, c].sum().backward()
    ys, xs = np.nonzero(x.grad[0].abs().sum(0).numpy())
    y0, x0, y1, x1 = R.rf_box(last, (c, c))
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (y0, y1, x0, x1)


def test_resnet50_v15_and_v1():
    torchvision = pytest.importorskip("torchvision")
    model = torchvision.models.resnet50(weights=None)
    assert R.receptive_field_of(model, (3, 224, 224))[-1].rf == 427
    # ResNet v1 (the paper, TF-slim, Caffe): the stride sits on the first 1x1 conv
    for m in model.modules():
        if isinstance(m, torchvision.models.resnet.Bottleneck) and m.conv2.stride == (2, 2):
            m.conv1.stride, m.conv2.stride = (2, 2), (1, 1)
    assert R.receptive_field_of(model, (3, 224, 224))[-1].rf == 483


class _TwoPaths(nn.Module):
    """Inception-style: a 1x1 and a 5x5 path concatenated, then a 3x3 conv."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 1, 1)
        self.b = nn.Conv2d(1, 1, 5, padding=2)
        self.pool = nn.MaxPool2d(3, 1, 1)
        self.head = nn.Conv2d(3, 1, 3, stride=2)

    def forward(self, x):
        x = torch.cat([self.a(x), self.b(x), self.pool(x)], dim=1)
        return self.head(torch.relu(x))


def test_concatenation_takes_the_union():
    rows = R.receptive_field_of(_TwoPaths(), (1, 21, 21))
    assert [r.name for r in rows] == ["a", "b", "pool", "head"]
    assert [r.rf for r in rows] == [1, 5, 3, 7]
    assert rows[-1].size == 10


class _Misaligned(nn.Module):
    """Two 4x4 maps from an 8x8 input: one by a stride-2 conv (jump 2), one by a 5x5 (jump 1)."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(1, 1, 3, stride=2, padding=1)
        self.big = nn.Conv2d(1, 1, 5)

    def forward(self, x):
        return self.down(x) + self.big(x)


def test_paths_with_different_jumps_raise():
    with pytest.raises(ValueError, match="different jumps"):
        R.receptive_field_of(_Misaligned(), (1, 8, 8))


class _SE(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)
        self.fc = nn.Conv2d(2, 2, 1)
        self.conv2 = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        x = self.conv(x)
        s = torch.sigmoid(self.fc(x.mean((2, 3), keepdim=True)))
        return self.conv2(x * s)


def test_global_context_is_ignored_by_default():
    rows = R.receptive_field_of(_SE(), (2, 9, 9))
    assert [(r.name, r.rf) for r in rows] == [("conv", 3), ("conv2", 5)]


def test_padding_module_shifts_start():
    model = nn.Sequential(nn.ReflectionPad2d(2), nn.Conv2d(1, 1, 5))
    (row,) = R.receptive_field_of(model, (1, 9, 9))
    assert (row.rf, row.start, row.size) == (5, 0, 9)
    model = nn.Conv2d(1, 1, 5, padding=2, padding_mode="reflect")
    (row,) = R.receptive_field_of(model, (1, 9, 9))
    assert (row.rf, row.start, row.size) == (5, 0, 9)


def test_permute_keeps_track():
    class NHWC(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 4, 3)
            self.norm = nn.LayerNorm(4)
            self.c2 = nn.Conv2d(4, 1, 3)

        def forward(self, x):
            x = self.norm(self.c1(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            return self.c2(x)

    assert [r.rf for r in R.receptive_field_of(NHWC(), (1, 9, 9))] == [3, 5]


def test_non_square_layers_give_pairs():
    model = nn.Sequential(nn.Conv2d(1, 1, (1, 7), padding=(0, 3)), nn.Conv2d(1, 1, 3))
    rows = R.receptive_field_of(model, (1, 12, 12))
    assert rows[0].rf == (1, 7) and rows[1].rf == (3, 9)


def test_effective_rf_of_two_box_filters_is_a_tent():
    model = _chain([(3, 1, 1, 1), (3, 1, 1, 1)])
    erf = R.effective_receptive_field(model, (1, 11, 11), n_samples=1,
                                      inputs=torch.ones(1, 1, 11, 11, dtype=torch.float64))
    tent = np.array([1, 2, 3, 2, 1.0])
    expected = np.zeros((11, 11))
    expected[3:8, 3:8] = np.outer(tent, tent)
    np.testing.assert_allclose(erf, expected)


def test_effective_rf_lies_inside_the_theoretical_box():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.ReLU(), nn.Conv2d(4, 4, 3, 1, 2, 2),
                          nn.ReLU(), nn.Conv2d(4, 2, 3)).double()
    rows = R.receptive_field_of(model, (1, 33, 33))
    g = torch.Generator().manual_seed(0)
    erf = R.effective_receptive_field(model, (1, 33, 33), layer="4", unit=(5, 6),
                                      n_samples=3, rng=g)
    y0, x0, y1, x1 = R.rf_box(rows[-1], (5, 6))
    mask = np.zeros_like(erf, dtype=bool)
    mask[int(max(y0, 0)):int(y1) + 1, int(max(x0, 0)):int(x1) + 1] = True
    assert erf[~mask].max() == 0 and erf[mask].max() > 0


@pytest.mark.parametrize("layers, match", [
    ([[3, 1]], "expected \\[kernel, stride, padding\\]"),
    ([[0, 1, 0]], "kernel must be >= 1"),
    ([[3, 0, 0]], "stride must be >= 1"),
    ([[3, 1, -1]], "padding must be >= 0"),
    ([[3, 1, 0, 0]], "dilation must be >= 1"),
])
def test_bad_layers(layers, match):
    with pytest.raises(ValueError, match=match):
        R.receptive_field(layers)


def test_input_smaller_than_kernel_and_bad_names():
    with pytest.raises(ValueError, match="smaller than the dilated kernel 5"):
        R.receptive_field([[3, 1, 0, 2]], input_size=4)
    with pytest.raises(ValueError, match="names has 1 entries"):
        R.receptive_field([[3, 1, 0], [3, 1, 0]], names=["a"])
    with pytest.raises(ValueError, match="input_size must be \\(C, H, W\\)"):
        R.receptive_field_of(nn.Conv2d(1, 1, 3), (8, 8))
    with pytest.raises(ValueError, match="not a module"):
        R.effective_receptive_field(nn.Conv2d(1, 1, 3), (1, 8, 8), layer="nope")


# ---------------------------------------------------------------- rf_cone
def _in_from_out(net, layernum):
    """Note 001 §8.1's top-down ``inFromOut``, verbatim body (fsize = the effective kernel)."""
    RF = 1
    for layer in reversed(range(layernum)):
        fsize, stride, pad = net[layer]
        RF = ((RF - 1) * stride) + fsize
    return RF


@settings(max_examples=60, deadline=None)
@given(layers=st.lists(layer_st, min_size=1, max_size=5), data=st.data())
def test_cone_spans_the_box_and_the_top_down_rf_at_every_level(layers, data):
    layers = [[k, s, min(p, k // 2), d] for k, s, p, d in layers]
    layer = data.draw(st.integers(0, len(layers) - 1))
    index = data.draw(st.integers(-2, 12))
    cone = R.rf_cone(layers, layer, index)
    assert len(cone) == layer + 2 and cone[-1].tolist() == [index]
    row = R.receptive_field(layers)[layer]
    y0, x0, y1, x1 = R.rf_box(row, (index, index))
    assert (cone[0].min(), cone[0].max()) == (x0, x1)
    # the cone's extent on level m is the RF of the unit on layer m-1's output: the note's
    # top-down recursion over layers m..layer with the effective kernels
    eff = [[d * (k - 1) + 1, s, p] for k, s, p, d in layers]
    for m in range(layer + 1):
        span = cone[m].max() - cone[m].min() + 1
        assert span == _in_from_out(eff[m:layer + 1], layer + 1 - m)
        if all(d == 1 and s <= k for k, s, p, d in layers[m:layer + 1]):
            assert len(cone[m]) == span          # no gaps without dilation or skipping strides


@settings(max_examples=40, deadline=None)
@given(layers=st.lists(layer_st, min_size=1, max_size=4), seed=st.integers(0, 10_000))
def test_cone_is_the_gradient_support_at_every_level(layers, seed):
    layers = [(k, s, min(p, k // 2), d) for k, s, p, d in layers]
    last = R.receptive_field([list(layer) for layer in layers])[-1]
    n = int(last.rf + 3 * last.jump + 8)
    rows = R.receptive_field([list(layer) for layer in layers], input_size=n)
    sizes = [n] + [r.size for r in rows]
    out_n = sizes[-1]
    rng = np.random.default_rng(seed)
    j = int(rng.integers(out_n))
    i = int(rng.integers(out_n))
    # unit (i, j): square layers, so its 2-D cone is the product of the column cone of j
    # and the row cone of i
    cone = R.rf_cone([list(layer) for layer in layers], len(layers) - 1, j)
    rows_cone = R.rf_cone([list(layer) for layer in layers], len(layers) - 1, i)
    model = _chain(layers)
    x = torch.ones(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    h, outs = x, []
    for m in model:
        h = m(h)
        h.retain_grad()
        outs.append(h)
    h[0, 0, i, j].backward()
    grads = [x.grad] + [o.grad for o in outs]
    for level, (g, size) in enumerate(zip(grads, sizes)):
        g = g[0, 0].numpy()
        assert g.shape == (size, size)
        ys, xs = np.nonzero(g)
        inside = lambda c: c[(c >= 0) & (c < size)]  # noqa: E731
        # every unit that influences the chosen one lies in the cone (padding feeds nothing)
        assert set(xs) <= set(inside(cone[level])) and set(ys) <= set(inside(rows_cone[level]))
        if all((c >= 0).all() and (c < s).all() for c, s in zip(cone, sizes)) and \
                all((c >= 0).all() and (c < s).all() for c, s in zip(rows_cone, sizes)):
            # no padding anywhere on the way down: the cone is exactly the support
            assert sorted(set(xs)) == cone[level].tolist()
            assert sorted(set(ys)) == rows_cone[level].tolist()


def test_cone_named_cases():
    # VGG conv1_2, unit 0: conv1_1 units -1 (padding), 0, 1; pixels -2..2 (two in the padding)
    cone = R.rf_cone([[3, 1, 1], [3, 1, 1]], 1, 0)
    assert [c.tolist() for c in cone] == [[-2, -1, 0, 1, 2], [-1, 0, 1], [0]]
    # a dilated 3x3 (d=4) after a 3x3: three separate groups of three pixels
    cone = R.rf_cone([[3, 1, 1], [3, 1, 4, 4]], 1, 10)
    assert cone[1].tolist() == [6, 10, 14]
    assert cone[0].tolist() == [5, 6, 7, 9, 10, 11, 13, 14, 15]
    # a stride larger than the kernel skips pixels
    assert R.rf_cone([[2, 3, 0]], 0, 1)[0].tolist() == [3, 4]
    with pytest.raises(ValueError, match="layer=2 is out of range"):
        R.rf_cone([[3, 1, 1], [3, 1, 1]], 2, 0)
    with pytest.raises(ValueError, match="expected \\[kernel, stride, padding\\]"):
        R.rf_cone([[3, 1]], 0, 0)
