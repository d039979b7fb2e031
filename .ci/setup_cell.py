"""The standard setup cell that opens every chapter, built from _config.yml.

    python .ci/setup_cell.py            # print it
    python .ci/setup_cell.py --fix      # rewrite the first code cell of every chapter

tests/test_book_structure.py checks that every chapter's first code cell equals it, so
the repository URL in _config.yml is the one place it lives.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]

TEMPLATE = '''\
# Setup (the same in every chapter). On Colab, first install dlnotes from the repository.
try:
    import google.colab  # noqa: F401  (importable only on Colab)
    %pip install -q "dlnotes @ git+{url}"
except ImportError:
    pass

import matplotlib.pyplot as plt
import numpy as np
import torch

import dlnotes
from dlnotes.plotting import check, setup_figures, show_source

setup_figures()  # sharp 2x figures; Chinese labels in the bundled CJK font
rng = dlnotes.seed_everything(0)
np.set_printoptions(precision=4, suppress=True)
torch.set_printoptions(precision=4, sci_mode=False)'''


def repository_url(config_text=None):
    text = config_text if config_text is not None else (ROOT / "_config.yml").read_text(encoding="utf-8")
    m = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", text, re.M)
    if not m:
        raise ValueError("_config.yml has no repository.url")
    return m.group(1).strip("'\"")


def setup_cell():
    return TEMPLATE.format(url=repository_url())


if __name__ == "__main__":
    import nbformat

    cell = setup_cell()
    if "--fix" not in sys.argv:
        print(cell)
        sys.exit(0)
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if code and code[0].source != cell:
            code[0].source = cell
            nbformat.write(nb, path)
            print("fixed", path.relative_to(ROOT))
