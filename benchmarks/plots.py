"""Plots of the committed benchmark results, written as PNGs under ``docs/`` for the README.

- ``docs/recall_bfcl.png``: BFCL recall@k (any gold tool in the top k) over the global pool, for
  BM25, e5, the hybrid first stage and toolrouter (``benchmarks/results/quality_full.json``).
- ``docs/recall_spider.png``: Spider dev all-gold@k (every table the query needs in the top k) over
  all 80 dev tables, same rankers.
- ``docs/latency.png``: ``select_tools`` latency (p50 and p95) by registry size, with
  ``rerank="none"`` when measured, and ``select_tables`` on Spider dev (``benchmarks/results/speed.json``).

Reads only the JSON files, so re-running it on the same results gives the same pictures (PNG
metadata without dates; fixed fonts, sizes and colours). Run ``python benchmarks/plots.py``
(``--out DIR`` to write elsewhere). Needs the ``bench`` extra (matplotlib).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOCS = ROOT / "docs"
# Ranker key in the quality JSON → legend label, line colour; in this order.
RANKERS = {"bm25": ("BM25", "#9e9e9e"), "e5": ("e5 (bi-encoder)", "#64b5f6"),
           "first_stage": ("first stage (BM25 + e5)", "#1565c0"), "toolrouter": ("toolrouter", "#e65100")}
CUTOFFS = (1, 3, 5, 10)
# No creation date or software version in the PNGs: the same JSON gives the same bytes.
PNG_METADATA = {"Software": None}


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 10, "svg.hashsalt": "toolrouter"})
    return plt.subplots(figsize=(6.4, 4.0), dpi=100)


def recall_plot(section: dict, metric: str, title: str, out: Path) -> None:
    """Lines of ``metric@k`` over :data:`CUTOFFS` for each ranker present in ``section``."""
    fig, ax = _figure()
    for key, (label, colour) in RANKERS.items():
        if key not in section:
            continue
        values = [section[key][f"{metric}@{k}"] for k in CUTOFFS]
        ax.plot(CUTOFFS, values, marker="o", label=label, color=colour, linewidth=2.2 if key == "toolrouter" else 1.5)
    ax.set_xticks(CUTOFFS)
    ax.set_xlabel("k (items shown to the model)")
    ax.set_ylabel(metric.replace("_", "-") + "@k")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out, metadata=PNG_METADATA)
    fig.clf()


def latency_plot(speed: dict, out: Path) -> None:
    """p50/p95 ``select_tools`` latency by registry size (log scale), plus ``select_tables``."""
    fig, ax = _figure()
    sizes = sorted(speed["select_tools"], key=lambda s: int(s) if s.isdigit() else -1)
    sizes = [s for s in sizes if s.isdigit()]
    xs = [int(s) for s in sizes]
    for key, label, style in (("p50_ms", 'select_tools p50, rerank="cross-encoder"', "-o"),
                                ("p95_ms", 'select_tools p95, rerank="cross-encoder"', "--o")):
        ax.plot(xs, [speed["select_tools"][s][key] for s in sizes], style, color="#e65100", label=label)
    if all("rerank_none" in speed["select_tools"][s] for s in sizes):
        ax.plot(xs, [speed["select_tools"][s]["rerank_none"]["p50_ms"] for s in sizes], "-o", color="#2e7d32",
                label='select_tools p50, rerank="none" (the default)')
    tables = speed.get("select_tables")
    if tables:
        ax.plot([tables["tables"]], [tables["p50_ms"]], "s", color="#1565c0",
                label=f"select_tables p50 (Spider, {tables['tables']} tables)")
    ax.set_xscale("log")
    ax.set_xticks(xs, [f"{x:,}" for x in xs])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("tools in the registry")
    ax.set_ylabel("latency (ms), 2-core CPU")
    ax.set_title("Routing latency by registry size")
    ax.grid(alpha=0.3)
    ax.legend(loc="center right")
    fig.tight_layout()
    fig.savefig(out, metadata=PNG_METADATA)
    fig.clf()


def main(argv: Sequence[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the benchmark JSON")
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the PNGs")
    args = parser.parse_args(argv)
    quality = json.loads((args.results / "quality_full.json").read_text(encoding="utf-8"))
    speed = json.loads((args.results / "speed.json").read_text(encoding="utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    written = [args.out / "recall_bfcl.png", args.out / "recall_spider.png", args.out / "latency.png"]
    bfcl = quality["bfcl"]
    recall_plot(bfcl, "recall", f"BFCL: right tool in the top k ({bfcl['pool']:,} tools)", written[0])
    spider = quality["spider_all_tables"]
    recall_plot(spider, "all_gold", f"Spider dev: every needed table in the top k ({spider['pool']} tables)",
                written[1])
    latency_plot(speed, written[2])
    for path in written:
        print(path)
    return written


if __name__ == "__main__":
    main()
