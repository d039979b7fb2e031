"""The convolution explorer: logic against torch, drawing, players and the widget from Python."""
import re

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnotes import conv
from dlnotes.widgets import conv as wconv


def torch_conv(x, k, s=1, p=0, d=1, bias=0.0):
    """x (C, H, W), k (C, kh, kw): one output channel, as F.conv2d computes it."""
    return F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(k)[None],
                    torch.tensor([bias], dtype=torch.float64), stride=s, padding=p,
                    dilation=d)[0, 0].numpy()


@st.composite
def step_configs(draw):
    k = draw(st.integers(1, 4))
    s, p, d = draw(st.integers(1, 3)), draw(st.integers(0, 2)), draw(st.integers(1, 3))
    low = max(1, d * (k - 1) + 1 - 2 * p)
    h, w = draw(st.integers(low, low + 4)), draw(st.integers(low, low + 4))
    return dict(c=draw(st.sampled_from([1, 3])), hw=(h, w), k=k, s=s, p=p, d=d,
                bias=draw(st.sampled_from([0.0, 1.5])), seed=draw(st.integers(0, 999)))


@settings(max_examples=40, deadline=None)
@given(cfg=step_configs())
def test_every_step_is_the_torch_convolution(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.integers(-3, 5, size=(cfg["c"], *cfg["hw"])).astype(float)
    k = rng.integers(-2, 3, size=(cfg["c"], cfg["k"], cfg["k"])).astype(float)
    s, p, d, b = cfg["s"], cfg["p"], cfg["d"], cfg["bias"]
    ref = torch_conv(x, k, s, p, d, b)
    np.testing.assert_allclose(conv.conv2d(x[None], k[None], np.array([b]), s, p, d)[0, 0], ref,
                               rtol=1e-12, atol=1e-12)
    xin, kin = (x[0], k[0]) if cfg["c"] == 1 else (x, k)
    first = wconv.conv_step(xin, kin, 0, s, p, d, b)
    assert first["n_positions"] == ref.size and first["full"].shape == ref.shape
    np.testing.assert_allclose(first["full"], ref, rtol=1e-12, atol=1e-12)
    padded = np.pad(x, ((0, 0), (p, p), (p, p)))
    for pos in range(ref.size):
        step = wconv.conv_step(xin, kin, pos, s, p, d, b)
        i, j = step["out_index"]
        assert (i, j) == divmod(pos, ref.shape[1])
        # the window is the padded input under the dilated kernel, products = window x kernel
        window = padded[:, i * s:i * s + d * (cfg["k"] - 1) + 1:d, j * s:j * s + d * (cfg["k"] - 1) + 1:d]
        np.testing.assert_array_equal(step["window"], window)
        np.testing.assert_array_equal(step["products"], window * k)
        np.testing.assert_allclose(step["channel_sums"], (window * k).sum(axis=(1, 2)))
        # ... and their sum plus the bias is torch's output value
        assert step["value"] == pytest.approx(ref[i, j], abs=1e-12)
        filled = ~np.isnan(step["output"])
        assert filled.sum() == pos + 1
        np.testing.assert_allclose(step["output"][filled], ref[filled])


def test_multi_channel_sum_is_one_output_value_of_conv2d():
    x = wconv.default_input((4, 5), 3)
    w = wconv.default_filter(wconv.make_kernel("sobel x"))
    ref = torch_conv(x, w, bias=1.0)
    for pos in range(ref.size):
        step = wconv.conv_step(x, w, pos, bias=1.0)
        assert step["channels"] == 3 and step["products"].shape == (3, 3, 3)
        assert step["channel_sums"].sum() + 1.0 == pytest.approx(ref.ravel()[pos])
    # one channel alone is not the answer: the filter sums over all three
    alone = torch_conv(x[:1], w[:1])
    assert not np.allclose(alone, ref)


@settings(max_examples=40, deadline=None)
@given(n=st.tuples(st.integers(1, 4), st.integers(1, 4)), k=st.integers(1, 4),
       s=st.integers(1, 3), p=st.integers(0, 3), seed=st.integers(0, 999))
def test_transposed_twin_is_conv_transpose2d(n, k, s, p, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=n).astype(float)
    w = rng.integers(-2, 3, size=(k, k)).astype(float)
    try:
        ref = F.conv_transpose2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None],
                                 stride=s, padding=p)[0, 0].numpy()
    except RuntimeError:  # torch refuses (the output would be empty): so do we
        with pytest.raises(ValueError):
            wconv.conv_transpose_step(x, w, 0, s, p)
        return
    if p > k - 1:  # torch accepts it, but it is a crop: the zero-inserted view cannot show it
        with pytest.raises(wconv.NotDrawable, match="negative padding"):
            wconv.conv_transpose_step(x, w, 0, s, p)
        return
    step = wconv.conv_transpose_step(x, w, 0, s, p)
    np.testing.assert_allclose(step["full"], ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.conv_transpose2d(x[None, None], w[None, None], stride=s,
                                                     padding=p)[0, 0], ref, rtol=1e-12, atol=1e-12)
    # the picture: input pixels s apart, zeros between them, k-1-p zeros of padding around
    role = step["role"]
    assert (role == 2).sum() == x.size and step["padding"] == k - 1 - p
    np.testing.assert_array_equal(step["padded"][0][role == 2], x.ravel())
    assert not step["padded"][0][role != 2].any()
    np.testing.assert_array_equal(step["kernel"][0], w[::-1, ::-1])   # the flipped kernel slides
    last = wconv.conv_transpose_step(x, w, ref.size - 1, s, p)
    np.testing.assert_allclose(last["output"], ref)


