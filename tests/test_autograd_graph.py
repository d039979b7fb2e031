"""dlnotes.autograd_graph: the grad_fn walk, the layered layout and the drawing."""
import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402

from dlnotes.autograd_graph import autograd_graph, draw_autograd_graph, layered_layout  # noqa: E402
from dlnotes.plotting import min_text_px  # noqa: E402


def _tanh_affine():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    b = torch.tensor([0.5, 0.1], requires_grad=True)
    x = torch.tensor([0.5, 3.0])                       # no grad: no node
    return torch.tanh(w * x + b).sum(), w, b


def test_known_graph_nodes_edges_and_labels():
    y, w, b = _tanh_affine()
    nodes, edges = autograd_graph(y, names={"w": w, "b": b})
    assert [n.name for n in nodes] == ["SumBackward0", "TanhBackward0", "AddBackward0", "MulBackward0",
                                       "AccumulateGrad", "AccumulateGrad"]
    assert edges == [(0, 1), (1, 2), (2, 3), (2, 4), (3, 5)]
    assert [n.kind for n in nodes] == ["op"] * 4 + ["leaf"] * 2
    assert nodes[4].label == "b\nAccumulateGrad" and nodes[5].label == "w\nAccumulateGrad"
    assert nodes[0].label == "SumBackward0"
    assert nodes[4].index == 4


def test_a_tensor_used_twice_is_one_node_with_two_users():
    w = torch.tensor([2.0], requires_grad=True)
    a = w * 3                                          # MulBackward0, used twice below
    y = (a * a + a).sum()
    nodes, edges = autograd_graph(y)
    names = [n.name for n in nodes]
    assert names.count("AccumulateGrad") == 1
    assert names == ["SumBackward0", "AddBackward0", "MulBackward0", "MulBackward0", "AccumulateGrad"]
    # a*a lists the same input twice: one edge; a also feeds the Add: a second user
    assert edges == [(0, 1), (1, 2), (1, 3), (2, 3), (3, 4)]
    assert len(edges) == len(set(edges))


def test_every_parameter_of_a_model_is_a_leaf_exactly_once():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    out = model(torch.randn(5, 3)).pow(2).mean()
    nodes, edges = autograd_graph(out, names=dict(model.named_parameters()))
    leaves = sorted(n.label.split("\n")[0] for n in nodes if n.kind == "leaf")
    assert leaves == sorted(name for name, _ in model.named_parameters())
    # the walk reaches the same nodes as a plain recursive walk over next_functions
    seen = set()

    def visit(fn):
        if fn is None or fn in seen:
            return
        seen.add(fn)
        for nxt, _ in fn.next_functions:
            visit(nxt)

    visit(out.grad_fn)
    assert len(seen) == len(nodes)
    # and backward() runs exactly these nodes: hook each one and count
    ran = []
    for fn in seen:
        fn.register_prehook(lambda grad_outputs, fn=fn: ran.append(fn))
    out.backward()
    assert set(ran) == seen


def test_data_dependent_loop_records_a_graph_per_call():
    def double_until_large(x):
        while x.norm() < 10:
            x = 2 * x
        return x.sum()

    for start, k in ((3.0, 2), (0.01, 10)):
        x = torch.tensor([start], requires_grad=True)
        nodes, edges = autograd_graph(double_until_large(x))
        assert sum(n.name == "MulBackward0" for n in nodes) == k
        assert len(nodes) == k + 2 and len(edges) == k + 1   # Sum, k Muls, the leaf: a chain


@pytest.mark.parametrize("bad, exc, match", [
    (torch.ones(2, requires_grad=True), ValueError, "output has no grad_fn"),
    (torch.ones(2), ValueError, "output has no grad_fn"),
    ([1.0], TypeError, "output must be a torch.Tensor"),
])
def test_bad_output(bad, exc, match):
    with pytest.raises(exc, match=match):
        autograd_graph(bad)


def test_bad_names():
    y, w, _ = _tanh_affine()
    with pytest.raises(TypeError, match="names must be a dict"):
        autograd_graph(y, names=[w])
    with pytest.raises(TypeError, match="names must be a dict"):
        autograd_graph(y, names={"w": 1.0})


# ----------------------------------------------------------------- layout
def _random_dag(seed, n):
    g = torch.Generator().manual_seed(seed)
    edges = []
    for j in range(1, n):                              # every node is used by an earlier one
        users = torch.randperm(j, generator=g)[: 1 + int(torch.randint(0, 2, (1,), generator=g))]
        edges += [(int(i), j) for i in users]
    return [None] * n, sorted(set(edges))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12))
