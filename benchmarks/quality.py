"""Routing quality: BM25, the e5 bi-encoder and toolrouter, side by side on the same items.

- BFCL v4 (multiple, parallel_multiple, live_multiple, live_parallel_multiple): each query ranked
  against one global pool of every distinct tool of those splits; a hit is a gold function name.
- Spider dev: each question against its own database's tables and against all 81 dev tables.
- No tool needed: BFCL irrelevance + live_irrelevance against their own functions, versus relevant
  BFCL queries against theirs, as evaluation: what the default router's shipped threshold empties
  (calibrated on held-out training data by ``training/calibrate.py``) and the ROC-AUC of its top
  score; and, for the cross-encoder, the threshold that keeps ≥ 95% of relevant queries.
- Cross-lingual: XQuAD questions in six languages against the English paragraphs of held-out articles.

toolrouter = ``Router()`` as shipped: the first stage (BM25 + e5, rank-fused) cut at ``--candidates``,
scored as ``rerank="auto"`` says (the bundled model: e5 and BM25 alone); items beyond the cut keep
their first-stage order. toolrouter_cross_encoder = ``Router(rerank="cross-encoder")``: the same
candidates reranked by the model; toolrouter_rerank_none = ``Router(rerank="none")``. When the model ships a query
adapter for the kind (the bundled one does for tables), ``e5_adapted`` is e5 with it, and the
first stage uses it, as the router does. ::

    python benchmarks/quality.py            # full run (about 25 minutes on 2 cores at --candidates 20)
    python benchmarks/quality.py --quick    # a fixed sample, for iteration
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.datasets import BFCL_IRRELEVANT_SPLITS, Query, bfcl, spider_dev, xquad_cross_lingual
from toolrouter import Router
from toolrouter.registry import Registry
from toolrouter.retrieve import FirstStageIndex
from toolrouter.router import QueryError, clean_query

RESULTS = Path(__file__).resolve().parent / "results" / "quality.json"
KS = (1, 3, 5, 10)
# Share of relevant queries the calibrated threshold may wrongly empty.
MAX_WRONGLY_EMPTIED = 0.05

Ranker = Callable[[str], list[str]]


@dataclass(frozen=True)
class Passage:
    """A plain text scored as an item (its name, the article title, is never shown to the model)."""

    name: str
    text: str
    kind: str = "tool"


def metrics(rankings: Sequence[list[str]], queries: Sequence[Query]) -> dict[str, float]:
    """recall@k (share of gold found), all-gold@k, hit@k and MRR (first gold) over queries with gold."""
    out: dict[str, list[float]] = {}
    for ranking, query in zip(rankings, queries):
        position = {name: i for i, name in enumerate(ranking)}
        ranks = sorted(position.get(g, 10**9) for g in query.gold)
        for k in KS:
            found = sum(r < k for r in ranks)
            out.setdefault(f"recall@{k}", []).append(found / len(ranks))
            out.setdefault(f"all_gold@{k}", []).append(float(found == len(ranks)))
        out.setdefault("mrr", []).append(1.0 / (ranks[0] + 1) if ranks[0] < 10**9 else 0.0)
    return {key: round(float(np.mean(values)), 4) for key, values in out.items()} | {"queries": len(rankings)}


def first_stage_ranker(names: list[str], texts: list[str], method: str, query_adapter: Any = None) -> Ranker:
    index = FirstStageIndex(texts, method, query_adapter)  # type: ignore[arg-type]

    def rank(query: str) -> list[str]:
        if method == "hybrid":
            return [names[i] for i in index.candidates(query, len(names))]
        return [names[i] for i in index.rankings(query)[0]]

    return rank


def toolrouter_ranker(router: Router, kind: str, first_stage: Ranker) -> Ranker:
    """The router's ranking of its candidates, then the items past the cut in ``first_stage``'s order."""

    def rank(query: str) -> list[str]:
        reranked = [s.item.name for s in router.rank(query, kind)]  # type: ignore[arg-type]
        seen = set(reranked)
        return reranked + [name for name in first_stage(query) if name not in seen]

    return rank


def compare(queries: Sequence[Query], items: dict[str, Any], kind: str, model: Any, candidates: int,
            label: str) -> dict[str, Any]:
    """All methods on one pool; the first stage's recall ceiling at the cut-off too."""
    names = list(items)
    texts = [items[n].text for n in names]
    router = Router(model, registry=Registry(), candidates=candidates)
    router.registry.add([items[n] for n in names])
    adapter = getattr(model, "query_adapters", {}).get(kind)
    rankers = {"bm25": first_stage_ranker(names, texts, "bm25"), "e5": first_stage_ranker(names, texts, "e5")}
    if adapter is not None:
        rankers["e5_adapted"] = first_stage_ranker(names, texts, "e5", adapter)
    # The router's own first stage: its method, and the adapter it retrieves with.
    rankers["first_stage"] = first_stage_ranker(names, texts, router.first_stage, adapter)
    rankers["toolrouter"] = toolrouter_ranker(router, kind, rankers["first_stage"])
    for method, rerank in (("toolrouter_cross_encoder", "cross-encoder"), ("toolrouter_rerank_none", "none")):
        variant = Router(model, registry=router.registry, candidates=candidates, rerank=rerank)
        rankers[method] = toolrouter_ranker(variant, kind, rankers["first_stage"])
    results: dict[str, Any] = {}
    for method, ranker in rankers.items():
        started = time.perf_counter()
        rankings = [ranker(q.text) for q in queries]
        results[method] = metrics(rankings, queries) | {"seconds": round(time.perf_counter() - started, 1)}
        if method == "first_stage":
            ceiling = [sum(g in set(r[:candidates]) for g in q.gold) / len(q.gold) for r, q in zip(rankings, queries)]
            results["first_stage"][f"recall_ceiling@{candidates}"] = round(float(np.mean(ceiling)), 4)
        print(f"{label:>22} {method:>12}: {results[method]}", flush=True)
    return results


