"""dlnotes.widgets.optim: the optimizer explorer, driven without a browser."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlnotes import optim  # noqa: E402
from dlnotes.widgets import optim as wopt  # noqa: E402


def test_optimizer_kwargs_pick_what_each_optimizer_takes():
    assert wopt.optimizer_kwargs("SGD", 0.01, 0.9, True) == {"lr": 0.01, "momentum": 0.9, "nesterov": True}
    assert wopt.optimizer_kwargs("SGD", 0.01, 0.0, True)["nesterov"] is False  # torch would refuse
    assert wopt.optimizer_kwargs("Adam", None, betas=(0.8, 0.99)) == {"lr": wopt.DEFAULT_LR["Adam"],
                                                                     "betas": (0.8, 0.99)}
    assert wopt.optimizer_kwargs("Adagrad", 0.3, momentum=0.9) == {"lr": 0.3}
    with pytest.raises(ValueError, match="optimizer='Lion' is not supported"):
        wopt.optimizer_kwargs("Lion")


def test_explorer_paths_are_run_trajectory():
    paths = wopt.explorer_paths({"a": ("RMSprop", {"lr": 0.02}), "b": ("SGD", {"lr": 0.01})}, "beale", 40)
    np.testing.assert_array_equal(paths["a"], optim.run_trajectory(optim.RMSprop, None, "beale", 40, lr=0.02))
    assert paths["b"].shape == (41, 2)


def test_draw_paths_draws_every_path_up_to_a_step():
    paths = wopt.explorer_paths({"Adam": ("Adam", {"lr": 0.1}), "SGD": ("SGD", {"lr": 1.0})}, "quadratic", 300)
    fig, ax = plt.subplots()
    assert wopt.draw_paths(ax, "quadratic", paths, upto=10) is ax
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Adam", "SGD"]  # SGD has not diverged yet at step 10
    adam_line = [ln for ln in ax.get_lines() if ln.get_label() == "Adam"][0]
    assert len(adam_line.get_xdata()) == 11
    ax.clear()
    wopt.draw_paths(ax, "quadratic", paths)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Adam", "SGD  (diverged)"]
    plt.close(fig)


def test_widget_recomputes_when_controls_change():
    box = wopt.optimizer_explorer(optimizer="Adam", surface="quadratic", steps=50)
    assert set(box.state["paths"]) == {"Adam", "SGD (lr=1e-3)"}
    box.controls["beta1"].value = 0.5
    assert box.state["kwargs"] == {"lr": wopt.DEFAULT_LR["Adam"], "betas": (0.5, 0.999)}
    np.testing.assert_allclose(box.state["paths"]["Adam"],
                               optim.run_trajectory(optim.Adam, None, "quadratic", 50,
                                                    lr=wopt.DEFAULT_LR["Adam"], betas=(0.5, 0.999)))
    box.controls["optimizer"].value = "SGD"  # resets lr to SGD's default
    assert box.controls["lr"].value == pytest.approx(wopt.DEFAULT_LR["SGD"])
    assert box.state["kwargs"]["lr"] == pytest.approx(wopt.DEFAULT_LR["SGD"])
    assert set(box.state["paths"]) == {"SGD"}
    box.controls["surface"].value = "beale"
    assert box.state["paths"]["SGD"][0].tolist() == list(optim.SURFACES["beale"].start)
    plt.close("all")


def test_widget_rejects_bad_choices():
    with pytest.raises(ValueError, match="surface='saddle'"):
        wopt.optimizer_explorer(surface="saddle")


def test_draw_paths_legend_can_be_left_to_the_figure():
    paths = wopt.explorer_paths({"Adam": ("Adam", {"lr": 0.1})}, "beale", 20)
    fig, ax = plt.subplots()
    wopt.draw_paths(ax, "beale", paths, legend=False)
    assert ax.get_legend() is None
    assert [ln.get_label() for ln in ax.get_lines() if ln.get_label() == "Adam"] == ["Adam"]
    wopt.draw_paths(ax, "beale", paths)
    assert all(t.get_fontsize() >= 8 for t in ax.get_legend().get_texts())
    plt.close(fig)


def test_widget_figure_is_a_sharp_legible_2x_png():
    """The explorer shows a 2x PNG no wider than the site's 784-px column, text >= 10 CSS px."""
    import base64

    from dlnotes._png import MIN_TEXT_KEY, png_size, read_text

    box = wopt.optimizer_explorer(optimizer="RMSprop", surface="beale", steps=30)
    (out,) = box.output.outputs
    png = out["data"]["image/png"]
    png = base64.b64decode(png) if isinstance(png, str) else png
    css_width = out["metadata"]["image/png"]["width"]
    assert css_width <= 784
    assert png_size(png)[0] >= 1.95 * css_width                     # sharp on a 2x screen
    min_text_image_px = float(read_text(png)[MIN_TEXT_KEY])
    assert min_text_image_px * css_width / png_size(png)[0] >= 10   # legible on the page
    plt.close("all")
