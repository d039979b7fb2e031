"""Small plotting and display helpers shared by the chapters.

Plot helpers take ``ax=None``, return what they drew on, never call ``plt.show()`` and
never change global ``rcParams`` (they use :func:`matplotlib.rc_context` instead).  The one
exception is :func:`setup_figures`, which the setup cell of every chapter calls once, as it
seeds the random generators once.

Figures are for looking at on the website too, where a 2x screen shows every pixel:

- :func:`figure_png` renders a figure at twice its display size, with a palette when that
  is lossless, and records the height of its smallest text in the PNG (``tEXt`` chunk
  ``dlnotes:min-text-px``); the browser tests turn that into on-screen pixels;
- :func:`setup_figures` makes the notebook display every figure that way, and gives
  matplotlib a CJK font (:func:`cjk_font`, a subset of Noto Sans CJK SC shipped in
  ``dlnotes/fonts``) so that Chinese labels never turn into boxes;
- :func:`text_color_for` picks black or white text for a cell colour (WCAG contrast).
"""
from __future__ import annotations

import inspect
import logging
import pathlib
import textwrap

import numpy as np

__all__ = ["show_source", "source_markdown", "imshow", "grid_values", "check", "cjk_font",
           "CJK_FAMILY", "book_rc", "setup_figures", "figure_png", "figure_image", "min_text_px",
           "text_color_for"]

#: family name of the bundled CJK subset font (``dlnotes/fonts/dlnotes-cjk.otf``)
CJK_FAMILY = "dlnotes CJK"
_CJK_PATH = pathlib.Path(__file__).parent / "fonts" / "dlnotes-cjk.otf"
#: figures are drawn at this many image pixels per CSS pixel (sharp on 2x screens)
PIXEL_RATIO = 2


def cjk_font() -> str:
    """Register the bundled CJK font with matplotlib (once) and return its family name.

    The font is a subset of Noto Sans CJK SC (SIL Open Font License) holding the Chinese
    characters the book uses; ``.ci/cjk_font.py`` rebuilds it.  Use it as a fallback after
    the Latin font: ``rc_context(book_rc())`` or ``fontfamily=["DejaVu Sans", cjk_font()]``.
    """
    from matplotlib import font_manager

    if not _CJK_PATH.exists():  # pragma: no cover - a broken installation
        raise FileNotFoundError(f"the CJK font {_CJK_PATH} is missing: reinstall dlnotes")
    if CJK_FAMILY not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(_CJK_PATH))
        # The subset has one weight: bold text falls back to it (as browsers do), and
        # matplotlib would log that on stderr for every bold label of every figure.
        logging.getLogger("matplotlib.font_manager").addFilter(_RegularOnlyFilter())
    return CJK_FAMILY


class _RegularOnlyFilter(logging.Filter):
    """Drop matplotlib's "Failed to find font weight bold for dlnotes CJK" message."""

    def filter(self, record):
        return not (CJK_FAMILY in str(record.msg % record.args if record.args else record.msg)
                    and "Failed to find font weight" in str(record.msg))


def book_rc() -> dict:
    """rcParams of the book's figures: DejaVu Sans, then the CJK font for Chinese glyphs."""
    return {"font.family": ["DejaVu Sans", cjk_font()], "figure.dpi": 100,
            "savefig.facecolor": "white", "figure.facecolor": "white"}


def min_text_px(fig, dpi=None):
    """Height in image pixels of the smallest visible text of ``fig`` at ``dpi`` (or None).

    Font size in points × dpi / 72, over every visible, non-empty ``Text`` of the figure
    (titles, labels, tick labels, legends, annotations).  Draw the figure first so that the
    tick labels exist (``fig.canvas.draw()`` or ``fig.draw_without_rendering()``).
    """
    from matplotlib.text import Text

    dpi = fig.dpi if dpi is None else dpi
    sizes = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        ax = t.axes
        if ax is not None and not ax.get_visible():
            continue
        sizes.append(t.get_fontsize())
    return None if not sizes else min(sizes) * dpi / 72


def figure_png(fig, dpi=None, **savefig_kwargs) -> bytes:
    """``fig`` as PNG bytes at ``PIXEL_RATIO`` times its dpi, tagged with its smallest text.

    Flat-colour figures get a 256-colour palette (lossless to the eye, 3-4x smaller); photos
    keep full colour.  The PNG's ``tEXt`` chunk ``dlnotes:min-text-px`` holds the smallest
    text height in image pixels (:func:`min_text_px`).
    """
    import io

    from ._png import MIN_TEXT_KEY, add_text, shrink

    dpi = (fig.dpi if dpi is None else dpi) * PIXEL_RATIO
    savefig_kwargs.setdefault("bbox_inches", "tight")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, **savefig_kwargs)
    data = shrink(buf.getvalue())
    smallest = min_text_px(fig, dpi)
    return add_text(data, MIN_TEXT_KEY, "none" if smallest is None else f"{smallest:.1f}")


def figure_image(fig):
    """``fig`` as an ``IPython.display.Image`` for an ``Output`` widget: 2x PNG, logical size."""
    from IPython.display import Image

    from ._png import png_size

    data = figure_png(fig)
    width, height = png_size(data)
    return Image(data=data, format="png", width=width // PIXEL_RATIO, height=height // PIXEL_RATIO)


def _png_for_display(fig):
    """IPython PNG formatter: (base64 PNG, display size in CSS pixels = half the pixels)."""
    import base64

    from ._png import png_size

    if not fig.axes and not fig.texts and not fig.images:
        return None
    data = figure_png(fig)
    width, height = png_size(data)
    return (base64.b64encode(data).decode("ascii"),
            {"width": width // PIXEL_RATIO, "height": height // PIXEL_RATIO})


def setup_figures() -> None:
    """Set up a notebook's figures (the chapters' setup cell calls this once).

    - every figure the notebook displays is a 2x PNG (:func:`figure_png`) shown at its
      logical size, so it is sharp on 2x screens and its smallest text is recorded;
    - matplotlib falls back to the bundled CJK font for Chinese characters (:func:`book_rc`).

    Outside IPython it only sets the rcParams.
    """
    import matplotlib as mpl

    mpl.rcParams.update(book_rc())
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    ip = get_ipython()
    if ip is None:
        return
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    # Load the notebook's backend now: matplotlib-inline sets its own PNG formatter when its
    # backend is first loaded (lazily, at the first figure), which would replace ours.
    plt.switch_backend(mpl.get_backend())
    ip.display_formatter.formatters["image/png"].for_type(Figure, _png_for_display)


def text_color_for(rgba) -> str:
    """``"black"`` or ``"white"``, whichever contrasts more with the colour ``rgba``.

    WCAG 2 relative luminance of the sRGB colour; the contrast ratio with white is
    (1.05)/(L + 0.05) and with black (L + 0.05)/0.05.
    """
    import matplotlib.colors as mcolors

    r, g, b = mcolors.to_rgb(rgba)
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "white" if 1.05 / (lum + 0.05) > (lum + 0.05) / 0.05 else "black"


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
    im = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    for (r, c), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                    color=text_color_for(im.cmap(im.norm(v))))
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
