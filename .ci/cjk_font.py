"""Build the book's subset CJK font from the characters the book uses.

    python .ci/cjk_font.py /path/to/NotoSansCJK-Regular.ttc     # rewrite the two font files
    python .ci/cjk_font.py --check                              # list characters missing

The website and the figures must show Chinese terms on a machine with no CJK font, and
nothing may be downloaded at run time.  So the repository carries a small subset of
Noto Sans CJK SC (SIL Open Font License 1.1, renamed "dlnotes CJK" because "Noto" is a
trademark of Google) with exactly the characters that appear in the chapters, the
Markdown pages and the package's figure labels:

* ``dlnotes/fonts/dlnotes-cjk.otf`` -- for matplotlib (``dlnotes.plotting.cjk_font``);
* ``book/_ext/static/fonts/dlnotes-cjk.woff2`` -- for the website (served by
  ``book/_ext/offline_site.py`` with an ``@font-face`` rule).

``tests/test_cjk_font.py`` fails when a page uses a character the font lacks; then run this
script again.  The source font comes from Debian's ``fonts-noto-cjk`` (``apt-get download
fonts-noto-cjk && dpkg -x fonts-noto-cjk_*.deb noto``: it need not be installed) or from
https://github.com/notofonts/noto-cjk; the script needs fontTools (a matplotlib dependency)
and, for WOFF2, ``pip install brotli``.
"""
from __future__ import annotations

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OTF = ROOT / "dlnotes" / "fonts" / "dlnotes-cjk.otf"
WOFF2 = ROOT / "book" / "_ext" / "static" / "fonts" / "dlnotes-cjk.woff2"
FAMILY = "dlnotes CJK"
SOURCE_FACE = "Noto Sans CJK SC"

# CJK ideographs, CJK punctuation, fullwidth forms, kana (the notes quote none, but cheap)
CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
ALWAYS = "，。、：；？！（）【】《》“”‘’…—·「」"


def book_texts():
    """Every text of the book a reader or a figure can show."""
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        yield nb.read_text(encoding="utf-8")
    for md in sorted((ROOT / "book").glob("*.md")):
        yield md.read_text(encoding="utf-8")
    for py in sorted((ROOT / "dlnotes").rglob("*.py")):
        yield py.read_text(encoding="utf-8")


def needed_characters() -> set[str]:
    chars = set(ALWAYS)
    for text in book_texts():
        # notebooks are JSON: \uXXXX escapes are possible, decode them
        if text.lstrip().startswith("{"):
            text = json.dumps(json.loads(text), ensure_ascii=False)
        chars.update(CJK.findall(text))
    return chars


def font_characters(path: pathlib.Path = OTF) -> set[str]:
    from matplotlib.ft2font import FT2Font

    return {chr(c) for c in FT2Font(str(path)).get_charmap()}


def build(source: pathlib.Path):
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    if source.suffix.lower() == ".ttc":
        faces = TTCollection(str(source)).fonts
        font = next(f for f in faces if f["name"].getDebugName(1) == SOURCE_FACE)
    else:
        font = TTFont(str(source))
    chars = sorted(needed_characters())
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(chars))
    subsetter.subset(font)
    name = font["name"]
    for record in list(name.names):
        if record.nameID in (1, 3, 4, 6, 16, 17, 21, 22):
            name.removeNames(nameID=record.nameID)
    name.setName(FAMILY, 1, 3, 1, 0x409)
    name.setName("Regular", 2, 3, 1, 0x409)
    name.setName(f"{FAMILY} Regular; subset of {SOURCE_FACE}", 3, 3, 1, 0x409)
    name.setName(f"{FAMILY} Regular", 4, 3, 1, 0x409)
    name.setName("dlnotesCJK-Regular", 6, 3, 1, 0x409)
    if "CFF " in font:  # the PostScript name inside the CFF table
        cff = font["CFF "].cff
        cff.fontNames = ["dlnotesCJK-Regular"]
        cff[0].FamilyName = FAMILY
        cff[0].FullName = f"{FAMILY} Regular"
    OTF.parent.mkdir(parents=True, exist_ok=True)
    WOFF2.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = None
    font.save(str(OTF))
    font.flavor = "woff2"
    font.save(str(WOFF2))
    print(f"{len(chars)} characters: {OTF.relative_to(ROOT)} {OTF.stat().st_size / 1e3:.0f} kB, "
          f"{WOFF2.relative_to(ROOT)} {WOFF2.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        missing = sorted(needed_characters() - font_characters())
        print("missing:", "".join(missing) if missing else "none")
        sys.exit(1 if missing else 0)
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build(pathlib.Path(sys.argv[1]))
