"""The hostile-SQL corpus (``hostile_sql.json``): :func:`validate_sql` refuses every statement, and
toolrouter's read-only SQLite connections refuse them again when they are sent directly, past validation.

Each entry is ``{id, category, dialect, sql, why}``; ``{tmpdir}`` in ``sql`` is the test's folder, so
an ``ATTACH`` or ``VACUUM INTO`` that got through would leave a file there. The PostgreSQL and MariaDB
parts run on live servers, in ``test_live_servers.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from toolrouter.errors import SQLExecutionError, SQLValidationError
from toolrouter.registry import Registry, parse_ddl
from toolrouter.sql import execute, validate_sql

CORPUS = json.loads((Path(__file__).parent / "hostile_sql.json").read_text(encoding="utf-8"))
# Statements SQLite runs without an error when sent directly, each provably harmless: it is not SQLite
# SQL that writes (a MySQL comment, a string), or it only opens a transaction that execute rolls back.
SQLITE_HARMLESS = {
    "begin": "opens a transaction, rolled back",
    "savepoint": "opens a transaction, rolled back",
    "mysql-executable-comment": "a comment to SQLite: SELECT 1",
    "mysql-versioned-comment": "a comment to SQLite: SELECT * FROM products",
    "mariadb-executable-comment": "a comment to SQLite: SELECT * FROM products",
    "backslash-quote-mysql": "one string to SQLite: a SELECT",
    "double-quote-string-mysql": "one string to SQLite: a SELECT",
}
# SQLite errors that come from toolrouter's read-only guard (authorizer, query_only, mode=ro).
GUARD_ERRORS = ("not authorized", "authorization denied", "readonly database", "attempt to write")


def sql_of(entry: dict, folder: Path) -> str:
    return entry["sql"].replace("{tmpdir}", str(folder))


def by_id(entries: list[dict]) -> list:
    return [pytest.param(entry, id=entry["id"]) for entry in entries]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def content(path: Path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return list(db.iterdump())


@pytest.fixture(scope="module")
def registry(announcement_ddl) -> Registry:
    return Registry(parse_ddl(announcement_ddl))


@pytest.fixture()
def target_db(tmp_path, announcement_ddl) -> Path:
    """The announcement's tables with rows, plus a view, an index and a trigger for DROP to find."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.executescript(announcement_ddl)
        db.execute("INSERT INTO customer_personal_info (customer_id, first_name, email) VALUES (1, 'Anna', 'a@x')")
        db.execute("INSERT INTO products (product_id, product_name, price) VALUES (1, 'Linen Summer Dress', 59)")
        db.execute("INSERT INTO transactions VALUES (1, 1, 1, '2025-06-21', 1, 59)")
        db.executescript("CREATE VIEW v AS SELECT * FROM products; CREATE INDEX idx ON products (price);"
                         "CREATE TRIGGER t AFTER DELETE ON products BEGIN SELECT 1; END;")
    db.close()
    return path


def test_corpus_is_large_and_well_formed():
    assert len(CORPUS) >= 80
    assert len({entry["id"] for entry in CORPUS}) == len(CORPUS)
    assert all(set(entry) == {"id", "category", "dialect", "sql", "why"} for entry in CORPUS)
    assert {"sqlite", "postgres", "mysql"} <= {entry["dialect"] for entry in CORPUS}
    assert set(SQLITE_HARMLESS) <= {entry["id"] for entry in CORPUS}


@pytest.mark.parametrize("entry", by_id(CORPUS))
def test_validate_sql_refuses(entry, registry, tmp_path):
    with pytest.raises(SQLValidationError) as info:
        validate_sql(sql_of(entry, tmp_path), registry, entry["dialect"])
    message = str(info.value)
    assert any(reason in message for reason in (
        "only read-only queries", "expected exactly one statement", "cannot parse SQL", "function refused",
        "comment refused", "unknown table")), message


@pytest.mark.parametrize("entry", by_id(CORPUS))
def test_read_only_sqlite_connection_refuses_directly(entry, target_db):
    before, listing = digest(target_db), sorted(os.listdir(target_db.parent))
    try:
        execute(sql_of(entry, target_db.parent), target_db)
    except SQLExecutionError as exc:
        assert entry["id"] not in SQLITE_HARMLESS, f"expected to run harmlessly, got: {exc}"
    else:
        assert entry["id"] in SQLITE_HARMLESS, "ran on the read-only connection"
    assert digest(target_db) == before
    assert sorted(os.listdir(target_db.parent)) == listing


def test_whole_corpus_leaves_the_file_byte_identical(target_db):
    folder = target_db.parent
    before, dump, mtime = digest(target_db), content(target_db), target_db.stat().st_mtime_ns
    outcomes = Counter()
    for entry in CORPUS:
        try:
            execute(sql_of(entry, folder), target_db)
            outcomes["ran"] += 1
        except SQLExecutionError as exc:
            outcomes["guard" if any(g in str(exc) for g in GUARD_ERRORS) else "other"] += 1
    assert digest(target_db) == before
    assert content(target_db) == dump
    assert target_db.stat().st_mtime_ns == mtime
    assert sorted(os.listdir(folder)) == ["shop.db"]  # no -wal/-journal, no attached or vacuumed copy
    assert outcomes["ran"] == len(SQLITE_HARMLESS)
    assert outcomes["guard"] >= 50


@pytest.mark.parametrize("sql", ["SELECT fts3_tokenizer('simple')", "SELECT load_extension('x')"])
def test_sqlite_authorizer_refuses_dangerous_functions(sql, target_db):
    with pytest.raises(SQLExecutionError, match="not authorized"):
        execute(sql, target_db)


def test_percent_signs_reach_the_database_literally(target_db):
    rows = execute("SELECT product_name FROM products WHERE product_name LIKE '%Dress'", target_db).rows
    assert rows == (("Linen Summer Dress",),)
