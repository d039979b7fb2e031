"""dlnotes.data: bundled images and digits, no downloads."""
import numpy as np
import pytest

from dlnotes import data


@pytest.mark.parametrize("name", data.IMAGES)
def test_every_listed_image_is_bundled(name):
    img = data.load_image(name)
    assert img.dtype == np.float64 and img.min() >= 0 and img.max() <= 1
    assert img.ndim in (2, 3)


def test_gray_and_resize():
    img = data.load_image("astronaut", gray=True, size=(20, 30))
    assert img.shape == (20, 30)
    assert data.load_image("coffee").shape[-1] == 3


def test_unknown_image():
    with pytest.raises(ValueError, match="name='lena' is not supported"):
        data.load_image("lena")


def test_digits():
    x, y = data.load_digits(28)
    assert x.shape == (1797, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (1797,) and set(np.unique(y)) == set(range(10))
    assert 0 <= x.min() and x.max() <= 1
    x8, _ = data.load_digits()
    assert x8.shape == (1797, 1, 8, 8)
    with pytest.raises(ValueError, match="size must be an int >= 8"):
        data.load_digits(4)
