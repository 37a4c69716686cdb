"""The packaged demo database and ``toolrouter demo``."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from toolrouter.cli import app
from toolrouter.demo import DEMO_DB, DEMO_SQL, TOOLS_FILE
from toolrouter.registry import parse_ddl
from toolrouter.sql import execute, reflect_read_only, validate_sql

ROOT = Path(__file__).resolve().parents[2]


def load_script():
    spec = importlib.util.spec_from_file_location("make_demo_db", ROOT / "scripts" / "make_demo_db.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dump(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def test_database_is_small_and_holds_the_announcement_tables(announcement_ddl):
    assert DEMO_DB.stat().st_size < 1_000_000
    tables = {t.name: t for t in reflect_read_only(DEMO_DB)}
    assert len(tables) == 34
    for expected in parse_ddl(announcement_ddl):
        table = tables[expected.name]
        assert [c.name for c in table.columns] == [c.name for c in expected.columns]
        assert table.primary_key == expected.primary_key
        assert {(k.columns, k.ref_table) for k in table.foreign_keys} == {
            (k.columns, k.ref_table) for k in expected.foreign_keys}
    assert sum(len(t.foreign_keys) for t in tables.values()) >= 40
    assert any(len(t.primary_key) > 1 for t in tables.values())


def test_script_rebuilds_the_same_rows(tmp_path):
    load_script().build(tmp_path / "retail.db")
    assert dump(tmp_path / "retail.db") == dump(DEMO_DB)


def test_demo_answer_is_not_empty():
    result = execute(validate_sql(DEMO_SQL, reflect_read_only(DEMO_DB)), DEMO_DB)
    assert len(result.rows) >= 5
    assert {row[-1] for row in result.rows} <= {f"2025-06-{day}" for day in range(24, 31)}


def test_packaged_tools_match_the_examples():
    assert json.loads(TOOLS_FILE.read_text(encoding="utf-8")) == json.loads(
        (ROOT / "schemas" / "examples" / "announcement_tools.json").read_text(encoding="utf-8"))


def test_demo_runs_offline_and_leaves_the_database_untouched(tiny_model_dir):
    before = hashlib.sha256(DEMO_DB.read_bytes()).hexdigest()
    result = CliRunner().invoke(app, ["demo", "--model", str(tiny_model_dir)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for text in ("calculateCarbonFootprint", "Japanese", "tables for: which customers bought a summer outfit",
                 "bridge: joins", "CREATE TABLE", "schema tokens:", "% saved", "Linen", "row cap"):
        assert text in result.output
    assert hashlib.sha256(DEMO_DB.read_bytes()).hexdigest() == before
