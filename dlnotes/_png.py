"""PNG bytes: size, text chunks and a lossless-looking palette for flat-colour figures (private).

Figures in the book are rendered at twice their display size so that they stay sharp on a
2x screen.  Most of them are flat colours, lines and text; reduced to a 256-colour palette
they shrink 3-4 times with no visible change.  Photos are left as they are (the palette
would band them): :func:`shrink` keeps the palette only if it changes no pixel by more
than a few levels on average.

Every figure also carries, in a PNG ``tEXt`` chunk, the height of its smallest text in
image pixels (``dlnotes:min-text-px``), so that the browser tests can measure how large
that text is on screen: ``min-text-px × rendered width / natural width``.
"""
from __future__ import annotations

import io
import struct
import zlib

__all__ = ["png_size", "add_text", "read_text", "shrink", "MIN_TEXT_KEY"]

MIN_TEXT_KEY = "dlnotes:min-text-px"
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _check(data: bytes) -> None:
    if not data.startswith(_SIGNATURE):
        raise ValueError(f"not PNG data (starts with {data[:8]!r}); pass the bytes of a .png file")


def png_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` in pixels, from the IHDR chunk."""
    _check(data)
    return struct.unpack(">II", data[16:24])


def _chunks(data: bytes):
    pos = len(_SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        yield kind, data[pos + 8:pos + 8 + length], pos
        pos += 12 + length


def add_text(data: bytes, key: str, value: str) -> bytes:
    """``data`` with a ``tEXt`` chunk ``key=value`` inserted before IEND (latin-1 text)."""
    _check(data)
    body = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(
        ">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    for kind, _, pos in _chunks(data):
        if kind == b"IEND":
            return data[:pos] + chunk + data[pos:]
    raise ValueError("PNG data without an IEND chunk")


def read_text(data: bytes) -> dict[str, str]:
    """All ``tEXt`` chunks of ``data`` as a dict."""
    _check(data)
    out = {}
    for kind, body, _ in _chunks(data):
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            out[key.decode("latin-1")] = value.decode("latin-1")
    return out


def shrink(data: bytes, max_mean_error: float = 1.0) -> bytes:
    """Re-encode PNG ``data`` with a 256-colour palette if that is visually lossless.

    The palette (median cut, no dithering) is kept when the mean absolute difference from
    the original, over all pixels and channels, is at most ``max_mean_error`` levels of 255;
    otherwise (photos, smooth colour maps) the original bytes are returned.  Text chunks are
    not carried over: add them afterwards.
    """
    import numpy as np
    from PIL import Image

    _check(data)
    image = Image.open(io.BytesIO(data))
    rgba = image.convert("RGBA")
    if rgba.getextrema()[3][0] < 255:           # transparency: keep the original
        return data
    rgb = rgba.convert("RGB")
    pal = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    error = np.abs(np.asarray(pal.convert("RGB"), np.int16) - np.asarray(rgb, np.int16)).mean()
    if error > max_mean_error:
        return data
    out = io.BytesIO()
    pal.save(out, format="png", optimize=True)
    small = out.getvalue()
    return small if len(small) < len(data) else data
