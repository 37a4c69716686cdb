"""A smoke run of benchmarks/sql_tables.py with the lexical baseline."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("sql_tables", ROOT / "benchmarks" / "sql_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spider_tables_keep_keys():
    benchmark = load_benchmark()
    db = {
        "db_id": "shop", "table_names_original": ["orders", "lines", "flights", "airports"],
        "column_names_original": [[-1, "*"], [0, "order_id"], [0, "day"], [1, "order_id"], [1, "line_no"],
                                  [2, "src"], [2, "dst"], [3, "code"], [1, "ref_order"], [1, "ref_line"]],
        "column_types": ["text", "number", "time", "number", "number", "text", "text", "text", "number", "number"],
        "primary_keys": [1, [3, 4], 7],
        "foreign_keys": [[3, 1], [5, 7], [6, 7], [8, 3], [9, 4]],
    }
    orders, lines, flights, airports = benchmark.spider_tables(db, prefix=True)
    assert orders.name == "shop.orders" and orders.primary_key == ("order_id",)
    assert lines.primary_key == ("order_id", "line_no")
    assert [(k.columns, k.ref_table) for k in lines.foreign_keys] == [
        (("order_id",), "shop.orders"), (("ref_order", "ref_line"), "shop.lines")]
    assert [k.columns for k in flights.foreign_keys] == [("src",), ("dst",)]  # two keys, not one composite
    assert airports.columns[0].type == "text"


def test_lexical_quick_run(tmp_path):
    benchmark = load_benchmark()
    if not (benchmark.DEFAULT_DATA / "dev.jsonl").exists():
        pytest.skip("Spider dev data is not next to this checkout")
    out = tmp_path / "sql_tables.json"
    benchmark.main(["--model", "lexical", "--quick", "--first-stage", "bm25", "--k", "1", "3", "--out", str(out)])
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["databases"] == 20 and results["dev_tables"] == 81
    for pool in ("own_db", "all_dev"):
        for metrics in results["pools"][pool]["k"].values():
            assert metrics["all_gold_fk"] >= metrics["all_gold"]
            assert metrics["tables_fk"] >= metrics["tables"]
            assert 0 < metrics["token_share"] <= metrics["token_share_fk"] <= 1


def test_selections_match_select_tables():
    from tests.conftest import WordOverlapReranker
    from toolrouter import Registry, Router
    from toolrouter.registry import parse_ddl

    router = Router(WordOverlapReranker(), registry=Registry(parse_ddl("""
        CREATE TABLE singer (singer_id INT PRIMARY KEY, name TEXT);
        CREATE TABLE concert (concert_id INT PRIMARY KEY, stadium_id INT REFERENCES stadium(stadium_id), year INT);
        CREATE TABLE singer_in_concert (singer_id INT REFERENCES singer(singer_id),
          concert_id INT REFERENCES concert(concert_id));
        CREATE TABLE stadium (stadium_id INT PRIMARY KEY, capacity INT);
    """)))
    question = "name of each singer and the capacity of the stadium"
    for k, (ranked, bridges) in load_benchmark().selections(router, question, (1, 2, 3)).items():
        chosen = router.select_tables(question, k=k)
        assert [s.name for s in chosen if s.reason == "ranked"] == ranked
        assert [s.name for s in chosen if s.reason == "bridge"] == bridges
