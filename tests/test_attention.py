"""dlnotes.attention against torch / torchvision in float64, plus errors and costs."""
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch.overrides import TorchFunctionMode  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from dlnotes import attention as A  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)
D = torch.float64


def randn(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=D)


@settings(max_examples=50, deadline=None)
@given(batch=st.lists(st.integers(1, 3), min_size=0, max_size=2), L=st.integers(1, 6),
       S=st.integers(1, 6), d=st.integers(1, 8), dv=st.integers(1, 5),
       mask_kind=st.sampled_from(["none", "bool", "float", "causal"]), seed=st.integers(0, 10**6))
def test_sdpa_matches_torch(batch, L, S, d, dv, mask_kind, seed):
    gen = torch.Generator().manual_seed(seed)
    q, k, v = randn(gen, *batch, L, d), randn(gen, *batch, S, d), randn(gen, *batch, S, dv)
    kwargs, mask = {}, None
    if mask_kind == "bool":
        mask = torch.rand(L, S, generator=gen) > 0.4               # may contain fully masked rows
        kwargs["attn_mask"] = mask
    elif mask_kind == "float":
        mask = randn(gen, L, S)
        kwargs["attn_mask"] = mask
    elif mask_kind == "causal":
        mask = A.causal_mask(L, S)
        kwargs["is_causal"] = True
    ref = F.scaled_dot_product_attention(q, k, v, **kwargs)
    torch.testing.assert_close(A.scaled_dot_product_attention(q, k, v, mask), ref, **TOL)


def test_fully_masked_row_gives_zeros_like_torch():
    q = k = v = torch.ones(1, 2, 3, dtype=D)
    mask = torch.tensor([[True, False], [False, False]])
    ours = A.scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    assert torch.all(ours[0, 1] == 0)


def test_attention_weights_rows_sum_to_one_and_scaling():
    gen = torch.Generator().manual_seed(0)
    q, k = randn(gen, 4, 16), randn(gen, 5, 16)
    w = A.attention_weights(q, k)
    torch.testing.assert_close(w.sum(-1), torch.ones(4, dtype=D))
    torch.testing.assert_close(w, torch.softmax(q @ k.T / 4.0, dim=-1))


def test_padding_mask():
    m = A.padding_mask([2, 4, 0], 4)
    assert m.shape == (3, 1, 4)
    assert m[:, 0].tolist() == [[True, True, False, False], [True] * 4, [False] * 4]
    with pytest.raises(ValueError, match="lengths must be"):
        A.padding_mask([5], 4)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), L=st.integers(1, 5), S=st.integers(1, 5),
       heads_dim=st.sampled_from([(1, 4), (2, 3), (3, 2), (4, 2)]), bias=st.booleans(),
       mask_kind=st.sampled_from(["none", "bool2d", "bool3d", "float"]), cross=st.booleans(),
       seed=st.integers(0, 10**6))
def test_multi_head_attention_matches_nn_multihead_attention(n, L, S, heads_dim, bias, mask_kind,
                                                              cross, seed):
    h, d = heads_dim
    e = h * d
    torch.manual_seed(seed)
    mha = nn.MultiheadAttention(e, h, bias=bias, batch_first=True).double().eval()
    gen = torch.Generator().manual_seed(seed)
    x = randn(gen, n, L, e)
    kv = randn(gen, n, S, e) if cross else x
    s = kv.shape[1]
    mask = None
    if mask_kind == "bool2d":
        mask = torch.rand(L, s, generator=gen) > 0.6
        mask[:, 0] = False                                         # keep every row attendable
    elif mask_kind == "bool3d":
        mask = torch.rand(n * h, L, s, generator=gen) > 0.6
        mask[..., 0] = False
    elif mask_kind == "float":
        mask = randn(gen, L, s)
    out, w = mha(x, kv, kv, attn_mask=mask)
    ours, ours_w = A.multi_head_attention(
        x, kv, kv, h, mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight,
        mha.out_proj.bias, attn_mask=mask)
    torch.testing.assert_close(ours, out, **TOL)
    torch.testing.assert_close(ours_w, w, **TOL)


