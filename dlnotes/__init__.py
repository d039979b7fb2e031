"""dlnotes: the small, tested package behind the *dlnotes* book.

Every chapter of the book imports this package.  The public API is kept short:

- :func:`get_device`, :func:`seed_everything` -- where to run and how to seed.
- :func:`show_source` -- display the source of a function in a notebook.
- topic modules, imported on first use: ``dlnotes.conv``, ``dlnotes.pooling``,
  ``dlnotes.optim`` ...  (``import dlnotes`` stays light and works headless).
"""
from importlib import import_module as _import_module

from .device import get_device, seed_everything
from .plotting import show_source

__version__ = "0.1.0"

_SUBMODULES = frozenset({
    "activations", "animation", "attention", "augment", "backprop", "conv", "data",
    "detection", "device", "hog", "losses", "models", "norm", "optim", "plotting",
    "pooling", "receptive_field", "regularization", "rnn", "training", "widgets",
})

__all__ = ["get_device", "seed_everything", "show_source", *sorted(_SUBMODULES)]


def __getattr__(name):
    # PEP 562: ``dlnotes.conv`` works after a plain ``import dlnotes`` without
    # importing every topic (and ipywidgets) up front.
    if name in _SUBMODULES:
        module = _import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'dlnotes' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
