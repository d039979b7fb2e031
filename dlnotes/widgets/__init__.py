"""Interactive widgets (ipywidgets) and the drawing code they share with their static twins.

Each widget lives in its own module; ipywidgets is imported only when a widget is built,
so ``import dlnotes`` works on a headless machine.  Every module keeps the logic (a
plain function computing what to show) apart from the drawing (a function taking
``ax``) and from the controls, so tests can drive a widget without a browser and the
website can show an animation drawn by the same code.  Only API common to
ipywidgets 7 (Colab) and 8 is used.

- :func:`conv_explorer` -- a kernel sliding over an input grid (``widgets.conv``)
- :func:`rf_explorer` -- the receptive field of a unit, layer by layer (``widgets.receptive_field``)
- :func:`optimizer_explorer` -- optimizer trajectories on test surfaces (``widgets.optim``)
- :func:`roi_explorer` -- RoI Pooling bins and RoI Align samples (``widgets.roi``)
"""
from importlib import import_module as _import_module

_WHERE = {
    "conv_explorer": "conv",
    "rf_explorer": "receptive_field",
    "optimizer_explorer": "optim",
    "roi_explorer": "roi",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        return getattr(_import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'dlnotes.widgets' has no attribute {name!r}")