def test_mask_conventions_are_opposite():
    """The same boolean mask means 'allowed' to SDPA and 'forbidden' to nn.MultiheadAttention."""
    torch.manual_seed(0)
    e = 4
    mha = nn.MultiheadAttention(e, 1, batch_first=True, bias=False).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.eye(e, dtype=D).repeat(3, 1))
        mha.out_proj.weight.copy_(torch.eye(e, dtype=D))
    x = torch.randn(1, 3, e, dtype=D)
    allowed = A.causal_mask(3)
    sdpa = F.scaled_dot_product_attention(x, x, x, attn_mask=allowed)
    torch.testing.assert_close(mha(x, x, x, attn_mask=~allowed)[0], sdpa, **TOL)
    # the SDPA mask given to MHA blocks the past instead (diagonal freed so no row is empty)
    out, w = mha(x, x, x, attn_mask=allowed & ~torch.eye(3, dtype=torch.bool))
    assert torch.isfinite(out).all() and not torch.allclose(out, sdpa)
    assert torch.all(w[0].tril(-1) == 0) and torch.all(w[0].triu(1).sum(-1)[:2] > 0)


def test_embed_dim_not_divisible_by_num_heads():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    x = torch.zeros(1, 2, 5)
    w = torch.zeros(15, 5)
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads.*embed_dim=5"):
        A.multi_head_attention(x, x, x, 2, w, None, torch.zeros(5, 5), None)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        A.multi_head_attention(x[0], x[0], x[0], 1, w, None, torch.zeros(5, 5), None)
    with pytest.raises(ValueError, match=r"in_proj_weight must be \(3E, E\)"):
        A.multi_head_attention(x, x, x, 1, torch.zeros(5, 5), None, torch.zeros(5, 5), None)


def test_sdpa_errors():
    with pytest.raises(ValueError, match="same last dimension"):
        A.scaled_dot_product_attention(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="same number of keys"):
        A.scaled_dot_product_attention(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(4, 3))
    with pytest.raises(TypeError, match="torch.Tensor"):
        A.scaled_dot_product_attention(np.zeros((2, 3)), torch.zeros(2, 3), torch.zeros(2, 3))


# ----------------------------------------------------------------- SE / CBAM
@pytest.mark.parametrize("c,r,shape", [(16, 4, (2, 5, 7)), (9, 3, (1, 1, 3)), (32, 16, (3, 4, 4))])
def test_se_block_matches_torchvision_squeeze_excitation(c, r, shape):
    torch.manual_seed(c)
    se = A.SEBlock(c, r).double()
    ref = torchvision.ops.SqueezeExcitation(c, c // r).double()
    with torch.no_grad():
        ref.fc1.weight.copy_(se.fc1.weight[:, :, None, None])
        ref.fc1.bias.copy_(se.fc1.bias)
        ref.fc2.weight.copy_(se.fc2.weight[:, :, None, None])
        ref.fc2.bias.copy_(se.fc2.bias)
    x = torch.randn(shape[0], c, *shape[1:], dtype=D)
    torch.testing.assert_close(se(x), ref(x), **TOL)


def _note_channel_attention(channel, reduction):
    """Note 004's ChannelAttentionModule, verbatim apart from the class statement."""
    class ChannelAttentionModule(nn.Module):
        def __init__(self, channel, reduction=16):
            super().__init__()
            mid_channel = channel // reduction
            self.avg_pool = nn.AdaptiveAvgPool2d(1)
            self.max_pool = nn.AdaptiveMaxPool2d(1)
            self.shared_MLP = nn.Sequential(
                nn.Linear(in_features=channel, out_features=mid_channel), nn.ReLU(inplace=True),
                nn.Linear(in_features=mid_channel, out_features=channel))
            self.sigmoid = nn.Sigmoid()

        def forward(self, x):
            avgout = self.shared_MLP(self.avg_pool(x).view(x.size(0), -1)).unsqueeze(2).unsqueeze(3)
            maxout = self.shared_MLP(self.max_pool(x).view(x.size(0), -1)).unsqueeze(2).unsqueeze(3)
            return self.sigmoid(avgout + maxout)
    return ChannelAttentionModule(channel, reduction)


@settings(max_examples=25, deadline=None)
@given(c=st.integers(2, 12), r=st.integers(1, 4), n=st.integers(1, 3), h=st.integers(1, 6),
       w=st.integers(1, 6), k=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10**6))
