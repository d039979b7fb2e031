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
