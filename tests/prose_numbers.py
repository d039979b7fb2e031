"""Find numbers typed into a chapter's prose that none of its cells computes or prints.

Used by ``tests/test_prose_numbers.py``; run it directly to list what it finds::

    python tests/prose_numbers.py            # every chapter and appendix
    python tests/prose_numbers.py book/05_regularisation.ipynb

A *figure* is a decimal (``0.887``, ``4.09 GMACs``, ``97.5 %``) or a count of 4 or more
digits (``85,002``, ``25 088``, ``3780``).  It is *backed* when a number in the chapter's
cells (code sources and text outputs) equals it, or rounds to it at the figure's precision
(``0.89`` is backed by a printed ``0.887``; ``97.5 %`` by ``0.975``; ``4.1 M`` by
``4,091,456``).  The appendices are checked against every chapter.

Not figures: section numbers (``§5.1``, ``## 8.2``, ``chapter 5``), note numbers
(``note 000``), arXiv ids, years, and anything inside URLs, HTML tags or code fences of
Python source shown as text.  What is left and cannot come from a cell (a paper's result,
a citation, a named constant) goes into ``tests/prose_numbers_allowed.txt`` with a reason.
"""
from __future__ import annotations

import json
import math
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
ALLOW_FILE = ROOT / "tests" / "prose_numbers_allowed.txt"

_SEP = r"[,\u202f\u2009\u00a0 ]"  # thousands separators: comma, (narrow) no-break space, space
_NUM = re.compile(
    r"(?<![\w.\-/#§×*])"                     # not inside a word, id, path, section or 3×3
    r"(?P<num>\d{1,3}(?:" + _SEP + r"\d{3})+(?:\.\d+)?|\d+\.\d+|\d{4,})"
    r"(?![\w.]*\d)(?!\.\w)(?![eE][-+−]?\d)"     # not the start of 1.2.3, 3.11.x or 9.8e+15
    # a unit prefix: "4.1 M", "4.09 GMACs", "1.6 GFLOPs", "2 MB" (but the M of "77,856 MACs" is
    # the unit itself)
    r"(?P<suffix>\s?(?:%|[kKMGB](?=(?:MACs?|FLOPs?|B)?\b)))?")
_SCI = re.compile(r"\d(?:\.\d+)?[eE][-+−]?\d+")
_SUFFIX = {"%": 0.01, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "B": 1e9}