def test_cbam_parts_match_reference_code(c, r, n, h, w, k, seed):
    if c // r < 1:
        return
    torch.manual_seed(seed)
    x = torch.randn(n, c, h, w, dtype=D)
    ca = A.ChannelAttention(c, r).double()
    note = _note_channel_attention(c, r).double()
    note.shared_MLP[0].load_state_dict(ca.fc1.state_dict())
    note.shared_MLP[2].load_state_dict(ca.fc2.state_dict())
    mc = ca(x)
    torch.testing.assert_close(mc, note(x), **TOL)
    assert mc.shape == (n, c, 1, 1) and mc.min() >= 0 and mc.max() <= 1
    sa = A.SpatialAttention(k).double()
    ms = sa(x)
    pooled = torch.cat([x.mean(1, keepdim=True), x.max(1, keepdim=True)[0]], 1)
    torch.testing.assert_close(ms, torch.sigmoid(nn.functional.conv2d(pooled, sa.conv.weight, padding=k // 2)), **TOL)
    assert ms.shape == (n, 1, h, w) and ms.min() >= 0 and ms.max() <= 1
    cbam = A.CBAM(c, r, k).double()
    cbam.channel.load_state_dict(ca.state_dict())
    cbam.spatial.load_state_dict(sa.state_dict())
    xc = x * mc
    torch.testing.assert_close(cbam(x), xc * sa(xc), **TOL)


def test_spatial_attention_kernel_sees_its_neighbourhood_only():
    torch.manual_seed(0)
    x = torch.randn(1, 4, 15, 15, dtype=D)
    x2 = x.clone()
    x2[0, :, 7, 7] += 5.0
    for k in (1, 3, 7):
        sa = A.SpatialAttention(k).double()
        changed = (sa(x2) - sa(x)).abs()[0, 0] > 1e-12
        rows, cols = torch.nonzero(changed, as_tuple=True)
        assert rows.min() == 7 - k // 2 and rows.max() == 7 + k // 2
        assert cols.min() == 7 - k // 2 and cols.max() == 7 + k // 2


def test_cv_attention_errors():
    with pytest.raises(ValueError, match="channels // reduction must be >= 1"):
        A.SEBlock(8, 16)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        A.SpatialAttention(4)
    with pytest.raises(ValueError, match="divisible by groups"):
        A.CGNLBlock(6, planes=4, groups=3)


# ----------------------------------------------------------------- non-local family
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_non_local_attention_is_unscaled_sdpa_over_positions(seed):
    gen = torch.Generator().manual_seed(seed)
    theta, phi, g = randn(gen, 2, 3, 4, 5), randn(gen, 2, 3, 2, 3), randn(gen, 2, 6, 2, 3)
    y, att = A.non_local_attention(theta, phi, g)
    q = theta.flatten(2).transpose(1, 2)
    ref = F.scaled_dot_product_attention(q, phi.flatten(2).transpose(1, 2), g.flatten(2).transpose(1, 2),
                                         scale=1.0)                # (N, H1W1, C'')
    torch.testing.assert_close(y, ref.transpose(1, 2).reshape(2, 6, 4, 5), **TOL)
    assert att.shape == (2, 20, 6)
    torch.testing.assert_close(att.sum(-1), torch.ones(2, 20, dtype=D))


def test_non_local_block_starts_as_identity_and_then_follows_the_formula():
    torch.manual_seed(0)
    blk = A.NonLocalBlock(8).double().eval()
    x = torch.randn(2, 8, 3, 5, dtype=D)
    torch.testing.assert_close(blk(x), x, **TOL)
    with torch.no_grad():
        blk.bn.weight.fill_(1.0)
    y, _ = A.non_local_attention(blk.theta(x), blk.phi(x), blk.g(x))
    torch.testing.assert_close(blk(x), blk.bn(blk.w_z(y)) + x, **TOL)
    assert blk.attention(x).shape == (2, 15, 15)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), c=st.sampled_from([2, 4, 6]), groups=st.sampled_from([1, 2]),
       h=st.integers(1, 4), w=st.integers(1, 4), use_scale=st.booleans(), seed=st.integers(0, 10**6))
def test_cgnl_compact_equals_full_kernel_and_note_code(n, c, groups, h, w, use_scale, seed):
    gen = torch.Generator().manual_seed(seed)
    t, p, g = randn(gen, n, c, h, w), randn(gen, n, c, h, w), randn(gen, n, c, h, w)
    ours = A.cgnl_dot_product(t, p, g, groups, use_scale)
    torch.testing.assert_close(ours, A.cgnl_dot_product_naive(t, p, g, groups, use_scale), **TOL)
    # note 004's (the authors') kernel, applied group by group
    outs = []
    for tt, pp, gg in zip(t.chunk(groups, 1), p.chunk(groups, 1), g.chunk(groups, 1)):
        b, cc = tt.shape[:2]
        att = torch.bmm(pp.reshape(b, 1, cc * h * w), gg.reshape(b, cc * h * w, 1))
        if use_scale:
            att = att.div((cc * h * w) ** 0.5)
        outs.append(torch.bmm(att, tt.reshape(b, 1, cc * h * w)).view(b, cc, h, w))
    torch.testing.assert_close(ours, torch.cat(outs, 1), **TOL)


def test_cgnl_block_shape_and_formula():
    torch.manual_seed(0)
    blk = A.CGNLBlock(8, planes=4, groups=2, use_scale=True).double()
    x = torch.randn(2, 8, 3, 3, dtype=D)
    y = A.cgnl_dot_product(blk.t(x), blk.p(x), blk.g(x), 2, True)
    torch.testing.assert_close(blk(x), blk.gn(blk.z(y)) + x, **TOL)


def test_cross_layer_non_local_shapes_and_formula():
    torch.manual_seed(0)
    blk = A.CrossLayerNonLocal(16, 8, 4).double()
    q, kv = torch.randn(2, 16, 3, 4, dtype=D), torch.randn(2, 8, 6, 5, dtype=D)
    out = blk(q, kv)
    assert out.shape == q.shape and blk.attention(q, kv).shape == (2, 12, 30)
    qq = blk.query_conv(q).flatten(2).transpose(1, 2)              # (N, 12, 4)
    kk = blk.key_conv(kv).flatten(2)                               # (N, 4, 30)
    vv = blk.value_conv(kv).flatten(2).transpose(1, 2)             # (N, 30, 4)
    y = (torch.softmax(qq @ kk, -1) @ vv).transpose(1, 2).reshape(2, 4, 3, 4)
    torch.testing.assert_close(out, blk.out_conv(y) + q, **TOL)


# ----------------------------------------------------------------- costs and drawing
@pytest.mark.parametrize("c,h,w,r,k", [(32, 5, 7, 4, 7), (16, 4, 4, 2, 3)])
def test_attention_costs_match_parameter_count_and_flop_counter(c, h, w, r, k):
    costs = A.attention_costs(c, h, w, reduction=r, kernel_size=k)
    cbam = A.CBAM(c, r, k)
    modules = {"SE": A.SEBlock(c, r), "ChannelAttention": cbam.channel,
               "SpatialAttention": cbam.spatial, "CBAM": cbam, "NonLocal": A.NonLocalBlock(c),
               "CGNL": A.CGNLBlock(c)}
    x = torch.randn(1, c, h, w)
    for name, mod in modules.items():
        params = sum(p.numel() for n_, p in mod.named_parameters() if n_.split(".")[0] not in ("bn", "gn"))
        counter = FlopCounterMode(display=False)
        with counter:
            mod(x)
        assert costs[name]["params"] == params, name
        assert costs[name]["macs"] * 2 == counter.get_total_flops(), name


def test_multi_head_parameter_count_does_not_depend_on_heads():
    counts = {h: sum(p.numel() for p in nn.MultiheadAttention(12, h).parameters()) for h in (1, 2, 3, 4, 6)}
    assert set(counts.values()) == {4 * 12 * 12 + 4 * 12}


def test_overlay_attention_draws_and_checks():
    ax = A.overlay_attention(np.zeros((8, 8, 3)), np.ones((2, 2)), title="t")
    assert len(ax.images) == 2 and ax.get_title() == "t"
    plt.close("all")
    with pytest.raises(ValueError, match="attention must be 2-D"):
        A.overlay_attention(np.zeros((8, 8)), np.ones((1, 2, 2)))


def test_scaling_keeps_score_variance_at_one():
    gen = torch.Generator().manual_seed(0)
    for d in (4, 64, 256):
        q, k = randn(gen, 4000, d), randn(gen, 4000, d)
        scores = (q * k).sum(-1)
        assert abs(scores.var().item() / d - 1) < 0.1
        assert abs((scores / math.sqrt(d)).var().item() - 1) < 0.1


# ----------------------------------------------------------------- CBAM with the official BN
class _OfficialChannelPool(nn.Module):
    """Jongchan/attention-module, MODELS/cbam.py (the CBAM authors' code): max first, then mean."""

    def forward(self, x):
        return torch.cat((torch.max(x, 1)[0].unsqueeze(1), torch.mean(x, 1).unsqueeze(1)), dim=1)


class _OfficialSpatialGate(nn.Module):
    """The same file's ``SpatialGate``: ``BasicConv(2, 1, 7, padding=3, relu=False)`` (conv, BN), σ."""

    def __init__(self, kernel_size=7):
        super().__init__()
        self.compress = _OfficialChannelPool()
        self.conv = nn.Conv2d(2, 1, kernel_size, stride=1, padding=(kernel_size - 1) // 2, bias=False)
        self.bn = nn.BatchNorm2d(1, eps=1e-5, momentum=0.01, affine=True)

    def forward(self, x):
        return x * torch.sigmoid(self.bn(self.conv(self.compress(x))))


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 3), c=st.integers(1, 6), h=st.integers(1, 6), w=st.integers(1, 6),
       k=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10**6))
