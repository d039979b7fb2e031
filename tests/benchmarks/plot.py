"""Draw the benchmark report as a bar chart of ``ours / reference`` ratios.

    python tests/benchmarks/run.py --json /tmp/bench.json
    python tests/benchmarks/plot.py /tmp/bench.json images/benchmarks.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot(rows, path):
    rows = sorted(rows, key=lambda r: (r["topic"], r["ratio"]))
    labels = [f"{r['topic']}: {r['case']} vs {r['reference']}" for r in rows]
    ratios = [r["ratio"] for r in rows]
    fig, ax = plt.subplots(figsize=(11, 0.26 * len(rows) + 1.2))
    colors = ["tab:green" if q <= 1 else "tab:blue" if q <= 3 else "tab:orange" for q in ratios]
    ax.barh(range(len(rows)), ratios, color=colors)
    ax.axvline(1, color="k", lw=0.8)
    ax.axvline(3, color="0.5", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("dlnotes time / library time (log scale; below 1 = dlnotes faster)")
    for i, q in enumerate(ratios):
        ax.text(q * 1.05, i, f"{q:.2f}", va="center", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=72)


if __name__ == "__main__":
    plot(json.loads(open(sys.argv[1]).read()), sys.argv[2])
