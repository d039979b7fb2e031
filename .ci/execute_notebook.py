"""Execute chapters in place, top to bottom, in a fresh kernel, and save them.

    python .ci/execute_notebook.py book/06_convolution.ipynb [more.ipynb ...]

This is how every chapter is saved (``pytest --nbval`` then re-runs it and compares).
The kernel runs with the notebook's folder as working directory, like Jupyter, and
with one BLAS thread, like the test suite.  Prints each notebook's run time.
"""
import os
import sys
import time

import nbformat
from nbclient import NotebookClient

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def execute(path, timeout=600):
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


if __name__ == "__main__":
    for p in sys.argv[1:]:
        t = execute(p)
        size = os.path.getsize(p) / 1e6
        print(f"{p}: {t:.1f} s, {size:.2f} MB")
