"""Write the Traps appendix from the chapters' misconception boxes.

    python .ci/traps.py           # rewrite book/appendix_traps.md
    python .ci/traps.py --check   # exit 1 if it is out of date (tests/test_book_structure.py)

Every box in a chapter is written as (see book/_ext/portable_markdown.py)::

    <a id="trap-NAME"></a>

    > **Common misconception: THE WRONG CLAIM**
    >
    > **Correct:** the correct statement, in one sentence.
    >
    > The evidence ...

The appendix is a revision sheet: one line per box, the wrong claim, the correct statement and
a link to the evidence, grouped by chapter.  It is generated so that it cannot drift from the
chapters.
"""
from __future__ import annotations

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
APPENDIX = BOOK / "appendix_traps.md"

BOX = re.compile(
    r'^<a id="(?P<label>trap-[\w-]+)"></a>\s*\n\s*\n'
    r"> \*\*Common misconception: (?P<claim>.+?)\*\*\s*\n>\s*\n"
    r"> \*\*Correct:\*\* (?P<correct>(?:.+\n?)+?)(?:>\s*\n|(?=\n)|\Z)", re.M)

HEADER = """\
# Traps: every common misconception in one list

The source notes contain mistakes: wrong numbers, buggy code, claims that hold only in a special
case. Each chapter corrects them in a *Common misconception* box, next to the cell that shows the
evidence. This page is the revision sheet: for every box, the wrong claim (✗), the correct
statement (✓) and a link to the evidence. It is generated from the chapters by `.ci/traps.py`,
and `tests/test_book_structure.py` checks that it is up to date and that no box is missing.
"""


def _one_line(text: str) -> str:
    lines = [re.sub(r"^>\s?", "", line) for line in text.strip().splitlines()]
    return " ".join(line.strip() for line in lines if line.strip())


def chapter_title(cells) -> str:
    for cell in cells:
        if cell["cell_type"] == "markdown":
            m = re.search(r"^#\s+(.+)$", "".join(cell["source"]), re.M)
            if m:
                return m.group(1).strip()
    raise ValueError("chapter without a title")


def boxes(nb_path: pathlib.Path):
    """``[(label, claim, correct)]`` of one chapter, in order."""
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        for m in BOX.finditer(src):
            found.append((m.group("label"), m.group("claim").strip(), _one_line(m.group("correct"))))
    return found


def render() -> str:
    parts = [HEADER]
    for nb in sorted(BOOK.glob("[0-9][0-9]_*.ipynb")):
        found = boxes(nb)
        if not found:
            continue
        title = chapter_title(json.loads(nb.read_text(encoding="utf-8"))["cells"])
        parts.append(f"\n## [{title}]({nb.name})\n\n")
        for label, claim, correct in found:
            parts.append(f"- ✗ {claim} ✓ {correct} ({{ref}}`evidence <{label}>`)\n")
    return "".join(parts)


if __name__ == "__main__":
    text = render()
    if sys.argv[1:] == ["--check"]:
        if APPENDIX.read_text(encoding="utf-8") != text:
            sys.exit("book/appendix_traps.md is out of date: run `python .ci/traps.py`")
        sys.exit(0)
    APPENDIX.write_text(text, encoding="utf-8")
    print(f"wrote {APPENDIX.relative_to(ROOT)}")