def own_pool(queries: Sequence[Query], items: dict[str, Any], kind: str, model: Any) -> dict[str, Any]:
    """toolrouter, BM25 and e5 when each query is ranked against its own candidates only."""
    router = Router(model)
    rankings: dict[str, list[list[str]]] = {"bm25": [], "e5": [], "toolrouter": []}
    for query in queries:
        pool = list(query.pool)
        texts = [items[n].text for n in pool]
        for method in ("bm25", "e5"):
            rankings[method].append(first_stage_ranker(pool, texts, method)(query.text))
        ranked = router.rank(query.text, kind, items=[items[n] for n in pool])  # type: ignore[arg-type]
        rankings["toolrouter"].append([s.item.name for s in ranked])
    return {method: metrics(r, queries) for method, r in rankings.items()}


def routable(text: str) -> bool:
    """Whether the router accepts ``text`` as a query (BFCL has a few made of control characters)."""
    try:
        clean_query(text)
    except QueryError:
        return False
    return True


def top_score(router: Router, text: str, items: Sequence[Any]) -> float:
    """The best score the router gives any of ``items`` for ``text``: what a no-tool threshold cuts."""
    return max(s.score for s in router.rank(text, "tool", items=items))


def top_scores(router: Router, queries: Sequence[Query], pool: dict[str, Any]) -> np.ndarray:
    """:func:`top_score` of each routable query against its own functions."""
    return np.array([top_score(router, q.text, [pool[n] for n in q.pool]) for q in queries])


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """The probability that a random relevant request's top score beats an irrelevant one's (ties half)."""
    wins = (positive[:, None] > negative[None, :]).mean() + 0.5 * (positive[:, None] == negative[None, :]).mean()
    return float(wins)


def emptied(relevant_top: np.ndarray, irrelevant_top: np.ndarray, threshold: float) -> dict[str, float]:
    """What ``threshold`` leaves empty: the share of irrelevant requests (wanted) and of relevant ones."""
    return {"irrelevant_kept_empty": round(float(np.mean(irrelevant_top < threshold)), 4),
            "relevant_wrongly_emptied": round(float(np.mean(relevant_top < threshold)), 4)}


def calibrate(model: Any, relevant: Sequence[Query], irrelevant: Sequence[Query],
              pool: dict[str, Any]) -> dict[str, Any]:
    """The cross-encoder's no-tool threshold: the highest one that keeps ≥ 95% of relevant queries
    non-empty."""
    router = Router(model, rerank="cross-encoder")
    relevant = [q for q in relevant if q.pool and routable(q.text)]
    irrelevant = [q for q in irrelevant if q.pool and routable(q.text)]
    relevant_top, irrelevant_top = top_scores(router, relevant, pool), top_scores(router, irrelevant, pool)
    threshold = float(np.quantile(relevant_top, MAX_WRONGLY_EMPTIED))
    return {"threshold": round(threshold, 4), **emptied(relevant_top, irrelevant_top, threshold),
            "irrelevant_queries": len(irrelevant), "relevant_queries": len(relevant)}


