"""Text-to-SQL against live PostgreSQL and MariaDB servers (see :mod:`tests.sql.live_servers`).

Each server is started once for this module. Against each: reflection (schemas, foreign keys,
comments), table selection with foreign-key bridges, validation in the server's dialect, and
read-only execution: the hostile corpus sent directly, past validation, must fail inside the
READ ONLY transaction (or be provably harmless), and a checksum of every table before and after
proves nothing changed. Timeouts, row caps, bad credentials and a server that dies mid-query end
in toolrouter's own errors, which name the database and never its password.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.sql.live_servers import READER_PASSWORD, ensure_package, mariadb_server, postgres_server
from toolrouter import Router
from toolrouter.errors import SpecError, SQLExecutionError, SQLValidationError
from toolrouter.sql import execute, validate_sql

CORPUS = json.loads((Path(__file__).parent / "hostile_sql.json").read_text(encoding="utf-8"))
# Corpus dialect of each server's SQL.
CORPUS_DIALECT = {"postgres": "postgres", "mariadb": "mysql"}
# Statements the server runs without an error inside the read-only transaction, each provably harmless.
HARMLESS = {
    "postgres": {
        "set-transaction-read-write": "a transaction setting, rolled back (stacked after it: refused)",
        "set-session-characteristics": "a transactional SET, rolled back",
        "set-default-read-only": "a transactional SET, rolled back",
        "reset-all": "a transactional RESET, rolled back",
        "rollback": "ends the read-only transaction; nothing may follow it in the same call",
        "nested-comment-pg": "PostgreSQL nests comments: SELECT 1",
        "pg-terminate-backend": "no such backend: returns false",
        "pg-advisory-lock": "a session lock, gone when execute closes the connection",
        "lo-create": "a large object, rolled back",
        "lock-table": "a table lock for the read-only transaction, released at its rollback",
        "prepare-delete": "only stores the DELETE; EXECUTE in a read-only transaction is refused",
    },
    "mariadb": {
        "select-into-variable": "sets a user variable of the session, gone when execute closes the connection",
        "load-file": "the reader has no FILE privilege: returns NULL",
        "mysql-benchmark": "CPU only, interrupted at max_statement_time",
        "mysql-do-sleep": "interrupted at max_statement_time",
        "mysql-get-lock": "a session lock, gone when execute closes the connection",
        "mysql-prepare-from-string": "only stores the statement; EXECUTE in a read-only session is refused",
        "mysql-handler": "a read handle of the session, closed with the connection",
        "lock-in-share-mode": "a read lock, released at the rollback",
        "start-transaction-read-write": "ends the read-only transaction; nothing may follow it in the same call",
    },
}
# Server programs and the Debian package that brings them.
PACKAGES = {"postgres": ("initdb", "postgresql"), "mariadb": ("mariadbd", "mariadb-server")}
SERVERS = {"postgres": postgres_server, "mariadb": mariadb_server}
SLEEP = {"postgres": "SELECT pg_sleep(30)", "mariadb": "SELECT SLEEP(30)"}
MANY_ROWS = {"postgres": "SELECT n FROM generate_series(1, 5000) AS g(n)",
             "mariadb": "SELECT seq FROM seq_1_to_5000"}


def start(name: str, ddl: str):
    binary, package = PACKAGES[name]
    reason = ensure_package(binary, package)
    if reason is not None:
        pytest.skip(f"{name} live-server tests skipped: {reason}")
    return SERVERS[name](ddl)


@pytest.fixture(scope="module", params=["postgres", "mariadb"])
def live(request, announcement_ddl):
    if request.param == "postgres":
        pytest.importorskip("psycopg")
    else:
        pytest.importorskip("pymysql")
    with start(request.param, announcement_ddl) as server:
        yield server


@pytest.fixture()
def router(live, overlap_reranker) -> Router:
    router = Router(overlap_reranker)
    router.add_database(live.url)
    return router


def test_reflection_keeps_tables_foreign_keys_and_comments(router, live):
    tables = {item.name: item for item in router.registry.tables}
    assert set(tables) == {"supplier_company_info", "customer_personal_info", "products", "transactions"}
    products = tables["products"]
    assert products.comment == "Items the shop sells"
    assert {c.name: c.comment for c in products.columns}["category"] == "season line, e.g. Summer Apparel"
    assert products.primary_key == ("product_id",)
    references = {(fk.columns, fk.ref_table, fk.ref_columns) for fk in tables["transactions"].foreign_keys}
    assert references == {(("customer_id",), "customer_personal_info", ("customer_id",)),
                          (("product_id",), "products", ("product_id",))}
    assert "Items the shop sells" in products.text and "season line" in products.text


def test_reflection_of_a_named_schema(live, overlap_reranker):
    if live.name != "postgres":
        pytest.skip("MariaDB has no schemas inside a database")
    router = Router(overlap_reranker)
    router.add_database(live.url, schema="analytics")
    assert [item.name for item in router.registry.tables] == ["analytics.daily_revenue"]


def test_select_tables_bridges_through_foreign_keys(router):
    picked = router.select_tables("customer first name and supplier company name", k=2)
    names = {s.name: s.reason for s in picked}
    assert names.get("customer_personal_info") == "ranked" and names.get("supplier_company_info") == "ranked"
    # customers reach suppliers through transactions → products
    assert names.get("transactions") == "bridge" and names.get("products") == "bridge"


def test_validated_sql_runs_in_the_servers_dialect(router, live):
    sql = validate_sql("SELECT c.first_name, p.product_name FROM transactions t "
                       "JOIN customer_personal_info c ON c.customer_id = t.customer_id "
                       "JOIN products p ON p.product_id = t.product_id", router, live.dialect)
    result = execute(sql, live.url)
    assert result.columns == ("first_name", "product_name")
    assert result.rows == (("Anna", "Linen Summer Dress"),)
    for bad, reason in (("DELETE FROM transactions", "only read-only queries"),
                        ("SELECT nickname FROM customer_personal_info", "nickname")):
        with pytest.raises(SQLValidationError, match=reason):
            validate_sql(bad, router, live.dialect)


def test_hostile_corpus_changes_nothing(live, router, tmp_path):
    entries = [entry for entry in CORPUS if entry["dialect"] == CORPUS_DIALECT[live.name]]
    before = live.checksum()
    refused_by_parser, ran = 0, set()
    for entry in entries:
        sql = entry["sql"].replace("{tmpdir}", str(tmp_path))
        try:
            validate_sql(sql, router, live.dialect)
        except SQLValidationError:
            refused_by_parser += 1
        try:  # sent directly, past validation: the read-only transaction must hold
            execute(sql, live.url, timeout=2)
            ran.add(entry["id"])
        except SQLExecutionError:
            pass
    assert refused_by_parser == len(entries)
    assert ran == set(HARMLESS[live.name])
    assert live.checksum() == before
    assert list(tmp_path.iterdir()) == []  # no file written through INTO OUTFILE / COPY TO
    assert execute("SELECT COUNT(*) FROM transactions", live.url).rows == ((1,),)  # still readable


@pytest.mark.parametrize("sql", ["COMMIT; DELETE FROM transactions", "ROLLBACK; TRUNCATE transactions",
                                 "SET TRANSACTION READ WRITE; DELETE FROM transactions"])
def test_stacked_statements_cannot_leave_the_read_only_transaction(live, sql):
    before = live.checksum()
    with pytest.raises(SQLExecutionError):
        execute(sql, live.url)
    assert live.checksum() == before


def test_statement_timeout_stops_the_query(live):
    started = time.monotonic()
    with pytest.raises(SQLExecutionError, match=r"timed out after 0\.5 s on") as info:
        execute(SLEEP[live.name], live.url, timeout=0.5)
    assert info.value.timed_out
    assert time.monotonic() - started < 10
    assert execute("SELECT 1", live.url).rows == ((1,),)  # the session timeout was reset


def test_row_cap_truncates(live):
    result = execute(MANY_ROWS[live.name], live.url, max_rows=1000)
    assert len(result.rows) == 1000 and result.truncated
    small = execute(MANY_ROWS[live.name], live.url, max_rows=3)
    assert [row[0] for row in small.rows] == [1, 2, 3] and small.truncated


def test_wrong_password_names_the_database_not_the_password(live, overlap_reranker):
    wrong = live.url.replace(READER_PASSWORD, "not-the-password")
    with pytest.raises(SQLExecutionError, match="cannot connect to") as info:
        execute("SELECT 1", wrong)
    message = str(info.value)
    assert "127.0.0.1" in message and "/shop" in message and "reader" in message
    assert "not-the-password" not in message and READER_PASSWORD not in message
    with pytest.raises(SpecError) as reflected:
        Router(overlap_reranker).add_database(wrong)
    assert "/shop" in str(reflected.value) and "not-the-password" not in str(reflected.value)


def test_unreachable_server_is_a_connection_error(live):
    port = live.url.rsplit(":", 1)[1].split("/")[0]
    closed = live.url.replace(f":{port}/", ":1/")
    with pytest.raises(SQLExecutionError, match="cannot connect to") as info:
        execute("SELECT 1", closed)
    assert READER_PASSWORD not in str(info.value)


@pytest.mark.parametrize("name", ["postgres", "mariadb"])
def test_server_dying_mid_query_is_a_lost_connection(name, announcement_ddl):
    with start(name, announcement_ddl) as server:
        outcome: dict[str, BaseException] = {}

        def query() -> None:
            try:
                execute(SLEEP[name], server.url, timeout=30)
            except BaseException as exc:  # recorded for the main thread's assertions
                outcome["error"] = exc

        worker = threading.Thread(target=query)
        worker.start()
        time.sleep(1.0)
        server.stop()
        worker.join(timeout=30)
        error = outcome.get("error")
        assert isinstance(error, SQLExecutionError), error
        assert "lost the connection to" in str(error) and READER_PASSWORD not in str(error)