def test_spatial_attention_with_batch_norm_matches_official_code(n, c, h, w, k, seed):
    gen = torch.Generator().manual_seed(seed)
    ours = A.SpatialAttention(k, batch_norm=True).double()
    ref = _OfficialSpatialGate(k).double()
    with torch.no_grad():
        ours.conv.weight.copy_(randn(gen, 1, 2, k, k))
        ref.conv.weight.copy_(ours.conv.weight.flip(1))            # official pools max first
        for bn in (ours.bn, ref.bn):
            bn.weight.fill_(1.7)
            bn.bias.fill_(-0.3)
    for step in range(3):                                          # training mode, running stats move
        x = randn(gen, n, c, h, w)
        torch.testing.assert_close(x * ours(x), ref(x), **TOL)
    torch.testing.assert_close(ours.bn.running_mean, ref.bn.running_mean, **TOL)
    torch.testing.assert_close(ours.bn.running_var, ref.bn.running_var, **TOL)
    ours.eval(), ref.eval()
    x = randn(gen, n, c, h, w)
    torch.testing.assert_close(x * ours(x), ref(x), **TOL)
    torch.testing.assert_close(A.channel_pool(x), _OfficialChannelPool()(x).flip(1), **TOL)


def test_cbam_batch_norm_is_off_by_default_and_is_passed_on():
    assert A.SpatialAttention(7).bn is None and A.CBAM(8, 2).spatial.bn is None
    cbam = A.CBAM(8, 2, 7, batch_norm=True).double()
    assert cbam.spatial.bn.momentum == 0.01 and cbam.spatial.bn.eps == 1e-5
    x = torch.randn(3, 8, 5, 4, dtype=D)
    xc = x * cbam.channel(x)
    torch.testing.assert_close(cbam(x), xc * torch.sigmoid(cbam.spatial.bn(cbam.spatial.conv(A.channel_pool(xc)))),
                               **TOL)
    with pytest.raises(TypeError, match="batch_norm must be True or False"):
        A.SpatialAttention(7, batch_norm=1)
    with pytest.raises(ValueError, match="at least 4 dimensions"):
        A.channel_pool(torch.zeros(2, 3))


