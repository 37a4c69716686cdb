"""Table selection on Spider dev: does the selection hold every gold table, and what does it cost?

For each dev question the router keeps the top ``k`` tables; with FK expansion it adds the tables
that join them (``select_tables(expand="fk")``). Two candidate pools:

- ``own_db``: the question's own database (2–26 tables);
- ``all_dev``: the 81 tables of all 20 dev databases at once (names prefixed with the db_id).

Reported per pool and ``k``: ``all_gold`` (share of questions whose gold tables are all selected),
``tables`` (average tables sent) and ``tokens`` (average canonical tokens sent, ``count_tokens`` of
each table's text), each without and with FK expansion (``_fk``), against the pool's full schema.
Spider dev is an evaluation set: never train on it.

Usage::

    python benchmarks/sql_tables.py                    # the bundled model
    python benchmarks/sql_tables.py --model DIR        # a local cross-encoder
    python benchmarks/sql_tables.py --model lexical --quick   # word-overlap baseline, 1 question in 10
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from toolrouter import Registry, Router
from toolrouter.registry import Column, ForeignKey, TableItem, count_tokens
from toolrouter.rerank import BaseReranker, Reranker, load_reranker
from toolrouter.sql.joins import bridge_tables
from toolrouter.sql.prune import content_words

ROOT = Path(__file__).resolve().parent.parent
# Spider's tables.json and dev.jsonl (shared/data/spider next to the checkout).
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "spider"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "sql_tables.json"
DEFAULT_KS = (1, 2, 3, 5)
# --quick keeps every QUICK_STRIDE-th question.
QUICK_STRIDE = 10


class LexicalReranker(BaseReranker):
    """A baseline without a model: the share of the question's content words found in the table text."""

    def __init__(self) -> None:
        super().__init__("lexical")

    def _score_pairs(self, pairs):
        scores = []
        for query, text in pairs:
            asked = content_words(query)
            scores.append(len(asked & content_words(text)) / max(len(asked), 1))
        return np.asarray(scores, dtype=np.float32)


def spider_tables(db: dict[str, Any], prefix: bool = False) -> list[TableItem]:
    """TableItems of one Spider database; ``prefix`` names them ``db_id.table``.

    Foreign keys are Spider's column-index pairs; pairs from one table to another whose target
    columns form the target's composite primary key become one composite key.
    """
    db_id = db["db_id"]
    names = db["table_names_original"]
    columns = db["column_names_original"]  # [table index, name]; index 0 is (-1, "*")
    primary = [i for key in db["primary_keys"] for i in (key if isinstance(key, list) else [key])]
    keys_of = {t: tuple(columns[i][1] for i in primary if columns[i][0] == t) for t in range(len(names))}
    grouped: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for source, target in db["foreign_keys"]:
        grouped[(columns[source][0], columns[target][0])].append((source, target))
    foreign: dict[int, list[ForeignKey]] = defaultdict(list)
    for (table, ref), pairs in grouped.items():
        targets = tuple(columns[t][1] for _, t in pairs)
        composite = len(keys_of[ref]) > 1 and sorted(targets) == sorted(keys_of[ref])
        for group in ([pairs] if composite else [[p] for p in pairs]):
            foreign[table].append(ForeignKey(
                columns=tuple(columns[s][1] for s, _ in group),
                ref_table=f"{db_id}.{names[ref]}" if prefix else names[ref],
                ref_columns=tuple(columns[t][1] for _, t in group)))
    return [
        TableItem(
            name=f"{db_id}.{name}" if prefix else name,
            columns=tuple(Column(c[1], db["column_types"][i]) for i, c in enumerate(columns) if c[0] == t),
            primary_key=keys_of[t],
            foreign_keys=tuple(foreign[t]),
            schema=db_id if prefix else None,
            format="spider",
        )
        for t, name in enumerate(names)
    ]


def selections(router: Router, question: str, ks: tuple[int, ...]) -> dict[int, tuple[list[str], list[str]]]:
    """Per k, the (ranked, bridging) table names ``select_tables(question, k)`` returns.

    One ranking serves every k (the first stage keeps the same candidates for k <= 5), since
    embedding the question for the first stage is the slow part; ``select_tables`` adds the same
    bridges from the same ranking.
    """
    order = [scored.item.name for scored in router.rank(question, "table", k=max(ks))]
    tables = router.registry.tables
    return {k: (order[:k], [b.name for b in bridge_tables(tables, order[:k], priority=order)]) for k in ks}