def no_tool_evaluation(model: Any, relevant: Sequence[Query], irrelevant: Sequence[Query],
                       pool: dict[str, Any]) -> dict[str, Any]:
    """What the default router's shipped threshold (``threshold="auto"``) empties on BFCL, and the
    ROC-AUC of its top score between relevant and irrelevance queries (evaluation only)."""
    router = Router(model, threshold="auto")
    relevant = [q for q in relevant if q.pool and routable(q.text)]
    irrelevant = [q for q in irrelevant if q.pool and routable(q.text)]
    relevant_top, irrelevant_top = top_scores(router, relevant, pool), top_scores(router, irrelevant, pool)
    threshold = router.threshold_for("tool")
    return {"rerank": router.rerank_mode("tool"), "threshold": round(threshold, 4),
            **emptied(relevant_top, irrelevant_top, threshold),
            "roc_auc": round(roc_auc(relevant_top, irrelevant_top), 4),
            "irrelevant_queries": len(irrelevant), "relevant_queries": len(relevant)}


def sample(queries: list[Query], size: int | None, seed: int = 7) -> list[Query]:
    if size is None or size >= len(queries):
        return queries
    return sorted(random.Random(seed).sample(queries, size), key=lambda q: q.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model name or directory; the bundled model by default")
    parser.add_argument("--quick", action="store_true", help="a fixed sample of each set")
    parser.add_argument("--candidates", type=int, default=30, help="first-stage cut-off reranked by the model")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    size = 200 if args.quick else None
    from toolrouter.rerank import load_reranker

    model = load_reranker(args.model)
    started = time.time()
    report: dict[str, Any] = {"model": getattr(model, "name", str(args.model)), "quick": args.quick,
                              "candidates": args.candidates, "machine": platform.processor() or platform.machine(),
                              "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    queries, pool = bfcl()
    bfcl_queries = sample([q for q in queries if q.gold], size)
    report["bfcl"] = {"pool": len(pool), **compare(bfcl_queries, pool, "tool", model, args.candidates, "BFCL global")}
    write(report, args.out)

    irrelevant, irrelevant_pool = bfcl(BFCL_IRRELEVANT_SPLITS)
    report["no_tool"] = calibrate(model, sample(bfcl_queries, 200), sample(irrelevant, 300 if args.quick else None),
                                  {**pool, **irrelevant_pool})
    print("no-tool calibration:", report["no_tool"], flush=True)
    report["no_tool_default"] = no_tool_evaluation(model, sample(bfcl_queries, 200),
                                                   sample(irrelevant, 300 if args.quick else None),
                                                   {**pool, **irrelevant_pool})
    print("no-tool, default router:", report["no_tool_default"], flush=True)
    write(report, args.out)

    spider_queries, databases = spider_dev()
    # Dev databases share table names (singer, ...): items are named ``db.table``, as the gold is.
    tables = {f"{db}.{name}": replace(table, name=f"{db}.{name}")
              for db, db_tables in databases.items() for name, table in db_tables.items()}
    spider_sample = sample(spider_queries, size)
    report["spider_own_db"] = own_pool(spider_sample, tables, "table", model)
    print("Spider own DB:", report["spider_own_db"], flush=True)
    write(report, args.out)
    report["spider_all_tables"] = {"pool": len(tables), **compare(spider_sample, tables, "table", model,
                                                                  args.candidates, "Spider all tables")}
    write(report, args.out)

    xquad_queries, paragraphs = xquad_cross_lingual()
    passages = {key: Passage(key, text) for key, text in paragraphs.items()}
    report["xquad_cross_lingual"] = compare(sample(xquad_queries, 150 if args.quick else 600), passages, "tool",
                                            model, args.candidates, "XQuAD x-lingual")
    report["seconds"] = round(time.time() - started)
    write(report, args.out)
    print(f"wrote {args.out} in {report['seconds']} s")


def write(report: dict[str, Any], out: Path) -> None:
    """Save the sections measured so far (a long run keeps what it finished)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
