"""Small plotting and display helpers shared by the chapters.

Plot helpers take ``ax=None``, return what they drew on, never call ``plt.show()`` and
never change global ``rcParams`` (they use :func:`matplotlib.rc_context` instead).
"""
from __future__ import annotations

import inspect
import textwrap

import numpy as np

__all__ = ["show_source", "source_markdown", "imshow", "grid_values", "check"]


def source_markdown(obj) -> str:
    """The source of ``obj`` (function, class or module) as a fenced Markdown code block."""
    try:
        src = inspect.getsource(obj)
    except (TypeError, OSError) as exc:
        raise TypeError(f"cannot show the source of {obj!r}: {exc}") from exc
    return "```python\n" + textwrap.dedent(src).rstrip() + "\n```"


def show_source(obj):
    """Display the source of a ``dlnotes`` function in a notebook, highlighted.

    The book shows the package's own, tested code instead of copying it into cells.
    Returns an ``IPython.display.Markdown`` object (rendered by Jupyter and by
    Jupyter Book alike); outside IPython it returns the Markdown string.
    """
    text = source_markdown(obj)
    try:
        from IPython.display import Markdown
    except ImportError:  # pragma: no cover - IPython is always present with Jupyter
        return text
    return Markdown(text)


def check(message: str, condition: bool = True) -> None:
    """Print a short ``✓ message`` line, or raise ``AssertionError`` if ``condition`` is false.

    Used by the chapters right after an ``assert``-style comparison so that the saved
    notebook shows which claims were verified.
    """
    if not condition:
        raise AssertionError(f"check failed: {message}")
    print(f"✓ {message}")


def imshow(image, ax=None, title=None, cmap=None, vmin=None, vmax=None):
    """Show an image (``H×W`` or ``H×W×3``; CHW with 1 or 3 channels is transposed) without axes.

    Returns the ``Axes`` drawn on.
    """
    import matplotlib.pyplot as plt

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
        image = np.moveaxis(image, 0, -1)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3))
    if cmap is None and image.ndim == 2:
        cmap = "gray"
    ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def grid_values(values, ax=None, cmap="Blues", fmt="{:g}", fontsize=8, highlight=None,
                highlight_color="tab:red", vmin=None, vmax=None, title=None):
    """Draw a small 2-D array as a grid of coloured cells with its numbers written in.

    Parameters
    ----------
    values : array_like, shape (H, W)
    highlight : tuple (row0, col0, n_rows, n_cols) or list of such, optional
        Rectangles (in cell units) outlined in ``highlight_color``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"values must be 2-D, got shape {values.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.4 * values.shape[1] + 0.5, 0.4 * values.shape[0] + 0.5))
    ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    for (r, c), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=fontsize)
    ax.set_xticks(np.arange(-0.5, values.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, values.shape[0], 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if highlight is not None:
        boxes = [highlight] if np.ndim(highlight[0]) == 0 else highlight
        for r0, c0, nr, nc in boxes:
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), nc, nr, fill=False,
                                   edgecolor=highlight_color, linewidth=2))
    if title:
        ax.set_title(title, fontsize=fontsize + 2)
    return ax