def evaluate(router: Router, question: str, gold: set[str], ks: tuple[int, ...]) -> dict[int, dict[str, float]]:
    """Per k: all gold selected, tables and tokens sent, without and with FK expansion."""
    rows = {}
    for k, (ranked, bridges) in selections(router, question, ks).items():
        row = {}
        for suffix, chosen in (("", ranked), ("_fk", ranked + bridges)):
            row[f"all_gold{suffix}"] = float(gold <= {name.casefold() for name in chosen})
            row[f"tables{suffix}"] = float(len(chosen))
            row[f"tokens{suffix}"] = float(sum(count_tokens(router.registry[name].text) for name in chosen))
        rows[k] = row
    return rows


def summarize(rows: list[dict[int, dict[str, float]]], full_tables: list[int], full_tokens: list[int],
              ks: tuple[int, ...]) -> dict[str, Any]:
    summary: dict[str, Any] = {"questions": len(rows), "full_tables": round(float(np.mean(full_tables)), 2),
                               "full_tokens": round(float(np.mean(full_tokens)), 1), "k": {}}
    for k in ks:
        means = {key: float(np.mean([r[k][key] for r in rows])) for key in rows[0][k]}
        for suffix in ("", "_fk"):
            means[f"token_share{suffix}"] = means[f"tokens{suffix}"] / summary["full_tokens"]
        summary["k"][str(k)] = {key: round(value, 4) for key, value in means.items()}
    return summary


def reranker_for(model: str | None) -> Reranker:
    return LexicalReranker() if model == "lexical" else load_reranker(model)


def run(args: argparse.Namespace) -> dict[str, Any]:
    ks = tuple(sorted(set(args.k)))
    databases = {db["db_id"]: db for db in json.loads((args.data / "tables.json").read_text(encoding="utf-8"))}
    questions = [json.loads(line) for line in (args.data / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    dev_ids = sorted({q["db_id"] for q in questions})
    if args.quick:
        questions = questions[::QUICK_STRIDE]
    reranker = reranker_for(args.model)
    started = time.monotonic()

    own = {db_id: Router(reranker, registry=Registry(spider_tables(databases[db_id])), first_stage=args.first_stage)
           for db_id in dev_ids}
    every = Router(reranker, first_stage=args.first_stage,
                   registry=Registry([t for db_id in dev_ids for t in spider_tables(databases[db_id], prefix=True)]))
    pools: dict[str, Any] = {}
    for pool in ("own_db", "all_dev"):
        rows, full_tables, full_tokens = [], [], []
        for q in questions:
            router = own[q["db_id"]] if pool == "own_db" else every
            prefix = f"{q['db_id']}." if pool == "all_dev" else ""
            gold = {f"{prefix}{name}".casefold() for name in q["gold_tables"]}
            rows.append(evaluate(router, q["question"], gold, ks))
            full_tables.append(len(router.registry.tables))
            full_tokens.append(sum(count_tokens(t.text) for t in router.registry.tables))
        pools[pool] = summarize(rows, full_tables, full_tokens, ks)
    return {
        "benchmark": "spider-dev table selection",
        "model": args.model or "bundled",
        "reranker": reranker.name,
        "first_stage": args.first_stage,
        "quick": args.quick,
        "databases": len(dev_ids),
        "dev_tables": len(every.registry.tables),
        "seconds": round(time.monotonic() - started, 1),
        "pools": pools,
    }


def show(results: dict[str, Any]) -> None:
    """Print all-gold rates, tables sent (of the pool's) and the share of the pool's schema tokens sent."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Spider dev table selection · {results['reranker']} · "
                        f"{results['pools']['own_db']['questions']} questions", title_justify="left")
    for column in ("pool", "of", "k", "gold", "gold+FK", "tables", "+FK", "token share", "+FK"):
        table.add_column(column, justify="right")
    for pool, summary in results["pools"].items():
        for k, m in summary["k"].items():
            table.add_row(pool, f"{summary['full_tables']:g}", k, f"{m['all_gold']:.1%}",
                          f"{m['all_gold_fk']:.1%}", f"{m['tables']:.2f}", f"{m['tables_fk']:.2f}",
                          f"{m['token_share']:.1%}", f"{m['token_share_fk']:.1%}")
    Console().print(table)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None,
                        help="Cross-encoder directory or cached hub id, or 'lexical'; the bundled model by default.")
    parser.add_argument("--quick", action="store_true", help=f"Every {QUICK_STRIDE}th question only.")
    parser.add_argument("--k", type=int, nargs="+", default=list(DEFAULT_KS), help="Top-k values to report.")
    parser.add_argument("--first-stage", default="hybrid", choices=["hybrid", "bm25", "e5"],
                        help="Candidate retriever for the 81-table pool.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Folder with tables.json and dev.jsonl.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Where to write the JSON results.")
    args = parser.parse_args(argv)
    results = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    show(results)
    return results


if __name__ == "__main__":
    main()
