"""Static twins for widgets: small, sharp, self-contained JavaScript animations.

A widget needs a live kernel; the website has none.  Every widget in the book therefore
has a *static twin*: the same, tested drawing function called for a handful of frames
and saved as a ``to_jshtml`` player (plain HTML + JavaScript, works offline).

A frame is for reading: it is rendered at twice its display width (sharp on a 2x screen),
reduced to a palette when that is lossless (flat colours: 3-4x smaller), shown at
``width`` CSS pixels, and its smallest text must be at least :data:`MIN_TEXT_PX` CSS pixels
high on the page.  The player's ``<div class="dlnotes-player">`` carries the numbers the
browser tests check: ``data-frame-width`` (image pixels) and ``data-min-text-px`` (image
pixels of the smallest text).  Keep a player light: at most :data:`MAX_FRAMES` frames, and
fewer, better frames beat many tiny ones.
"""
from __future__ import annotations

import base64
import re

__all__ = ["MAX_FRAMES", "MIN_TEXT_PX", "animate", "to_html"]

MAX_FRAMES = 30
#: smallest text, in CSS pixels at the player's display width
MIN_TEXT_PX = 10
_FRAME = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=\\\n]+)")


def animate(fig, draw_frame, frames, interval=600, dpi=100):
    """Build a :class:`matplotlib.animation.FuncAnimation` that calls ``draw_frame(i)``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure ``draw_frame`` draws on.  Its size in inches × ``dpi`` is the size the
        player is shown at, in CSS pixels; the frames are rendered at twice that.
    draw_frame : callable
        ``draw_frame(frame)`` redraws the figure for one frame (clear and draw).
    frames : int or sequence
        Number of frames or the frame values; at most :data:`MAX_FRAMES`.
    interval : int
        Milliseconds between frames.
    dpi : int
        CSS pixels per inch of the displayed player (72-100); 100 with the book's font sizes
        keeps a 10-pt label 14 px high.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        With ``_dlnotes_min_text`` (smallest text height seen, in points) recorded as the
        frames are drawn.
    """
    from matplotlib.animation import FuncAnimation

    from .plotting import PIXEL_RATIO, min_text_px

    n = frames if isinstance(frames, int) else len(frames)
    if n < 1 or n > MAX_FRAMES:
        raise ValueError(f"an animation needs 1..{MAX_FRAMES} frames, got {n}; "
                         f"subsample the frames (e.g. frames[::2])")
    if not 50 <= dpi <= 150:
        raise ValueError(f"dpi={dpi} is outside 50..150; use 72-100 (the frames are rendered "
                         f"at {PIXEL_RATIO}x that for sharp 2x screens)")
    fig.set_dpi(dpi * PIXEL_RATIO)
    smallest = []

    def frame(f):
        draw_frame(f)
        fig.draw_without_rendering()     # lays out the tick labels, so they are measured too
        size = min_text_px(fig, 72)      # points
        if size is not None:
            smallest.append(size)

    anim = FuncAnimation(fig, frame, frames=frames, interval=interval, blit=False, repeat=True)
    anim._dlnotes_sizes = smallest
    anim._dlnotes_dpi = dpi
    return anim


def to_html(anim, default_mode="once"):
    """Render ``anim`` as a self-contained JavaScript player and close its figure.

    The frames are PNGs at twice the display size (palette-reduced where lossless); the
    player is shown ``fig width × dpi`` CSS pixels wide (at most the page's width).  Its
    element ids are random (``uuid4``); the nbval sanitize file in ``tests/`` masks them and
    the frames' bytes (nbval ignores PNG bytes everywhere).

    Returns an ``IPython.display.HTML`` object: shown in Jupyter, Colab and on the website.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML

    from ._png import png_size, shrink
    from .plotting import PIXEL_RATIO

    fig = anim._fig
    html = anim.to_jshtml(default_mode=default_mode)
    sizes = list(getattr(anim, "_dlnotes_sizes", [])) or [float("inf")]
    plt.close(fig)
    widths = []

    def smaller(m):
        data = shrink(base64.b64decode(re.sub(r"[\\\n]", "", m.group(1))))
        widths.append(png_size(data)[0])
        return "data:image/png;base64," + base64.b64encode(data).decode("ascii")

    html = _FRAME.sub(smaller, html)
    if not widths:
        raise RuntimeError("to_jshtml produced no PNG frames; is rcParams['animation.frame_format'] png?")
    natural = max(widths)
    css_width = natural // PIXEL_RATIO
    frame_dpi = natural / fig.get_figwidth()          # the dpi the frames were rendered at
    smallest = min(sizes) * frame_dpi / 72            # smallest text, in image pixels
    min_px = "none" if smallest == float("inf") else f"{smallest:.1f}"
    html = re.sub(r'<img id="([^"]+)"', rf'<img id="\1" style="width: {css_width}px; max-width: 100%"',
                  html, count=1)
    html = (f'<div class="dlnotes-player" data-frame-width="{natural}" '
            f'data-min-text-px="{min_px}">\n{html}\n</div>')
    return HTML(html)
