"""Print the chapters whose code trains or fits a model: the default set of .ci/portability.

A chapter is in the set if one of its code cells takes an optimizer step or calls a fitting
function (`.step(`, `fit(`, any `train_...(`, `fit_autoencoder`, a scikit-learn `.fit(`, a hand-written
update `- lr * grad`): iterative fitting is what turns last-bit rounding differences between
CPUs into different printed digits.  tests/test_workflow.py checks the rule on the book.
"""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAINS = re.compile(r"\.step\(|\bfit\(|\.fit\(|\btrain_\w*\(|fit_autoencoder|\blr\s*\*")


def trains(nb_path):
    cells = json.loads(pathlib.Path(nb_path).read_text(encoding="utf-8"))["cells"]
    return any(TRAINS.search("".join(c["source"])) for c in cells if c["cell_type"] == "code")


def training_chapters():
    return [p for p in sorted((ROOT / "book").glob("*.ipynb")) if trains(p)]


if __name__ == "__main__":
    for p in training_chapters():
        print(p.relative_to(ROOT).as_posix())
    sys.exit(0)
