"""Calibrate the no-tool threshold of ``Router(rerank="none")`` on held-out training data, never on BFCL.

Relevant requests: Seal-Tools dev, API-Bank level-1, ToolAlpaca eval and SGD dev, each routed
against a pool of its gold tools and random other tools of the same source. Irrelevant requests:
CLINC150's out-of-scope requests (no intent serves them), routed against pools drawn the same way.
The threshold is the highest one that empties at most ``MAX_WRONGLY_EMPTIED`` of the relevant requests;
BFCL relevant and irrelevance queries are then scored as evaluation only (share kept empty, share
wrongly emptied, ROC-AUC of the top score).

    python -m training.calibrate              # prints the report
    python -m training.calibrate --write      # also stores the threshold in the bundled model

Writes ``benchmarks/results/calibration.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.datasets import bfcl  # noqa: E402
from benchmarks.quality import (  # noqa: E402
    BFCL_IRRELEVANT_SPLITS,
    MAX_WRONGLY_EMPTIED,
    emptied,
    roc_auc,
    routable,
    sample,
    top_score,
    top_scores,
)
from toolrouter import Router  # noqa: E402
from toolrouter.errors import SpecError  # noqa: E402
from toolrouter.registry import ToolItem  # noqa: E402
from toolrouter.registry.tools import load_tool  # noqa: E402
from toolrouter.rerank.bundled import MODEL_DIR  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "calibration.json"
SOURCES = {"seal_tools": "dev", "api_bank": "level-1-api", "toolalpaca_eval": None, "sgd": "dev"}
# Relevant requests per source, irrelevant requests in all, and tools per pool.
PER_SOURCE = 150
IRRELEVANT = 600
POOL = 20


def load_source(name: str, split: str | None, rng: random.Random) -> tuple[list[dict[str, Any]], list[ToolItem]]:
    folder = DATA / name / "normalized"
    specs = [json.loads(line) for line in (folder / "tools.jsonl").read_text(encoding="utf-8").splitlines()]
    tools = []
    for spec in specs:
        try:
            item = load_tool(spec, where=name)
        except SpecError:  # a few source specs are not valid JSON Schema; their queries go too
            continue
        if isinstance(item, ToolItem):
            tools.append(item)
    names = {t.name for t in tools}
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    queries = [q for q in queries if (split is None or q.get("split") == split) and q.get("gold")
               and set(q["gold"]) <= names]
    return rng.sample(queries, min(PER_SOURCE, len(queries))), tools


def pool_for(gold: list[str], tools: list[ToolItem], rng: random.Random) -> list[ToolItem]:
    by_name = {t.name: t for t in tools}
    chosen = [by_name[g] for g in gold if g in by_name]
    others = [t for t in tools if t.name not in set(gold)]
    return chosen + rng.sample(others, POOL - len(chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="store the threshold in the bundled model's toolrouter.json")
    args = parser.parse_args()
    rng = random.Random(13)
    router = Router(rerank="none")
    relevant, sources = [], {}
    for name, split in SOURCES.items():
        queries, tools = load_source(name, split, rng)
        sources[name] = tools
        relevant += [top_score(router, q["query"], pool_for(q["gold"], tools, rng)) for q in queries]
    clinc = json.loads((DATA / "clinc150" / "data_full.json").read_text())
    out_of_scope = [text for text, _ in clinc["oos_test"]]
    irrelevant = []
    for text in rng.sample(out_of_scope, IRRELEVANT):
        tools = sources[rng.choice(sorted(sources))]
        irrelevant.append(top_score(router, text, rng.sample(tools, POOL)))
    relevant_top, irrelevant_top = np.array(relevant), np.array(irrelevant)
    threshold = float(np.quantile(relevant_top, MAX_WRONGLY_EMPTIED))
    report: dict[str, Any] = {
        "rerank": "none", "threshold": round(threshold, 4),
        "held_out": {"relevant": len(relevant_top), "irrelevant": len(irrelevant_top),
                     **emptied(relevant_top, irrelevant_top, threshold),
                     "roc_auc": round(roc_auc(relevant_top, irrelevant_top), 4)},
    }
    bfcl_queries, bfcl_tools = bfcl()
    irrelevance, irrelevance_tools = bfcl(BFCL_IRRELEVANT_SPLITS)
    pools = {**bfcl_tools, **irrelevance_tools}
    routed = [q for q in sample([q for q in bfcl_queries if q.gold], 200) if q.pool and routable(q.text)]
    bfcl_relevant = top_scores(router, routed, pools)
    bfcl_irrelevant = top_scores(router, [q for q in sample(irrelevance, 300) if q.pool and routable(q.text)], pools)
    report["bfcl_evaluation"] = {
        "relevant": len(bfcl_relevant), "irrelevant": len(bfcl_irrelevant),
        **emptied(bfcl_relevant, bfcl_irrelevant, threshold),
        "roc_auc": round(roc_auc(bfcl_relevant, bfcl_irrelevant), 4),
    }
    print(json.dumps(report, indent=1))
    RESULTS.write_text(json.dumps(report, indent=1) + "\n")
    if args.write:
        meta_path = MODEL_DIR / "toolrouter.json"
        meta = json.loads(meta_path.read_text())
        meta["no_rerank_threshold"] = round(threshold, 4)
        meta_path.write_text(json.dumps(meta, indent=1) + "\n")


if __name__ == "__main__":
    main()