def test_layout_columns_are_longest_paths_and_rows_do_not_collide(seed, n):
    nodes, edges = _random_dag(seed, n)
    pos = layered_layout(nodes, edges)
    assert pos[0][0] == 0
    for i, j in edges:
        assert pos[j][0] > pos[i][0]                   # inputs lie left of their users
    # longest path, by brute force over all paths from j to 0
    users = {j: [i for i, jj in edges if jj == j] for j in range(n)}

    def longest(j):
        return max((longest(i) + 1 for i in users[j]), default=0)

    assert all(pos[j][0] == longest(j) for j in range(n))
    for a, b in itertools.combinations(range(n), 2):
        assert pos[a] != pos[b]
    for c in {col for col, _ in pos.values()}:         # rows of a column centred on 0
        rows = sorted(r for col, r in pos.values() if col == c)
        assert rows == [k - (len(rows) - 1) / 2 for k in range(len(rows))]


def test_layout_rejects_bad_edges():
    with pytest.raises(ValueError, match="outside 0..1"):
        layered_layout([None, None], [(0, 2)])
    with pytest.raises(ValueError, match="cycle"):
        layered_layout([None, None, None], [(0, 1), (1, 2), (2, 1)])
    with pytest.raises(ValueError, match="sweeps must be >= 0"):
        layered_layout([None, None], [(0, 1)], sweeps=-1)


# ----------------------------------------------------------------- drawing
def _boxes_and_arrows(ax):
    boxes = {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("node-")}
    arrows = {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("edge-")}
    return boxes, arrows


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_drawing_has_one_box_per_node_and_one_arrow_per_edge(direction):
    y, w, b = _tanh_affine()
    nodes, edges = autograd_graph(y, names={"w": w, "b": b})
    ax = draw_autograd_graph(y, names={"w": w, "b": b}, direction=direction)
    fig = ax.figure
    fig.canvas.draw()
    boxes, arrows = _boxes_and_arrows(ax)
    assert sorted(boxes) == sorted(f"node-{n.index}" for n in nodes)
    assert sorted(arrows) == sorted(f"edge-{i}-{j}" for i, j in edges)
    assert sorted(t.get_text() for t in ax.texts) == sorted(n.label for n in nodes)   # fits: one line
    renderer = fig.canvas.get_renderer()
    for t in ax.texts:                                 # every label inside its box
        box = next(bx for bx in boxes.values() if bx.get_window_extent(renderer).contains(
            *t.get_window_extent(renderer).get_points().mean(0)))
        assert box.get_window_extent(renderer).padded(0.5).contains(*t.get_window_extent(renderer).p0)
        assert box.get_window_extent(renderer).padded(0.5).contains(*t.get_window_extent(renderer).p1)
    extents = [bx.get_window_extent(renderer) for bx in boxes.values()]
    for e1, e2 in itertools.combinations(extents, 2):  # boxes do not overlap
        assert not e1.overlaps(e2)
    for gid, arrow in arrows.items():
        i, j = map(int, gid.split("-")[1:])
        src, dst = (j, i) if direction == "forward" else (i, j)
        a = arrow.get_window_extent(renderer)
        s, d = boxes[f"node-{src}"].get_window_extent(renderer), boxes[f"node-{dst}"].get_window_extent(renderer)
        # the arrow spans the gap between the two boxes, from the source's side to the destination's
        if d.x0 > s.x1:
            assert s.x1 - 2 <= a.x0 and a.x1 <= d.x0 + 2
        else:
            assert d.x1 - 2 <= a.x0 and a.x1 <= s.x0 + 2
        assert (d.x0 > s.x1) == (direction == "forward")
    assert fig.get_size_inches()[0] <= 7.84
    assert min_text_px(fig) >= 10
    plt.close(fig)


def test_a_wide_graph_gets_two_line_operation_names():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    out = nn.functional.cross_entropy(model(torch.randn(5, 3)), torch.tensor([0, 1, 0, 1, 1]))
    nodes, _ = autograd_graph(out)
    wide = draw_autograd_graph(out, max_width=100).figure
    narrow = draw_autograd_graph(out).figure
    assert narrow.get_size_inches()[0] < 0.9 * wide.get_size_inches()[0]
    texts = sorted(t.get_text() for t in narrow.axes[0].texts)
    assert "LogSoftmax\nBackward0" in texts and "LogSoftmaxBackward0" not in texts
    assert sorted(t.replace("\n", "") for t in texts) == sorted(n.label.replace("\n", "") for n in nodes)
    plt.close("all")


def test_drawing_on_a_given_axes_and_errors():
    y, _, _ = _tanh_affine()
    fig, ax = plt.subplots(figsize=(7, 2))
    assert draw_autograd_graph(autograd_graph(y), ax=ax) is ax
    with pytest.raises(ValueError, match="direction='sideways' is not supported"):
        draw_autograd_graph(y, direction="sideways")
    with pytest.raises(ValueError, match="fontsize must be > 0"):
        draw_autograd_graph(y, fontsize=0)
    with pytest.raises(ValueError, match="max_width must be > 0 inches, got -1"):
        draw_autograd_graph(y, max_width=-1)
    plt.close("all")