def test_presets_are_the_named_filters():
    img = np.random.default_rng(0).integers(0, 255, size=(9, 11)).astype(float)
    same = lambda k: wconv.conv_step(img, k, padding=k.shape[0] // 2)["full"]  # noqa: E731
    kx, ky = cv2.getDerivKernels(1, 0, 3)                   # Sobel d/dx: outer([1,2,1], [-1,0,1])
    np.testing.assert_array_equal(wconv.make_kernel("sobel x"), np.outer(ky, kx))
    np.testing.assert_array_equal(wconv.make_kernel("sobel y"), np.outer(ky, kx).T)
    border = dict(borderType=cv2.BORDER_CONSTANT)
    np.testing.assert_allclose(same(wconv.make_kernel("sobel x")),
                               cv2.Sobel(img, cv2.CV_64F, 1, 0, ksize=3, **border), atol=1e-9)
    np.testing.assert_allclose(same(wconv.make_kernel("laplacian")),
                               cv2.Laplacian(img, cv2.CV_64F, ksize=1, **border), atol=1e-9)
    np.testing.assert_allclose(same(wconv.make_kernel("box", 5)), cv2.blur(img, (5, 5), **border),
                               atol=1e-9)
    np.testing.assert_array_equal(same(wconv.make_kernel("identity", 5)), img)
    np.testing.assert_array_equal(wconv.make_kernel("difference", 4), [[-1, 0, 1, -1]] * 4)
    np.testing.assert_array_equal(wconv.default_kernel(3), [[-1, 0, 1]] * 3)


@pytest.mark.parametrize("name,size,msg", [("sobel x", 5, "is 3x3"), ("identity", 4, "odd"),
                                           ("gabor", 3, "not supported")])
def test_presets_refuse_what_they_cannot_be(name, size, msg):
    with pytest.raises(ValueError, match=msg):
        wconv.make_kernel(name, size)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 3))
def test_the_formula_shown_is_the_size_torch_gives(n, k, s, p, d):
    text = wconv.output_size_formula(n, k, s, p, d)
    assert text.startswith(f"⌊({n} + 2·{p} − {d}·({k} − 1) − 1)/{s}⌋ + 1")
    if n + 2 * p < d * (k - 1) + 1:
        assert "torch refuses" in text
        with pytest.raises(RuntimeError):
            F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
        return
    # evaluate the substituted expression as written, and compare with its value and torch
    expr, value = text.split(" = ")
    py = expr.replace("⌊", "(").replace("⌋", ")").replace("·", "*").replace("−", "-").replace("/", "//")
    out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p,
                   dilation=d).shape[-1]
    assert eval(py) == int(value) == out  # noqa: S307  (our own digits and operators)


