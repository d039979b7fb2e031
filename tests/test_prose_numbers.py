"""No hand-typed result in the prose: every figure in a chapter's text comes from a cell.

See ``tests/prose_numbers.py`` for what counts as a figure and when a cell backs it, and
``tests/prose_numbers_allowed.txt`` for the figures that cannot come from a cell (a paper's
reported result, a citation), each with its reason.
"""
from __future__ import annotations

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import prose_numbers as pn  # noqa: E402

BOOK = pn.ROOT / "book"
PAGES = sorted(BOOK.glob("*.ipynb")) + [BOOK / n for n in
                                       ("intro.md", "appendix_quick_answers.md", "appendix_traps.md")]


@pytest.fixture(scope="module")
def report():
    return pn.book_report()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_figure_in_the_prose_comes_from_a_cell(report, page):
    allowed = pn.load_allowed()
    left = [tok for tok, _ in report.get(page.name, []) if (page.name, tok) not in allowed]
    assert not left, (
        f"{page.name}: figures in the prose that no cell computes or prints: {left}. "
        "Print them from a cell (or correct them), or, for a paper's result or a citation, "
        f"add '<file> <figure> # <reason>' to {pn.ALLOW_FILE.name}")


def test_every_allowed_figure_is_still_in_the_prose(report):
    stale = [key for key in pn.load_allowed()
             if key[1] not in [tok for tok, _ in report.get(key[0], [])]]
    assert not stale, f"{pn.ALLOW_FILE.name} lists figures no page needs any more: {stale}"


def test_figures_are_found_and_matched_by_rounding():
    nums = pn.corpus_numbers(["print(sum(p.numel() for p in m.parameters()))", "85,002\n",
                              "IoU with the best box: [1.    0.538 0.887]", "acc 0.975",
                              "MACs 4,091,456,000", "top-1 77.3%", "1.60 GMACs"])
    assert 85002 in nums and 0.887 in nums
    cases = {"with 85,002 parameters": True, "with 83 000 parameters": False,
             "IoU ≈ 0.89": True, "IoU ≈ 0.86": False, "accuracy 97.5 %": True,
             "accuracy 97.6 %": False, "4.09 GMACs": True, "4.2 GMACs": False,
             "ResNet 77.3 %": True, "ZFNet 1.60 GMACs": True, "4.1 G multiply-adds": True}
    for text, backed in cases.items():
        (tok, value, dec, suffix), = pn.figures(text)
        assert pn.is_backed(value, dec, suffix, nums) is backed, text


def test_units_and_exponents_are_read_as_written():
    (tok, value, _, suffix), = pn.figures("it needs 77,856 MACs")
    assert (tok, value, suffix) == ("77,856", 77856.0, "")          # MACs is the unit, not M
    assert [t for t, *_ in pn.figures("about 9.8e+15 operations")] == ["9.8e+15"]


def test_section_numbers_years_and_citations_are_not_figures():
    text = ("## 8.2 Backward\nNote 000 §1.2.7 and chapter 5 (Zhang, ICML 2019, arXiv:1904.11486); "
            "ResNet v1.5, Python 3.11, Table 1b, [link](https://x.org/a/1234.5678), 3×3 256 filters.")
    assert pn.figures(text) == []


def test_allow_list_lines_need_a_reason(tmp_path):
    f = tmp_path / "allowed.txt"
    f.write_text("# comment\n12_architectures.ipynb 70.6 % # MobileNet paper, Table 4\n")
    assert pn.load_allowed(f) == {("12_architectures.ipynb", "70.6 %"): "MobileNet paper, Table 4"}
    f.write_text("12_architectures.ipynb 70.6\n")
    with pytest.raises(ValueError, match="reason"):
        pn.load_allowed(f)
