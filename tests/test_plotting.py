"""dlnotes.plotting and dlnotes.animation helpers."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlnotes import animation, plotting
from dlnotes.data import load_image


def test_source_markdown_is_the_real_source():
    md = plotting.source_markdown(load_image)
    assert md.startswith("```python\ndef load_image(")
    assert md.rstrip().endswith("```")
    with pytest.raises(TypeError, match="cannot show the source"):
        plotting.source_markdown(3)


def test_check_prints_and_raises(capsys):
    plotting.check("ok", True)
    assert capsys.readouterr().out == "✓ ok\n"
    with pytest.raises(AssertionError, match="check failed: bad"):
        plotting.check("bad", False)


def test_grid_values_writes_numbers():
    ax = plotting.grid_values(np.arange(6).reshape(2, 3), highlight=(0, 1, 1, 2))
    assert [t.get_text() for t in ax.texts] == ["0", "1", "2", "3", "4", "5"]
    assert len(ax.patches) == 1
    plt.close("all")
    with pytest.raises(ValueError, match="values must be 2-D"):
        plotting.grid_values(np.zeros(3))


def test_animation_limits_and_player():
    fig, ax = plt.subplots()
    drawn = []
    anim = animation.animate(fig, lambda i: drawn.append(i) or ax.clear(), frames=3)
    html = animation.to_html(anim).data
    assert "<script" in html and "anim" in html
    assert drawn.count(2) >= 1
    fig2, _ = plt.subplots()
    with pytest.raises(ValueError, match="1..30 frames"):
        animation.animate(fig2, lambda i: None, frames=31)
    plt.close("all")


def test_text_colour_follows_the_cell_luminance():
    assert plotting.text_color_for("black") == "white" and plotting.text_color_for("white") == "black"
    assert plotting.text_color_for((0.0, 0.27, 0.11)) == "white"     # dark green (Greens max)
    assert plotting.text_color_for((0.99, 0.9, 0.6)) == "black"      # light orange
    ax = plotting.grid_values(np.array([[0.0, 8.0]]), cmap="Greys", vmin=0, vmax=8)
    assert [t.get_color() for t in ax.texts] == ["black", "white"]
    plt.close("all")


def test_figure_png_is_2x_tagged_with_its_smallest_text_and_palette_reduced():
    from dlnotes._png import MIN_TEXT_KEY, png_size, read_text

    fig, ax = plt.subplots(figsize=(4, 2), dpi=100)
    ax.plot([0, 1], [0, 1])
    ax.set_title("title", fontsize=12)
    ax.tick_params(labelsize=7)
    fig.canvas.draw()
    data = plotting.figure_png(fig, bbox_inches=None)
    assert png_size(data) == (800, 400)                        # 2x the 400x200 display size
    assert float(read_text(data)[MIN_TEXT_KEY]) == pytest.approx(7 * 200 / 72, abs=0.06)
    from PIL import Image
    import io
    assert Image.open(io.BytesIO(data)).mode == "P"             # flat colours: a palette
    # a photo keeps its colours
    fig2, ax2 = plt.subplots(figsize=(2, 2))
    ax2.imshow(load_image("astronaut", size=64))
    ax2.set_axis_off()
    photo = plotting.figure_png(fig2)
    assert Image.open(io.BytesIO(photo)).mode in ("RGB", "RGBA")
    assert read_text(photo)[MIN_TEXT_KEY] == "none"
    plt.close("all")


def test_png_helpers_refuse_other_bytes():
    from dlnotes import _png

    with pytest.raises(ValueError, match="not PNG data"):
        _png.png_size(b"GIF89a....")
    with pytest.raises(ValueError, match="not PNG data"):
        _png.add_text(b"\xff\xd8\xff", "k", "v")


def test_player_is_2x_sharp_and_reports_its_smallest_text():
    import base64
    import re

    from dlnotes._png import png_size

    fig, ax = plt.subplots(figsize=(3, 1.5))

    def draw(i):
        ax.clear()
        ax.plot([0, i + 1], [0, 1])
        ax.set_title(f"frame {i}", fontsize=11)
        ax.tick_params(labelsize=9)

    html = animation.to_html(animation.animate(fig, draw, frames=3, dpi=100)).data
    frames = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=\\\n]+)", html)
    assert len(frames) == 3
    width = png_size(base64.b64decode(re.sub(r"[\\\n]", "", frames[0])))[0]
    assert width == 600                                          # 3 in × 100 dpi × 2
    assert f'data-frame-width="{width}"' in html
    assert 'style="width: 300px; max-width: 100%"' in html
    min_px = float(re.search(r'data-min-text-px="([\d.]+)"', html).group(1))
    assert min_px == pytest.approx(9 * 200 / 72, abs=0.06)       # the 9-pt tick labels
    with pytest.raises(ValueError, match="dpi=40"):
        animation.animate(plt.subplots()[0], draw, frames=2, dpi=40)
    plt.close("all")


def test_setup_figures_gives_matplotlib_a_cjk_fallback():
    import matplotlib as mpl

    with mpl.rc_context():
        plotting.setup_figures()                                  # outside IPython: rcParams only
        assert mpl.rcParams["font.family"] == ["DejaVu Sans", plotting.CJK_FAMILY]