def test_player_positions():
    assert wconv.player_positions(2, 3) == list(range(6))          # few: all of them
    # the slide along the first row, the wrap to the next one, and the complete output
    assert wconv.player_positions(3, 3) == [0, 1, 2, 3, 4, 8]
    assert wconv.player_positions(5, 5) == [0, 1, 2, 4, 5, 6, 24]
    assert wconv.player_positions(20, 20, max_frames=8) == [0, 1, 2, 19, 20, 21, 399]
    assert wconv.player_positions(1, 12) == [0, 1, 2, 11]
    assert wconv.player_positions(12, 1) == [0, 1, 2, 11]


def test_drawing_writes_the_numbers_of_the_step():
    x, k = wconv.default_input(5), wconv.make_kernel("sobel x")
    step = wconv.conv_step(x, k, 4, padding=1)
    fig, layout = wconv.conv_figure(step)
    drawn = wconv.draw_conv_step(step, layout, kernel_name="sobel x kernel")
    text = lambda artists: [t.get_text() for t in artists]  # noqa: E731
    # padding cells are blank, except under the kernel, where the products need their zeros
    inside = np.pad(np.ones((5, 5), bool), 1)
    under = np.zeros_like(inside)
    under[step["rows"], step["cols"]] = True
    assert text(drawn["input"][0]) == [wconv.format_value(v) for v, show in
                                       zip(step["padded"][0].ravel(), (inside | under).ravel()) if show]
    assert under.sum() == 9 and (under & ~inside).sum() == 5   # position 4 = (0, 4): top-right corner
    assert text(drawn["kernel"][0]) == ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    assert text(drawn["products"][0]) == [wconv.format_value(v) for v in step["products"][0].ravel()]
    assert len(drawn["output"]) == 5                      # positions 0..4 filled
    assert drawn["titles"]["sum"].get_text() == f"sum = {wconv.format_value(step['value'])}"
    assert drawn["titles"]["kernel"].get_text() == "sobel x kernel"
    assert drawn["formula"].get_text() == "output size = ⌊(5 + 2·1 − 1·(3 − 1) − 1)/1⌋ + 1 = 5"
    assert fig.get_figwidth() <= 7.84
    plt.close(fig)


def test_values_are_readable_on_dark_cells():
    from dlnotes.plotting import text_color_for

    x = wconv.default_input((4, 5), 3)
    step = wconv.conv_step(x, wconv.default_filter(wconv.make_kernel("laplacian")), 2, bias=1.0)
    fig, layout = wconv.conv_figure(step)
    drawn = wconv.draw_conv_step(step, layout)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255
    h = image.shape[0]
    checked = 0
    for group in drawn["input"] + drawn["kernel"] + drawn["products"] + [drawn["output"]]:
        for t in group:
            bb = t.get_window_extent(renderer)
            # the cell colour just below the text's box, where no glyph is
            xc, y = int((bb.x0 + bb.x1) / 2), int(h - bb.y0) + 3
            assert text_color_for(image[y, xc]) == t.get_color() or t.get_color() == "0.35"
            checked += 1
    assert checked > 60
    summary = [t.get_text() for t in drawn["sums"]]
    assert summary == [f"Σ = {wconv.format_value(v)}" for v in step["channel_sums"]]
    plt.close(fig)


@pytest.mark.parametrize("name", list(wconv.PLAYERS))
def test_players_are_small_and_legible(name):
    html = wconv.conv_animation(name, kernel="sobel x").data
    m = re.search(r'data-frame-width="(\d+)" data-min-text-px="([\d.]+)"', html)
    width, text_px = int(m.group(1)), float(m.group(2))
    css = int(re.search(r'style="width: (\d+)px', html).group(1))
    assert css <= 784 and width >= 2 * css - 2                      # sharp on a 2x screen
    assert text_px * min(css, 784) / width >= 10                    # >= 10 CSS px on the page
    assert 4 <= html.count("data:image/png;base64") <= 12
    assert len(html) < 500_000


