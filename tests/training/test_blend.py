"""The blend-weight chooser on tiny dev files: held-out queries routed against a pool per kind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training.blend import (
    QUERIES_PER_KIND,
    SHIP_RULES,
    WEIGHTS,
    best_choice,
    blend_table,
    dev_queries,
    one_standard_error_choice,
    reciprocal_rank,
)

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "toolrouter" / "models" / "default"


def write_dev(directory: Path, groups: list[dict]) -> None:
    (directory / "dev.jsonl").write_text("".join(json.dumps(g) + "\n" for g in groups), encoding="utf-8")


def test_reciprocal_rank_takes_the_best_gold_and_counts_ties_against_it() -> None:
    assert reciprocal_rank(np.array([0.9, 0.1, 0.2]), np.array([True, False, False])) == 1.0
    assert reciprocal_rank(np.array([0.5, 0.7, 0.1, 0.6]), np.array([True, False, False, False])) == 1 / 3
    assert reciprocal_rank(np.array([0.5, 0.5]), np.array([True, False])) == 0.5
    assert reciprocal_rank(np.array([0.2, 0.9, 0.4]), np.array([True, False, True])) == 0.5
    assert reciprocal_rank(np.array([0.2, 0.9]), np.array([False, False])) == 0.0  # the first stage missed it


def test_dev_queries_sample_each_kind_and_pool_every_dev_item_of_it(tmp_path: Path) -> None:
    groups = [{"query": f"q{i}", "kind": kind, "positives": [f"{kind}-p{i % 5}"], "negatives": [f"{kind}-n{i % 3}"]}
              for i in range(500) for kind in ("tool", "table", "text")]
    write_dev(tmp_path, groups)
    routed = dev_queries(tmp_path, seed=13)
    for kind, quota in QUERIES_PER_KIND.items():
        queries, pool = routed[kind]
        assert len(queries) == quota and {g["kind"] for g in queries} == {kind}
        assert sorted(pool) == sorted({f"{kind}-p{i}" for i in range(5)} | {f"{kind}-n{i}" for i in range(3)})
    assert routed["tool"][0] == dev_queries(tmp_path, seed=13)["tool"][0]
    assert routed["tool"][0] != dev_queries(tmp_path, seed=14)["tool"][0]


@pytest.mark.skipif(not (DEFAULT_MODEL / "model.safetensors").exists(), reason="bundled model not present")
def test_blend_table_routes_each_query_against_its_pool_and_picks_weights_per_kind(tmp_path: Path) -> None:
    texts = {
        "tool": ["tool: get_weather\ndescription: Current weather for a city",
                 "tool: create_invoice\ndescription: Bill a customer for an order",
                 "tool: translate_text\ndescription: Translate text into another language"],
        "table": ["CREATE TABLE customers (customer_id INT PRIMARY KEY, email TEXT)",
                  "CREATE TABLE orders (order_id INT PRIMARY KEY, customer_id INT, total REAL)",
                  "CREATE TABLE carriers (carrier_id INT PRIMARY KEY, carrier_name TEXT)"],
        "text": ["Die Hauptstadt von Frankreich ist Paris.", "Photosynthesis turns light into chemical energy."],
    }
    queries = {"tool": ["What's the weather in Oslo?", "Send the customer a bill"],
               "table": ["List every customer's email", "Total of all orders"],
               "text": ["What is the capital of France?", "How do plants use light?"]}
    write_dev(tmp_path, [{"query": q, "kind": kind, "positives": [texts[kind][i]],
                          "negatives": [t for t in texts[kind] if t != texts[kind][i]]}
                         for kind, qs in queries.items() for i, q in enumerate(qs)])
    table = blend_table(DEFAULT_MODEL, tmp_path, seed=13)
    assert table["routed"] == {kind: {"queries": 2, "pool": len(texts[kind])} for kind in texts}
    assert set(table["best"]) == set(SHIP_RULES) == {"tool", "table"}
    for kind, mrr in table["mrr_by_kind"].items():
        assert len(mrr) == len(WEIGHTS) and all(0.0 < value <= 1.0 for value in mrr.values())
        best = table["best"].get(kind)
        if best:
            assert best["best_mrr"] == max(mrr.values())
            assert mrr[f"e5={best['bi_encoder']} bm25={best['lexical']}"] >= best["best_mrr"] - best["standard_error"]


def test_one_standard_error_choice_takes_the_least_bm25_within_noise_of_the_best() -> None:
    reciprocal = {(0.8, 0.2): [1.0, 1.0, 0.5, 1.0], (0.9, 0.1): [1.0, 1.0, 0.5, 0.5], (1.0, 0.0): [0.5, 0.5, 0.5, 0.2]}
    choice = one_standard_error_choice(reciprocal)
    # Best: 0.875, standard error 0.125; (0.9, 0.1) at 0.75 is within it, (1.0, 0.0) at 0.425 is not.
    assert (choice["bi_encoder"], choice["lexical"]) == (0.9, 0.1)
    assert choice["best_pair"] == "e5=0.8 bm25=0.2" and choice["standard_error"] == 0.125
    # Without noise the best pair itself is chosen.
    exact = {(0.8, 0.2): [1.0, 1.0], (0.9, 0.1): [0.5, 0.5]}
    assert (one_standard_error_choice(exact)["bi_encoder"], one_standard_error_choice(exact)["lexical"]) == (0.8, 0.2)


def test_best_choice_takes_the_best_pair_and_the_least_bm25_among_ties() -> None:
    reciprocal = {(0.8, 0.2): [1.0, 1.0, 0.5, 1.0], (0.9, 0.1): [1.0, 1.0, 0.5, 0.5], (0.7, 0.25): [1.0, 1.0, 1.0, 0.5]}
    choice = best_choice(reciprocal)
    assert (choice["bi_encoder"], choice["lexical"]) == (0.8, 0.2)
    assert choice["best_pair"] == "e5=0.8 bm25=0.2" and choice["best_mrr"] == 0.875
    assert choice["standard_error"] == 0.125


def test_tables_ship_the_best_pair_and_tools_the_least_bm25_within_noise() -> None:
    reciprocal = {(0.8, 0.2): [1.0, 1.0, 0.5, 1.0], (0.9, 0.1): [1.0, 1.0, 0.5, 0.5]}
    assert SHIP_RULES["table"](reciprocal)["lexical"] == 0.2
    assert SHIP_RULES["tool"](reciprocal)["lexical"] == 0.1