def _strip_prose(text: str) -> str:
    """Markdown prose without what is not a claim: URLs, tags, section and note numbers."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)            # fenced code (shown source)
    text = re.sub(r"\]\([^)]*\)", "]", text)                      # link targets
    text = re.sub(r"<[^>]+>", " ", text)                          # HTML tags (anchors, details)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"^#+\s*[\d.]+", "#", text, flags=re.M)         # heading numbers
    text = re.sub(r"§\s*[\d.]+(?:[–-][\d.]+)?", "§", text)        # section references
    text = re.sub(r"(?i)\b(?:chapters?|ch\.|section|sections|note|notes|table|tables|fig\.?|"
                  r"figure|figures|eq\.?|equation|algorithm|appendix)\s+[\d.]+(?:[a-z]\b)?"
                  r"(?:\s*(?:,|and|–|-|to)\s*[\d.]+)*", " ", text)
    text = re.sub(r"arXiv:\s*\d{4}\.\d{4,5}(?:v\d+)?", " ", text)
    text = re.sub(r"(?<![\d,.])(?:19[5-9]\d|20[0-3]\d)(?!\d|,\d{3}|\.\d)", " ", text)  # years
    text = re.sub(r"\bv\d+(?:\.\d+)*", " ", text)                 # versions: v1.5, v2
    text = re.sub(r"(?i)\b(?:python|torch|torchvision|numpy|opencv|jupyter[- ]book|ipywidgets|"
                  r"scikit-learn|scikit-image|matplotlib|mathjax|version)\s*[<>=]*\s*\d+(?:\.\d+)*",
                  " ", text)
    return text


def figures(text: str):
    """The figures of a prose text, as (token, value, decimals) triples."""
    out = []
    prose = _strip_prose(text)
    for m in _NUM.finditer(prose):
        num = m.group("num")
        suffix = (m.group("suffix") or "").strip()
        clean = re.sub(_SEP, "", num)
        decimals = len(clean.split(".")[1]) if "." in clean else 0
        value = float(clean) * _SUFFIX.get(suffix, 1.0)
        out.append((num + (" " + suffix if suffix else ""), value, decimals, suffix))
    for m in _SCI.finditer(prose):
        out.append((m.group(0), float(m.group(0).replace("−", "-")), None, "sci"))
    return out


def _cell_text(cell) -> str:
    parts = ["".join(cell.get("source", ""))]
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append("".join(out["text"]))
        for mime, data in out.get("data", {}).items():
            if mime.startswith("text/") and mime != "text/html":
                parts.append("".join(data))
    return "\n".join(parts)


def corpus_numbers(texts) -> set[float]:
    """Every number written in the given cell texts (thousands separators removed)."""
    nums = set()
    for text in texts:
        text = re.sub(r"(?<=\d)[,_\u202f\u2009](?=\d{3}(?!\d))", "", text)
        for m in re.finditer(r"(?<![\w.])[-−]?(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
                             r"(\s?(?:%|[kKMGB](?=[A-Za-z]*\b)))?", text):
            try:
                x = abs(float(m.group(1)))
            except ValueError:
                continue
            nums.add(x)
            if m.group(2):      # "77.3%" is 0.773, "1.60 GMACs" is 1.6e9
                nums.add(x * _SUFFIX[m.group(2).strip()])
    return nums


def is_backed(value: float, decimals, suffix: str, nums: set[float]) -> bool:
    value = abs(value)
    if suffix == "sci":
        return any(math.isclose(value, x, rel_tol=0.05) for x in nums)
    if value in nums:
        return True
    scale = _SUFFIX.get(suffix, 1.0)
    shown = value / scale
    half = 0.5 * 10.0 ** (-decimals)
    if decimals == 0 and not suffix:
        return False  # a count must be printed exactly
    for x in nums:
        # a cell prints the value (0.773, 4,091,456,000) or the number as written ("77.3%",
        # "1.60 GMACs"), which corpus_numbers also records as its value
        for cand in (x / scale,):
            if abs(cand - shown) <= half * (1 + 1e-9):
                return True
    return False


def chapter_texts(path: pathlib.Path):
    """(prose markdown, [cell texts]) of a notebook or a Markdown page."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        prose = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        code = [_cell_text(c) for c in cells if c["cell_type"] == "code"]
        return prose, code
    return path.read_text(encoding="utf-8"), []


def load_allowed(path: pathlib.Path = ALLOW_FILE):
    """``{(file name, token): reason}`` from the allow-list."""
    allowed = {}
    if not path.exists():
        return allowed
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^(\S+)\s+(.+?)\s+#\s*(.+)$", line)
        if not m:
            raise ValueError(f"{path.name}:{n}: expected '<file> <figure> # <reason>', got {line!r}")
        allowed[(m.group(1), m.group(2))] = m.group(3)
    return allowed


def unbacked(path: pathlib.Path, nums: set[float]):
    prose, _ = chapter_texts(path)
    return [(tok, value) for tok, value, dec, suffix in figures(prose)
            if not is_backed(value, dec, suffix, nums)]


def book_report(paths=None):
    """``{file name: [unbacked tokens]}`` for chapters and appendices, before the allow-list."""
    book = ROOT / "book"
    chapters = sorted(book.glob("*.ipynb"))
    pages = [book / n for n in ("intro.md", "appendix_quick_answers.md", "appendix_traps.md")]
    everything = corpus_numbers(t for nb in chapters for t in chapter_texts(nb)[1])
    report = {}
    for path in (paths or chapters + pages):
        path = pathlib.Path(path)
        nums = corpus_numbers(chapter_texts(path)[1]) if path.suffix == ".ipynb" else everything
        found = unbacked(path, nums)
        if found:
            report[path.name] = found
    return report


if __name__ == "__main__":
    allowed = load_allowed()
    for name, found in book_report(sys.argv[1:] or None).items():
        left = [t for t, _ in found if (name, t) not in allowed]
        if left:
            print(f"{name}: {len(left)}")
            for tok in left:
                print("   ", tok)