def test_widget_sliders_drive_the_state():
    box = wconv.conv_explorer()
    c = box.controls
    # the browser test moves the first slider of the widget: it must be the position
    assert box.children[0].children[0] is c["position"]
    assert set(c) == {"position", "kernel_size", "stride", "padding", "dilation", "kernel", "mode"}
    assert box.state["n_positions"] == 16 and c["position"].max == 15
    assert box.formula.value.endswith("⌊(6 + 2·0 − 1·(3 − 1) − 1)/1⌋ + 1 = 4")
    c["position"].value = 5
    assert box.state["out_index"] == (1, 1)
    c["stride"].value = 2
    assert box.state["n_positions"] == 4 and c["position"].max == 3
    assert c["position"].value == 3  # clamped by the slider
    c["padding"].value = 1
    x, k = wconv.default_input(6), wconv.default_kernel(3)
    np.testing.assert_allclose(box.state["full"], torch_conv(x[None], k[None], 2, 1, 1))
    assert box.formula.value.endswith("⌊(6 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1 = 3")
    (shown,) = box.output.outputs       # the Output widget holds exactly one PNG
    assert shown["output_type"] == "display_data" and shown["data"]["image/png"]
    plt.close("all")


def test_widget_presets_and_modes():
    box = wconv.conv_explorer()
    c = box.controls
    c["kernel_size"].value = 5
    c["kernel"].value = "sobel x"                          # a 3x3 preset fixes the size
    assert c["kernel_size"].value == 3 and c["kernel_size"].disabled
    np.testing.assert_array_equal(box.state["kernel"][0], wconv.make_kernel("sobel x"))
    c["kernel"].value = "box"
    assert not c["kernel_size"].disabled
    c["mode"].value = "3 channels"
    x3 = wconv.default_input(6, 3)
    w3 = wconv.default_filter(wconv.make_kernel("box"))
    assert box.state["channels"] == 3
    np.testing.assert_allclose(box.state["full"], torch_conv(x3, w3, bias=1.0), atol=1e-12)
    c["mode"].value = "transposed"
    assert c["dilation"].disabled
    c["stride"].value = 2
    ref = F.conv_transpose2d(torch.from_numpy(wconv.default_input(6))[None, None],
                             torch.from_numpy(wconv.make_kernel("box"))[None, None], stride=2)
    np.testing.assert_allclose(box.state["full"], ref[0, 0].numpy(), atol=1e-12)
    assert box.formula.value.endswith("(6 − 1)·2 − 2·0 + (3 − 1) + 1 = 13")
    plt.close("all")


def test_widget_reports_configurations_torch_refuses():
    box = wconv.conv_explorer(size=4)
    box.controls["kernel_size"].value = 5
    box.controls["dilation"].value = 3
    with pytest.raises(RuntimeError):   # torch refuses it too
        F.conv2d(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 5, 5), dilation=3)
    assert box.state is None and "smaller than the dilated kernel" in box.error
    (shown,) = box.output.outputs
    assert shown["output_type"] == "stream" and "torch would refuse" in shown["text"]
    assert "torch refuses" in box.formula.value
    box.controls["dilation"].value = 1
    box.controls["padding"].value = 1
    assert box.error is None and box.state["n_positions"] == 4
    box.controls["kernel"].value = "identity"            # 5x5: it has a centre
    assert box.error is None
    box.controls["kernel_size"].value = 4
    assert "odd kernel_size" in box.error
    assert "not shown" in box.output.outputs[0]["text"]
    plt.close("all")


def test_fixed_kernel_disables_the_size_slider_and_presets():
    box = wconv.conv_explorer(kernel=np.ones((2, 2)))
    assert box.controls["kernel_size"].disabled and box.controls["kernel"].disabled
    assert box.state["products"].shape == (1, 2, 2)
    plt.close("all")


def test_bad_input_is_refused_with_the_parameter_named():
    with pytest.raises(ValueError, match="x must be"):
        wconv.conv_step(np.zeros((1, 1, 5, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="3 kernels but x has 1"):
        wconv.conv_step(np.zeros((5, 5)), np.ones((3, 3, 3)))
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        wconv.conv_step(np.zeros((3, 3)), np.ones((3, 3)), dilation=2)
    with pytest.raises(ValueError, match="name='x' is not supported|name="):
        wconv.conv_animation("x")
