"""Static twins for widgets: small, self-contained JavaScript animations.

A widget needs a live kernel; the website has none.  Every widget in the book therefore
has a *static twin*: the same, tested drawing function called for a handful of frames
and saved as a ``to_jshtml`` player (plain HTML + JavaScript, works offline).

Keep animations small: at most :data:`MAX_FRAMES` frames at 50-72 dpi, so that a
notebook stays well under 3 MB.
"""
from __future__ import annotations

__all__ = ["MAX_FRAMES", "animate", "to_html"]

MAX_FRAMES = 30


def animate(fig, draw_frame, frames, interval=600, dpi=60):
    """Build a :class:`matplotlib.animation.FuncAnimation` that calls ``draw_frame(i)``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure ``draw_frame`` draws on.  Its dpi is set to ``dpi``.
    draw_frame : callable
        ``draw_frame(frame)`` redraws the figure for one frame (clear and draw).
    frames : int or sequence
        Number of frames or the frame values; at most :data:`MAX_FRAMES`.
    interval : int
        Milliseconds between frames.
    dpi : int
        50-72 keeps the embedded PNG frames small.

    Returns
    -------
    matplotlib.animation.FuncAnimation
    """
    from matplotlib.animation import FuncAnimation

    n = frames if isinstance(frames, int) else len(frames)
    if n < 1 or n > MAX_FRAMES:
        raise ValueError(f"an animation needs 1..{MAX_FRAMES} frames, got {n}; "
                         f"subsample the frames (e.g. frames[::2])")
    if not 30 <= dpi <= 100:
        raise ValueError(f"dpi={dpi} is outside 30..100; use 50-72 to keep notebooks small")
    fig.set_dpi(dpi)
    return FuncAnimation(fig, lambda f: draw_frame(f), frames=frames, interval=interval,
                         blit=False, repeat=True)


def to_html(anim, default_mode="once"):
    """Render ``anim`` as a self-contained JavaScript player and close its figure.

    Returns an ``IPython.display.HTML`` object: shown in Jupyter, Colab and on the
    website.  Its element ids are random (``uuid4``); the nbval sanitize file in
    ``tests/`` masks them.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML

    html = anim.to_jshtml(default_mode=default_mode)
    plt.close(anim._fig)
    return HTML(html)
