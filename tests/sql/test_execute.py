"""execute: typed results, read-only enforced by the connection itself, timeouts, row caps."""

from __future__ import annotations

import hashlib
import sqlite3
import time

import pytest

from toolrouter.errors import SQLExecutionError
from toolrouter.sql import dialect_of, execute, read_only_engine
from toolrouter.sql.execute import check_single_statement, session_statements


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rows_columns_and_row_cap(shop_db):
    result = execute("SELECT transaction_id, total_price FROM transactions ORDER BY transaction_id", shop_db,
                     max_rows=3)
    assert result.columns == ("transaction_id", "total_price")
    assert result.rows == ((1, 10.0), (2, 20.0), (3, 30.0))
    assert result.truncated
    assert not execute("SELECT COUNT(*) AS n FROM transactions", f"sqlite:///{shop_db}").truncated


@pytest.mark.parametrize("sql", [
    "DELETE FROM transactions",
    "UPDATE products SET price = 0",
    "CREATE TABLE stolen (x INT)",
    "DROP TABLE products",
    "PRAGMA query_only = OFF",
    "PRAGMA user_version = 7",
])
def test_writes_sent_directly_fail_and_leave_the_file_untouched(sql, shop_db):
    before = digest(shop_db)
    with pytest.raises(SQLExecutionError, match="refused the query"):
        execute(sql, shop_db)
    assert digest(shop_db) == before


def test_attach_and_vacuum_into_cannot_create_files(shop_db, tmp_path):
    for sql in (f"ATTACH DATABASE '{tmp_path / 'new.db'}' AS other", f"VACUUM INTO '{tmp_path / 'copy.db'}'"):
        with pytest.raises(SQLExecutionError):
            execute(sql, shop_db)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.db"]


def test_each_layer_refuses_writes_on_its_own(shop_db):
    """The file is opened read-only even when the authorizer and query_only are switched off."""
    engine = read_only_engine(shop_db)
    try:
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
                raw.execute("PRAGMA query_only")
            raw.set_authorizer(None)
            assert raw.execute("PRAGMA query_only").fetchone() == (1,)
            with pytest.raises(sqlite3.OperationalError):
                raw.execute("DELETE FROM transactions")
            raw.execute("PRAGMA query_only = OFF")
            with pytest.raises(sqlite3.OperationalError, match="readonly database"):
                raw.execute("DELETE FROM transactions")
    finally:
        engine.dispose()


def test_long_query_is_stopped_at_the_timeout(shop_db):
    started = time.monotonic()
    with pytest.raises(SQLExecutionError, match=r"timed out after 0\.2 s on sqlite") as info:
        execute("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT MAX(n) FROM r", shop_db,
                timeout=0.2)
    assert info.value.timed_out
    assert time.monotonic() - started < 5
    assert execute("SELECT 1", shop_db, timeout=0.2).rows == ((1,),)  # a fresh connection is fine afterwards


def test_sql_errors_are_execution_errors(shop_db):
    with pytest.raises(SQLExecutionError, match="no such column") as info:
        execute("SELECT nickname FROM customer_personal_info", shop_db)
    assert not info.value.timed_out


def test_missing_and_in_memory_databases_are_refused(tmp_path):
    with pytest.raises(SQLExecutionError, match="file not found"):
        execute("SELECT 1", tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(SQLExecutionError, match="in-memory"):
        execute("SELECT 1", "sqlite://")


def test_unprotectable_backends_are_refused():
    with pytest.raises(SQLExecutionError, match="not supported for 'mssql'; supported: sqlite, postgresql"):
        execute("SELECT 1", "mssql+pyodbc://user@server/db")


def test_server_sessions_are_read_only_and_time_limited():
    assert session_statements("postgresql", 2.5) == (
        ["SET TRANSACTION READ ONLY", "SET LOCAL statement_timeout = 2500"], [])
    assert session_statements("mysql", 2.5) == (
        ["SET SESSION MAX_EXECUTION_TIME = 2500", "SET SESSION TRANSACTION READ ONLY", "START TRANSACTION READ ONLY"],
        ["SET SESSION MAX_EXECUTION_TIME = DEFAULT", "SET SESSION TRANSACTION READ WRITE"])
    assert session_statements("mysql", 2.5, mariadb=True)[0][0] == "SET SESSION max_statement_time = 2.5"
    assert session_statements("sqlite", 2.5) == ([], [])


def test_dialect_of_backends(shop_db):
    assert dialect_of("postgresql+psycopg://u@h/db") == "postgres"
    assert dialect_of("mssql+pyodbc://u@h/db") == "tsql"
    assert dialect_of(shop_db) == dialect_of(str(shop_db)) == "sqlite"
    with pytest.raises(ValueError, match="known: sqlite, postgresql"):
        dialect_of("firebird://u@h/db")


@pytest.mark.parametrize("sql", ["SELECT 1", "SELECT ';' AS x;", "SELECT 1; -- done", "SELECT '\\';'"])
def test_one_statement_passes_the_split_check(sql):
    check_single_statement(sql, "mysql")


@pytest.mark.parametrize(("sql", "backend"), [("SELECT 1; DROP TABLE products", "mysql"),
                                              ("COMMIT; DELETE FROM transactions", "postgresql"),
                                              ("SELECT '\\'; DROP TABLE products; --'", "postgresql")])
def test_stacked_statements_fail_the_split_check(sql, backend):
    with pytest.raises(SQLExecutionError, match="more than one statement"):
        check_single_statement(sql, backend)
