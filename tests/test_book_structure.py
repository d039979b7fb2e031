"""Structure of the book: toc, setup cells, saved execution, no machine paths."""
import json
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci"))
from setup_cell import repository_url, setup_cell  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def toc_entries():
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(r"(?:file|root):\s*(\S+)", text)]


def test_every_toc_entry_exists_and_every_chapter_is_listed():
    entries = toc_entries()
    for e in entries:
        assert any((ROOT / (e + ext)).exists() for ext in (".ipynb", ".md")), e
    listed = {e for e in entries}
    for nb in CHAPTERS:
        assert nb.relative_to(ROOT).with_suffix("").as_posix() in listed, nb


def test_repository_url_is_parsed_from_config():
    assert repository_url("repository:\n  url: https://example.org/x\n  branch: main\n") == \
        "https://example.org/x"
    with pytest.raises(ValueError):
        repository_url("title: x\n")


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_setup_cell_is_the_standard_one(nb):
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code, f"{nb.name} has no code cells"
    assert "".join(code[0]["source"]) == setup_cell(), (
        f"{nb.name}: first code cell differs from the standard setup cell; "
        "run `python .ci/setup_cell.py --fix` and re-execute")
    assert repository_url() in setup_cell()


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_saved_executed_in_order_without_errors_or_paths(nb):
    text = nb.read_text(encoding="utf-8")
    cells = json.loads(text)["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, f"{nb.name} has unexecuted cells"
    assert counts == list(range(1, len(counts) + 1)), f"{nb.name} was not run top to bottom once"
    for c in code:
        tags = c.get("metadata", {}).get("tags", [])
        for out in c.get("outputs", []):
            if out["output_type"] == "error":
                assert "raises-exception" in tags, f"{nb.name}: unexpected error output"
    for pat in ("/work/", "/tmp/", "/root/", "/home/"):
        assert pat not in text, f"{nb.name} contains a machine path {pat}"
    assert nb.stat().st_size < 3_000_000, f"{nb.name} is over 3 MB"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_no_relative_file_reads(nb):
    """Colab runs a notebook alone: data must come from dlnotes or packages, not repo files."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    src = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for pat in (r"open\(\s*['\"]\.", r"imread\(\s*['\"]", r"\.\./", r"np\.load\(\s*['\"]"):
        assert not re.search(pat, src), f"{nb.name} reads a repository file ({pat})"


def trap_labels():
    """Every ``(trap-...)=`` label in the chapters, with the box title that follows it."""
    found = {}
    for nb in CHAPTERS:
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            src = "".join(cell["source"])
            for m in re.finditer(r"^\((trap-[\w-]+)\)=\s*\n:::\{admonition\}\s*(.+)$", src, re.M):
                assert m.group(1) not in found, f"label {m.group(1)} is used twice"
                found[m.group(1)] = (nb.name, m.group(2))
    return found


def test_every_misconception_box_is_labelled():
    for nb in CHAPTERS:
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] != "markdown" or "Common misconception" not in src:
                continue
            boxes = re.findall(r"^:::\{admonition\}\s*Common misconception", src, re.M)
            labelled = re.findall(r"^\(trap-[\w-]+\)=\s*\n:::\{admonition\}\s*Common misconception",
                                  src, re.M)
            assert len(boxes) == len(labelled), f"{nb.name}: a misconception box has no (trap-...)= label"


def test_traps_appendix_links_every_misconception_box():
    text = (ROOT / "book" / "appendix_traps.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"<(trap-[\w-]+)>`", text))
    labels = trap_labels()
    missing = sorted(set(labels) - linked)
    assert not missing, f"appendix_traps.md does not link: {missing}"
    assert not linked - set(labels), f"appendix_traps.md links unknown labels: {sorted(linked - set(labels))}"
