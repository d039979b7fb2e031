"""Benchmark report: from-scratch NumPy code against the trusted library, as ratios.

    python tests/benchmarks/run.py                 # every bench_*.py module here
    python tests/benchmarks/run.py conv pooling    # only bench_conv.py, bench_pooling.py
    python tests/benchmarks/run.py --json out.json
    python tests/benchmarks/run.py --threads=2     # default: one thread for both sides

This is a *report*, never a pass/fail test: timings depend on the machine.  Each
``bench_<topic>.py`` module defines ``CASES``, a list of :class:`Case`; every case
times ``ours`` and ``reference`` (and ``naive`` where given) in the same process, one
after the other, and reports ``ours / reference``.  Ratios, not seconds, are what
carry over between machines.
"""
from __future__ import annotations

import os
import sys

# One thread for NumPy's BLAS and for torch unless asked otherwise: a fair comparison
# (both sides get the same core) and far steadier numbers on a shared 2-core machine.
# Must happen before NumPy is imported.
_threads = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--threads=")), "1")
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = _threads

import argparse
import dataclasses
import importlib.util
import json
import pathlib
import timeit
from typing import Callable, Optional

HERE = pathlib.Path(__file__).resolve().parent


@dataclasses.dataclass
class Case:
    name: str                      # e.g. "conv2d (8,64,56,56)x(64,64,3,3) float32"
    ours: Callable[[], object]     # the vectorised dlnotes implementation
    reference: Callable[[], object]
    reference_name: str = "torch"
    naive: Optional[Callable[[], object]] = None   # the readable loop version, if cheap enough
    repeat: int = 5


def best_time(fn, repeat):
    fn()  # warm-up
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, number // 5)
    return min(timer.repeat(repeat=repeat, number=number)) / number


def load_cases(topics):
    files = sorted(HERE.glob("bench_*.py"))
    if topics:
        files = [f for f in files if f.stem.removeprefix("bench_") in topics]
    for f in files:
        spec = importlib.util.spec_from_file_location(f.stem, f)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[f.stem] = mod
        spec.loader.exec_module(mod)
        for case in mod.CASES:
            yield f.stem.removeprefix("bench_"), case


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topics", nargs="*", help="bench_<topic>.py modules to run (default: all)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--threads", default="1",
                        help="threads for BLAS and torch, as --threads=N (default 1)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(int(args.threads))
    rows = []
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"| topic | case | ours (ms) | reference (ms) | ours / reference | naive / ours |")
    print(f"|---|---|---|---|---|---|")
    for topic, case in load_cases(args.topics):
        t_ours = best_time(case.ours, case.repeat)
        t_ref = best_time(case.reference, case.repeat)
        t_naive = best_time(case.naive, 1) if case.naive is not None else None
        row = dict(topic=topic, case=case.name, reference=case.reference_name,
                   ours_ms=1e3 * t_ours, reference_ms=1e3 * t_ref, ratio=t_ours / t_ref,
                   naive_ms=None if t_naive is None else 1e3 * t_naive,
                   naive_ratio=None if t_naive is None else t_naive / t_ours)
        rows.append(row)
        naive = "" if t_naive is None else f"{t_naive / t_ours:.0f}×"
        print(f"| {topic} | {case.name} vs {case.reference_name} | {row['ours_ms']:.2f} | "
              f"{row['reference_ms']:.2f} | {row['ratio']:.2f} | {naive} |", flush=True)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
