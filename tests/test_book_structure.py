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


sys.path.insert(0, str(ROOT / ".ci"))
import traps  # noqa: E402

BOX_TITLE = re.compile(r"^> \*\*Common misconception", re.M)


def trap_labels():
    """Every misconception box's ``<a id="trap-...">`` label, with the chapter it is in."""
    found = {}
    for nb in CHAPTERS:
        for label, claim, _ in traps.boxes(nb):
            assert label not in found, f"label {label} is used twice"
            found[label] = (nb.name, claim)
    return found


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_every_misconception_box_has_a_label_and_a_correct_statement(nb):
    """Each box: <a id="trap-..."></a>, a '> **Common misconception: ...**' title, then a
    '> **Correct:** ...' paragraph (the one-line correction the Traps appendix repeats)."""
    for i, cell in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        titles = len(BOX_TITLE.findall(src))
        complete = len(traps.BOX.findall(src))
        assert titles == complete, (
            f"{nb.name} cell {i}: {titles - complete} misconception box(es) without the "
            "<a id=\"trap-...\"></a> anchor line before it or a '> **Correct:** ...' paragraph "
            "right after its title (see .ci/traps.py)")


def test_traps_appendix_is_generated_from_the_boxes():
    labels = trap_labels()
    assert labels, "no misconception box found"
    text = (ROOT / "book" / "appendix_traps.md").read_text(encoding="utf-8")
    assert text == traps.render(), "book/appendix_traps.md is out of date: run `python .ci/traps.py`"
    linked = set(re.findall(r"<(trap-[\w-]+)>`", text))
    assert linked == set(labels)


SOLUTION_ITEM = re.compile(r"^(\d+)\.\s", re.M)
CHECKED_EXERCISE = re.compile(r"""check\(\s*f?["']Exercise (\d+)""")


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_solution_is_asserted_by_a_hidden_cell(nb):
    """Solutions in <details> blocks; for each numbered answer N a code cell tagged
    ``hide-cell`` asserts it and prints ``✓ Exercise N: ...`` (nbval then proves it)."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    answered = set()
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for block in re.findall(r"<details>\n<summary>Solutions?[^<]*</summary>(.*?)</details>",
                                    "".join(cell["source"]), re.S):
                answered.update(int(n) for n in SOLUTION_ITEM.findall(block))
    checked = set()
    for cell in cells:
        if cell["cell_type"] == "code" and "hide-cell" in cell.get("metadata", {}).get("tags", []):
            checked.update(int(n) for n in CHECKED_EXERCISE.findall("".join(cell["source"])))
    assert answered, f"{nb.name} has no solutions"
    missing = sorted(answered - checked)
    assert not missing, (f"{nb.name}: no hidden cell (tag hide-cell) runs check(\"Exercise N: ...\") "
                         f"for the solutions {missing}")
