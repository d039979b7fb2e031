"""book/_ext/portable_markdown.py: one Markdown source for the site, JupyterLab and Colab.

The chapters write misconception boxes as block quotes with a bold title, solutions as
``<details>``, and labels as ``<a id>`` anchors, because JupyterLab and Colab show MyST
directives as raw text.  These tests build a tiny Sphinx project with the extension and check
the HTML it makes, and check that no chapter uses MyST-only syntax.
"""
from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))

PAGE_A = """# A

<a id="trap-one"></a>

> **Common misconception: "x is y"**
>
> **Correct:** x is z.
>
> Evidence: $x^2$.

> An ordinary quote, with **bold** inside.

<details>
<summary>Solution</summary>

1. One, with $\\sqrt{2}$.

</details>
"""
PAGE_B = """# B

<a id="trap-two"></a>

> **Two ways to write momentum**
>
> text
"""
INDEX = """# Home

```{toctree}
a
b
```

[the box](#trap-one), {ref}`the other <trap-two>`, [across pages](b.md#trap-two).
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'portable_markdown']\n"
        "myst_enable_extensions = ['dollarmath']\n")
    for name, text in {"index.md": INDEX, "a.md": PAGE_A, "b.md": PAGE_B}.items():
        (src / name).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {p.stem: p.read_text(encoding="utf-8") for p in out.glob("*.html")}


def test_bold_titled_quote_becomes_an_admonition_with_the_anchor_as_its_id(site):
    a = site["a"]
    assert re.search(r'<div class="warning admonition" id="trap-one">\s*'
                     r'<p class="admonition-title">Common misconception: “x is y”</p>', a)
    assert "<p><strong>Correct:</strong> x is z.</p>" in a
    assert '<a id="trap-one">' not in a          # the anchor became the box's id
    assert re.search(r'<div class="note admonition" id="trap-two">\s*<p class="admonition-title">'
                     r'Two ways to write momentum</p>', site["b"])


def test_ordinary_quotes_stay_quotes(site):
    assert re.search(r"<blockquote>\s*<div><p>An ordinary quote, with <strong>bold</strong>", site["a"])


def test_details_becomes_a_dropdown_with_its_markdown_rendered(site):
    a = site["a"]
    assert re.search(r'<div class="dropdown note admonition">\s*<p class="admonition-title">Solution</p>\s*'
                     r'<ol class="arabic simple">\s*<li><p>One, with <span class="math', a)
    assert "<details>" not in a and "</details>" not in a


def test_links_and_refs_reach_the_anchors(site):
    index = site["index"]
    assert 'href="a.html#trap-one"' in index and 'href="b.html#trap-two"' in index
    # the page#anchor link resolved without a warning (sphinx -W) and is titled by the box
    assert index.count('href="b.html#trap-two"') == 2


MYST_ONLY = {
    r"^\s*:{3,}\s*\{": "a ':::{directive}' fence (use a '> **Title**' block quote or <details>)",
    r"^\s*`{3,}\s*\{": "a '```{directive}' fence",
    r"^\([\w-]+\)=\s*$": "a '(label)=' target (use <a id=\"label\"></a>)",
    r"\{(ref|doc|numref|glue|glue:text|eq|term|download)\}`": "a MyST role (use a Markdown link)",
    r"^\s*:class:": "a directive option",
}


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_chapters_use_only_markdown_that_jupyterlab_and_colab_render(nb):
    for i, cell in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        for pattern, what in MYST_ONLY.items():
            m = re.search(pattern, src, re.M)
            assert not m, f"{nb.name} cell {i} uses {what}: {m.group(0)!r}"
        # a <details> block must stand alone so that the Markdown inside it is parsed
        for m in re.finditer(r"<details>.*?</details>", src, re.S):
            block = m.group(0)
            assert re.match(r"<details>\n<summary>[^<]+</summary>\n\n", block) and block.endswith(
                "\n\n</details>"), f"{nb.name} cell {i}: write <details>\\n<summary>…</summary>\\n\\n…\\n\\n</details>"
