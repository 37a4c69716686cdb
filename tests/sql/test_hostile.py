"""The hostile-SQL corpus (``hostile_sql.json``): :func:`validate_sql` refuses every statement, and
toolrouter's read-only connections refuse them again when they are sent directly, past validation.

Each entry is ``{id, category, dialect, sql, why}``; ``{tmpdir}`` in ``sql`` is the test's folder, so
an ``ATTACH`` or ``VACUUM INTO`` that got through would leave a file there. The PostgreSQL part runs
on a throwaway cluster and is skipped without PostgreSQL's binaries or psycopg.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
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
# PostgreSQL statements that run without an error in the read-only transaction, each provably harmless:
# transaction-scoped settings, locks and large objects end with the rollback, session state with the connection.
POSTGRES_HARMLESS = {
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
    assert set(SQLITE_HARMLESS) | set(POSTGRES_HARMLESS) <= {entry["id"] for entry in CORPUS}


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


# PostgreSQL: a throwaway cluster on a unix socket, owned by "nobody" when the tests run as root.

def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


PG_TABLES = ("supplier_company_info", "customer_personal_info", "products", "transactions")


@pytest.fixture(scope="module")
def postgres(announcement_ddl):
    """(reader URL, superuser psycopg connection factory) of a fresh cluster; the reader may write any table."""
    psycopg = pytest.importorskip("psycopg")
    bin_dir = _postgres_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="toolrouter-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "nobody")
        as_owner = ["runuser", "-u", "nobody", "--"]
    data, port = folder / "data", 20000 + os.getpid() % 20000

    def run(*command: str) -> None:
        subprocess.run([*as_owner, *command], check=True, capture_output=True, timeout=120)

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
        f"-c listen_addresses='' -k {folder} -p {port} -c fsync=off", "start")

    def superuser(dbname: str = "shop"):
        return psycopg.connect(host=str(folder), port=port, user="postgres", dbname=dbname, autocommit=True)

    try:
        with superuser("postgres") as db:
            db.execute("CREATE DATABASE shop")
            db.execute("CREATE ROLE reader LOGIN")
        statements = {s.split("(")[0].split()[-1]: s for s in announcement_ddl.split(";") if "CREATE TABLE" in s}
        with superuser() as db:
            for table in PG_TABLES:
                db.execute(statements[table])
            db.execute("INSERT INTO supplier_company_info (supplier_id, company_name) VALUES (1, 'Acme')")
            db.execute("INSERT INTO customer_personal_info (customer_id, first_name) VALUES (1, 'Anna')")
            db.execute("INSERT INTO products (product_id, product_name, price) VALUES (1, 'Dress', 59)")
            db.execute("INSERT INTO transactions VALUES (1, 1, 1, '2025-06-21', 1, 59)")
            db.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO reader")
            db.execute("GRANT ALL ON SCHEMA public TO reader")
        yield f"postgresql+psycopg://reader@/shop?host={folder}&port={port}", superuser
    finally:
        subprocess.run([*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def _pg_state(superuser) -> tuple:
    """Everything a write could change: table rows, relations, roles, extensions, large objects, settings."""
    with superuser() as db:
        rows = tuple(db.execute(f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"
                                ).fetchone()[0] for table in PG_TABLES)
        return (rows,
                db.execute("SELECT array_agg(relname ORDER BY relname) FROM pg_class "
                           "WHERE relnamespace = 'public'::regnamespace").fetchone(),
                db.execute("SELECT array_agg(rolname ORDER BY rolname) FROM pg_roles").fetchone(),
                db.execute("SELECT array_agg(extname ORDER BY extname) FROM pg_extension").fetchone(),
                db.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone(),
                db.execute("SELECT setting FROM pg_settings WHERE name = 'default_transaction_read_only'").fetchone())


POSTGRES_CORPUS = [entry for entry in CORPUS if entry["dialect"] == "postgres"]


def test_read_only_postgres_transaction_refuses_directly(postgres, tmp_path):
    url, superuser = postgres
    before = _pg_state(superuser)
    ran = set()
    for entry in POSTGRES_CORPUS:
        try:
            execute(sql_of(entry, tmp_path), url, timeout=2)
            ran.add(entry["id"])
        except SQLExecutionError:
            pass
    assert ran == set(POSTGRES_HARMLESS)
    assert _pg_state(superuser) == before
    assert execute("SELECT COUNT(*) FROM transactions", url).rows == ((1,),)  # the reader can still read


@pytest.mark.parametrize("sql", ["SET TRANSACTION READ WRITE; DELETE FROM transactions",
                                 "COMMIT; DELETE FROM transactions", "ROLLBACK; TRUNCATE transactions"])
def test_postgres_cannot_leave_the_read_only_transaction(sql, postgres):
    url, _ = postgres
    with pytest.raises(SQLExecutionError, match="cannot insert multiple commands"):
        execute(sql, url)
    assert execute("SELECT COUNT(*) FROM transactions", url).rows == ((1,),)
