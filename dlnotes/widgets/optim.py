"""Optimizer explorer: choose an optimizer and its hyper-parameters, watch its path.

Three layers, so tests can drive the widget without a browser and the website can show
an animation drawn by the same code:

- logic: :func:`optimizer_kwargs` and :func:`explorer_paths` compute the paths;
- drawing: :func:`draw_paths` draws contours and paths on an ``ax`` (also used, frame by
  frame, by the chapter's static animation);
- controls: :func:`optimizer_explorer` wires ipywidgets to the two.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import optim
from .._validate import check_choice, check_int
from ..plotting import figure_image

__all__ = ["OPTIMIZERS", "DEFAULT_LR", "optimizer_kwargs", "explorer_paths", "draw_paths",
           "optimizer_explorer"]

OPTIMIZERS = ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW")

# Learning rates that make a readable path on every surface (SGD needs small steps on
# Rosenbrock's steep walls; the adaptive methods normalise the gradient away).
DEFAULT_LR = {"SGD": 1e-3, "Adagrad": 0.5, "RMSprop": 0.01, "Adam": 0.1, "AdamW": 0.1}

COLORS = {"SGD": "tab:blue", "Adagrad": "tab:green", "RMSprop": "tab:purple",
          "Adam": "tab:red", "AdamW": "tab:orange"}


def optimizer_kwargs(name, lr=None, momentum=0.0, nesterov=False, betas=(0.9, 0.999)):
    """The keyword arguments ``name`` understands, taken from the explorer's controls.

    ``momentum`` is used by SGD and RMSprop, ``nesterov`` by SGD (only with momentum > 0),
    ``betas`` by Adam and AdamW; ``lr=None`` takes :data:`DEFAULT_LR`.

    Returns
    -------
    dict
    """
    check_choice("optimizer", name, OPTIMIZERS)
    kwargs = {"lr": DEFAULT_LR[name] if lr is None else float(lr)}
    if name in ("SGD", "RMSprop"):
        kwargs["momentum"] = float(momentum)
    if name == "SGD":
        kwargs["nesterov"] = bool(nesterov) and momentum > 0
    if name in ("Adam", "AdamW"):
        kwargs["betas"] = (float(betas[0]), float(betas[1]))
    return kwargs


def explorer_paths(runs, surface="rosenbrock", steps=300, start=None):
    """Paths of several optimizers on one surface.

    Parameters
    ----------
    runs : dict
        ``label -> (optimizer name, kwargs)``, e.g.
        ``{"Adam": ("Adam", {"lr": 0.05})}``.
    surface : str or optim.Surface
    steps : int
    start : (float, float), optional

    Returns
    -------
    dict
        ``label -> ndarray (steps + 1, 2)``, from :func:`dlnotes.optim.run_trajectory`.
    """
    steps = check_int("steps", steps, 0)
    out = {}
    for label, (name, kwargs) in runs.items():
        check_choice("optimizer", name, OPTIMIZERS)
        out[label] = optim.run_trajectory(getattr(optim, name), start, surface, steps, **kwargs)
    return out


@functools.lru_cache(maxsize=8)
def _contour_grid(s, n=160):
    x = np.linspace(*s.xlim, n)
    y = np.linspace(*s.ylim, n)
    xx, yy = np.meshgrid(x, y)
    return xx, yy, s(xx, yy)


def _log_norm(levels):
    from matplotlib.colors import LogNorm

    return LogNorm(vmin=levels[0], vmax=levels[-1])


def draw_paths(ax, surface, paths, upto=None, title=None, colors=None, filled=True, legend=True):
    """Contours of ``surface`` and each path (up to step ``upto``) on ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    surface : str or optim.Surface
    paths : dict
        ``label -> ndarray (T, 2)``, as returned by :func:`explorer_paths`.
    upto : int, optional
        Draw steps ``0 .. upto`` only (for animations); default: all.
    colors : dict, optional
        ``label -> colour``; defaults to :data:`COLORS` by optimizer name, then the cycle.
    filled : bool
        Shade between the contour lines (animations turn it off: smaller frames).
    legend : bool
        Draw a legend on ``ax`` (8 pt, legible at the site's width); turn it off to draw one
        legend for several panels (``fig.legend``), the labels stay on the lines.

    Returns
    -------
    matplotlib.axes.Axes
    """
    s = optim.get_surface(surface)
    xx, yy, zz = _contour_grid(s)
    levels = np.logspace(-2, np.log10(zz.max()), 18) if s.log_levels else 18
    if filled:
        ax.contourf(xx, yy, zz + 1e-12, levels=levels, cmap="Blues_r", alpha=0.35,
                    norm=_log_norm(levels) if s.log_levels else None)
    ax.contour(xx, yy, zz + 1e-12, levels=levels, colors="0.55", linewidths=0.5)
    ax.plot(*s.minimum, marker="*", color="gold", markersize=14, markeredgecolor="k", zorder=5)
    for i, (label, path) in enumerate(paths.items()):
        p = path if upto is None else path[: upto + 1]
        p = p[np.all(np.isfinite(p), axis=1)]
        color = (colors or {}).get(label) or COLORS.get(label.split()[0], f"C{i}")
        final = path[-1] if upto is None else path[min(upto, len(path) - 1)]
        diverged = "  (diverged)" if not np.all(np.isfinite(final)) else ""
        ax.plot(p[:, 0], p[:, 1], "-", color=color, lw=1.5, label=f"{label}{diverged}")
        if len(p):
            ax.plot(*p[-1], "o", color=color, markersize=5)
    if paths:
        ax.plot(*np.asarray(next(iter(paths.values())))[0], "ks", markersize=5)
    ax.set_xlim(*s.xlim)
    ax.set_ylim(*s.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if paths and legend:
        ax.legend(loc="upper left", fontsize=8, framealpha=0.8)
    ax.set_title(title if title is not None else s.name, fontsize=9)
    return ax


def optimizer_explorer(optimizer="Adam", surface="rosenbrock", lr=None, momentum=0.9,
                       nesterov=False, beta1=0.9, beta2=0.999, steps=500, compare=True):
    """Interactive explorer: one optimizer's path on a test surface, live.

    Parameters
    ----------
    optimizer : {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW"}
    surface : {"rosenbrock", "quadratic", "beale"}
    lr : float, optional
        Default: :data:`DEFAULT_LR` of ``optimizer``; choosing another optimizer resets it.
    momentum, nesterov, beta1, beta2 : hyper-parameters (see :func:`optimizer_kwargs`).
    steps : int
    compare : bool
        Also draw plain SGD with its default learning rate, for reference.

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (dict of the widgets by name), ``.state`` (``"paths"``: the
        paths last computed, ``"kwargs"``: the optimizer's arguments) and ``.output``.
        The figure is a 2x PNG (:func:`dlnotes.plotting.figure_image`) 5.5 in wide, shown
        unscaled on the book's pages (at most 7.84 in), with text of at least 8 pt.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_choice("surface", surface, tuple(optim.SURFACES))
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    style = {"description_width": "80px"}
    controls = {
        "optimizer": widgets.Dropdown(options=OPTIMIZERS, value=optimizer, description="optimizer", style=style),
        "surface": widgets.Dropdown(options=tuple(optim.SURFACES), value=surface, description="surface", style=style),
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=-4, max=0.5, step=0.05, description="lr",
                                     readout_format=".4f", style=style),
        "momentum": widgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01, description="momentum", style=style),
        "nesterov": widgets.Checkbox(value=nesterov, description="nesterov (SGD)"),
        "beta1": widgets.FloatSlider(value=beta1, min=0.0, max=0.99, step=0.01, description="beta1", style=style),
        "beta2": widgets.FloatSlider(value=beta2, min=0.5, max=0.9999, step=0.0001, description="beta2",
                                     readout_format=".4f", style=style),
        "steps": widgets.IntSlider(value=steps, min=10, max=1000, step=10, description="steps", style=style),
    }
    state = {}
    output = widgets.Output()

    def _reset_lr(change):
        controls["lr"].value = DEFAULT_LR[change["new"]]

    controls["optimizer"].observe(_reset_lr, names="value")

    def update(optimizer, surface, lr, momentum, nesterov, beta1, beta2, steps):
        kwargs = optimizer_kwargs(optimizer, lr, momentum, nesterov, (beta1, beta2))
        runs = {optimizer: (optimizer, kwargs)}
        if compare and optimizer != "SGD":
            runs["SGD (lr=1e-3)"] = ("SGD", {"lr": 1e-3})
        state["kwargs"] = kwargs
        state["paths"] = explorer_paths(runs, surface, steps)
        fig, ax = plt.subplots(figsize=(5.5, 4.2))
        draw_paths(ax, surface, state["paths"], colors={"SGD (lr=1e-3)": "tab:gray"})
        # Set the Output's content directly rather than capturing with ``with output:``,
        # which needs a front-end (nbval/nbclient differ); close so nothing leaks to the cell.
        output.outputs = ()
        output.append_display_data(figure_image(fig))
        plt.close(fig)

    widgets.interactive_output(update, controls)
    left = widgets.VBox([controls[k] for k in ("optimizer", "surface", "lr", "steps")])
    right = widgets.VBox([controls[k] for k in ("momentum", "nesterov", "beta1", "beta2")])
    box = widgets.VBox([widgets.HBox([left, right]), output])
    box.controls, box.state, box.output = controls, state, output
    return box