# ----------------------------------------------------------------- block diagrams
class _RecordLinear(TorchFunctionMode):
    """Record the input and output shapes of every ``F.linear`` call (the modules call the
    functional forms, so module hooks would not fire)."""

    def __init__(self):
        super().__init__()
        self.linear = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func is F.linear:
            self.linear.append((tuple(args[0].shape), tuple(out.shape)))
        return out


def _real_shapes(kind, n, c, h, w, r, ci, groups):
    """The shapes of the tensors the real modules compute, named as attention_block_shapes."""
    torch.manual_seed(0)
    x = torch.randn(n, c, h, w, dtype=D)
    rec = _RecordLinear()
    with torch.no_grad():
        if kind == "se":
            blk = A.SEBlock(c, r).double()
            with rec:
                weights = blk.weights(x)
            (squeeze, hidden), _ = rec.linear
            return {"x": x.shape, "squeeze": squeeze, "hidden": hidden, "weights": weights.shape,
                    "output": blk(x).shape}
        if kind == "cbam":
            blk = A.CBAM(c, r).double()
            with rec:
                m_c = blk.channel(x)
            (avg, hidden), _, (mx, _), _ = rec.linear              # the shared MLP runs twice
            f1 = x * m_c
            return {"F": x.shape, "avg": avg, "max": mx, "hidden": hidden, "M_c": m_c.shape,
                    "F'": f1.shape, "pooled": A.channel_pool(f1).shape, "M_s": blk.spatial(f1).shape,
                    "F''": blk(x).shape}
        if kind == "nonlocal":
            blk = A.NonLocalBlock(c, ci).double().eval()
            theta, phi, g = blk.theta(x), blk.phi(x), blk.g(x)
            att = blk.attention(x)
            values = g.flatten(2).transpose(1, 2)
            y, _ = A.non_local_attention(theta, phi, g)
            return {"x": x.shape, "theta": theta.shape, "queries": theta.flatten(2).transpose(1, 2).shape,
                    "keys": phi.flatten(2).shape, "values": values.shape, "attention": att.shape,
                    "y": (att @ values).shape, "y_map": y.shape, "z": blk(x).shape}
        blk = A.CGNLBlock(c, ci, groups).double()
        t, p, g = blk.t(x), blk.p(x), blk.g(x)
        # the authors' kernel, group by group: views (b, 1, c*h*w) and (b, c*h*w, 1), stacked
        m = t.chunk(groups, 1)[0][0].numel()
        t_vec = torch.cat([u.reshape(n, 1, m) for u in t.chunk(groups, 1)])
        p_vec = torch.cat([u.reshape(n, 1, m) for u in p.chunk(groups, 1)])
        g_vec = torch.cat([u.reshape(n, m, 1) for u in g.chunk(groups, 1)])
        return {"x": x.shape, "t": t.shape, "t_vec": t_vec.shape, "p_vec": p_vec.shape,
                "g_vec": g_vec.shape, "pg": torch.bmm(p_vec, g_vec).shape,
                "y": A.cgnl_dot_product(t, p, g, groups).shape, "z": blk(x).shape}


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(["se", "cbam", "nonlocal", "cgnl"]), n=st.integers(1, 3),
       c=st.sampled_from([4, 8, 12]), h=st.integers(1, 5), w=st.integers(1, 5),
       r=st.sampled_from([1, 2, 4]), ci=st.sampled_from([2, 4]), groups=st.sampled_from([1, 2]))
def test_block_shapes_are_the_shapes_of_the_real_modules(kind, n, c, h, w, r, ci, groups):
    shapes = A.attention_block_shapes(kind, batch=n, channels=c, height=h, width=w, reduction=r,
                                      inter_channels=ci, groups=groups)
    real = _real_shapes(kind, n, c, h, w, r, ci, groups)
    assert list(shapes) == list(real)
    assert {k: tuple(v) for k, v in real.items()} == shapes


def test_default_inter_channels_is_half_as_in_the_modules():
    assert A.attention_block_shapes("nonlocal", channels=10)["theta"][1] == A.NonLocalBlock(10).theta.out_channels
    assert A.attention_block_shapes("cgnl", channels=10)["t"][1] == A.CGNLBlock(10).t.out_channels


@pytest.mark.parametrize("kind", ["se", "cbam", "nonlocal", "cgnl"])
def test_draw_attention_block_labels_every_shape_legibly(kind):
    from dlnotes.plotting import book_rc, min_text_px

    sizes = dict(batch=2, channels=32, height=6, width=8, groups=4, inter_channels=16)
    with matplotlib.rc_context(book_rc()):
        ax = A.draw_attention_block(kind, **sizes)
        fig = ax.figure
        fig.canvas.draw()
        texts = " ".join(t.get_text() for t in ax.texts)
        for shape in A.attention_block_shapes(kind, **sizes).values():   # CBAM's avg and max share a box
            assert "(" + ", ".join(map(str, shape)) + ")" in texts, (kind, shape)
        assert fig.get_size_inches()[0] <= 7.84 and min_text_px(fig, 72) >= 8
        assert ax.get_title()
    plt.close("all")


def test_block_shape_errors():
    with pytest.raises(ValueError, match="kind='mlp' is not supported"):
        A.attention_block_shapes("mlp")
    with pytest.raises(ValueError, match="channels // reduction must be >= 1"):
        A.draw_attention_block("se", channels=8, reduction=16)
    with pytest.raises(ValueError, match="groups=3 must divide inter_channels=4"):
        A.attention_block_shapes("cgnl", channels=8, groups=3)
    with pytest.raises(TypeError, match="height must be an int"):
        A.attention_block_shapes("nonlocal", height=2.5)
