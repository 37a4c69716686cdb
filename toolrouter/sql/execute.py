"""Running checked SQL on a read-only connection, with a timeout and a row cap.

Read-only is enforced by the database, not only by :func:`~toolrouter.sql.validate_sql`:

- SQLite: the file is opened through a ``file:...?mode=ro`` URI, every connection runs
  ``PRAGMA query_only = ON`` and gets an authorizer that allows reads only (so neither ``ATTACH``
  nor ``VACUUM INTO`` can create files, and pragmas cannot be changed back) and refuses the
  functions in ``SQLITE_DENIED_FUNCTIONS``; a progress handler aborts the statement at the
  deadline. The sqlite3 driver runs one statement per call.
- PostgreSQL: each transaction starts with ``SET TRANSACTION READ ONLY`` and
  ``SET LOCAL statement_timeout``. With psycopg (3) the statement is sent with the extended query
  protocol (``prepare=True``), which holds exactly one statement, so ``COMMIT; DELETE ...`` or
  ``SET TRANSACTION READ WRITE; DELETE ...`` is refused by the server instead of leaving the
  read-only transaction. Other drivers send text as it is: :func:`execute` refuses text with more
  than one statement for them (and for MySQL) before it is sent.
- MySQL: ``SET SESSION MAX_EXECUTION_TIME`` (MariaDB: ``max_statement_time``),
  ``SET SESSION TRANSACTION READ ONLY`` and ``START TRANSACTION READ ONLY``; both session values
  are reset afterwards (to the default time limit and READ WRITE). The session setting matters: DDL
  such as ``TRUNCATE`` or ``DROP DATABASE`` commits the open transaction implicitly and would run
  outside it (seen on MariaDB 10.11), while a read-only session refuses it.

Every transaction is rolled back. Other backends are refused rather than run unprotected.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from toolrouter.errors import SQLExecutionError
from toolrouter.registry.database import display_url
from toolrouter.registry.items import TableItem

if TYPE_CHECKING:
    import sqlalchemy as sa

# Seconds a statement may run.
DEFAULT_TIMEOUT = 10.0
# Rows fetched at most; a result with more is marked truncated.
DEFAULT_MAX_ROWS = 1000
# SQLite virtual-machine steps between two deadline checks (about a millisecond of work).
SQLITE_PROGRESS_STEPS = 1000
# SQLAlchemy backend names → sqlglot dialects, for callers that infer the dialect from the database.
BACKEND_DIALECTS = {
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mssql": "tsql",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "duckdb": "duckdb",
    "oracle": "oracle",
}
# Backends whose connections execute() can make read-only.
READ_ONLY_BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb")
# Pragmas the SQLite authorizer allows: the schema reads that SQLAlchemy reflection issues.
SQLITE_READ_PRAGMAS = frozenset({"table_info", "table_xinfo", "foreign_key_list", "index_list", "index_info",
                                 "index_xinfo", "database_list"})
# Functions the SQLite authorizer refuses: native code, pointer leaks and the fileio extension's file access.
SQLITE_DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit", "lsdir"})


@dataclass(frozen=True)
class QueryResult:
    """Rows of a query.

    Attributes:
        columns: Column names, in order.
        rows: At most ``max_rows`` rows, as tuples.
        truncated: True when the query had more rows than were fetched.
        elapsed: Seconds spent executing and fetching.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool
    elapsed: float


def dialect_of(db: str | os.PathLike[str] | sa.URL | sa.Engine) -> str:
    """The sqlglot dialect of a database URL, engine or SQLite path (``postgresql://`` → ``postgres``).

    Raises:
        ValueError: The backend has no known dialect; the message lists the known backends.
    """
    backend = _url(db).get_backend_name()
    if backend not in BACKEND_DIALECTS:
        raise ValueError(f"no SQL dialect known for backend {backend!r}; known: {', '.join(BACKEND_DIALECTS)}")
    return BACKEND_DIALECTS[backend]


def _as_database(db: str | os.PathLike[str] | sa.URL | sa.Engine) -> str | sa.URL | sa.Engine:
    """A path (or a string without ``://``) as a SQLite URL; anything else unchanged."""
    if isinstance(db, os.PathLike) or (isinstance(db, str) and "://" not in db):
        return f"sqlite:///{os.fspath(db)}"
    return db


def _url(db: str | os.PathLike[str] | sa.URL | sa.Engine) -> sa.URL:
    import sqlalchemy as sa

    db = _as_database(db)
    if isinstance(db, sa.Engine):
        return db.url
    try:
        return sa.make_url(db)
    except sa.exc.ArgumentError as exc:
        raise SQLExecutionError(f"not a database URL: {exc}") from None


def read_only_engine(db: str | os.PathLike[str] | sa.URL | sa.Engine) -> sa.Engine:
    """An engine whose connections cannot write (see the module docstring).

    Args:
        db: A SQLAlchemy URL or engine; a path (or a string without ``://``) is a SQLite file. A SQLite engine is
            reopened read-only from its URL; PostgreSQL/MySQL engines are returned as they are,
            since :func:`execute` makes each transaction read-only.

    Raises:
        SQLExecutionError: The SQLite file does not exist or is in-memory, or the backend is not
            one of ``READ_ONLY_BACKENDS``.
    """
    import sqlalchemy as sa

    db = _as_database(db)
    url = _url(db)
    backend = url.get_backend_name()
    if backend not in READ_ONLY_BACKENDS:
        raise SQLExecutionError(
            f"read-only execution is not supported for {backend!r}; supported: {', '.join(READ_ONLY_BACKENDS)}")
    if backend != "sqlite":
        return db if isinstance(db, sa.Engine) else sa.create_engine(url)
    engine = sa.create_engine(_read_only_sqlite_url(url))

    @sa.event.listens_for(engine, "connect")
    def _query_only(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")
        dbapi_connection.set_authorizer(_sqlite_read_authorizer)

    return engine


def _sqlite_read_authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None,
                            _trigger: str | None) -> int:
    """Allow what a read-only query needs (reading, functions, CTEs, transactions); deny the rest."""
    import sqlite3

    reads = (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE, sqlite3.SQLITE_TRANSACTION,
             sqlite3.SQLITE_SAVEPOINT)
    if action == sqlite3.SQLITE_FUNCTION:  # arg2 is the function's name
        return sqlite3.SQLITE_DENY if (arg2 or "").casefold() in SQLITE_DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action in reads or (action == sqlite3.SQLITE_PRAGMA and arg1 in SQLITE_READ_PRAGMAS):
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def reflect_read_only(db: str | os.PathLike[str] | sa.URL | sa.Engine) -> list[TableItem]:
    """The tables of a database, reflected over a read-only engine (a missing SQLite file is not created)."""
    from toolrouter.registry.database import reflect_database

    engine = read_only_engine(db)
    try:
        return reflect_database(engine)
    finally:
        if engine is not db:
            engine.dispose()


def _read_only_sqlite_url(url: sa.URL) -> sa.URL:
    database = url.database or ""
    if url.query.get("uri") == "true" or database.startswith("file:"):
        return url.update_query_dict({"mode": "ro", "uri": "true"})
    if database in ("", ":memory:"):
        raise SQLExecutionError("an in-memory SQLite database cannot be reopened read-only; pass a file URL")
    path = Path(database).expanduser().resolve()
    if not path.is_file():
        raise SQLExecutionError(f"SQLite database file not found: {path}")
    return url.set(database=f"file:{quote(str(path))}").update_query_dict({"mode": "ro", "uri": "true"})


def session_statements(backend: str, timeout: float, *, mariadb: bool = False) -> tuple[list[str], list[str]]:
    """(statements run before the query, statements run after it) that make a transaction read-only
    and time-limited on ``backend``; SQLite needs none (see :func:`read_only_engine`)."""
    milliseconds = max(1, round(timeout * 1000))
    if backend == "postgresql":
        return ["SET TRANSACTION READ ONLY", f"SET LOCAL statement_timeout = {milliseconds}"], []
    if backend in ("mysql", "mariadb"):
        # DDL commits the open transaction implicitly and runs outside it: only a read-only
        # *session* refuses TRUNCATE or DROP DATABASE (error 1792), so both are set.
        limit, value = ("max_statement_time", f"{timeout:g}") if mariadb else ("MAX_EXECUTION_TIME", f"{milliseconds}")
        return ([f"SET SESSION {limit} = {value}", "SET SESSION TRANSACTION READ ONLY", "START TRANSACTION READ ONLY"],
                [f"SET SESSION {limit} = DEFAULT", "SET SESSION TRANSACTION READ WRITE"])
    return [], []


def check_single_statement(sql: str, backend: str) -> None:
    """Refuse text holding more than one statement, for drivers that would send it all to the server.

    Not needed for SQLite (the sqlite3 driver runs one statement per call) nor for PostgreSQL over
    psycopg (3), whose extended query protocol holds one statement; :func:`execute` calls it for the rest
    (a MySQL driver runs stacked statements only when its connection enables them, as it may).

    Raises:
        SQLExecutionError: There is a second statement after a semicolon, or the text cannot be tokenized.
    """
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import SqlglotError
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise(BACKEND_DIALECTS.get(backend, "")).tokenize(sql)
    except SqlglotError as exc:
        raise SQLExecutionError(f"cannot split the statement: {exc}") from None
    ended = False
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            ended = True
        elif ended:
            raise SQLExecutionError("refused: more than one statement in one call "
                                    f"(a second one starts at line {token.line}, col {token.col})")


def _is_psycopg(raw: Any) -> bool:
    """Whether a DBAPI connection is psycopg (3)'s, which can send a statement with the extended protocol."""
    return type(raw).__module__.split(".")[0] == "psycopg"


def execute(sql: str, db: str | os.PathLike[str] | sa.URL | sa.Engine, *, timeout: float = DEFAULT_TIMEOUT,
            max_rows: int = DEFAULT_MAX_ROWS) -> QueryResult:
    """Run one checked statement read-only and return its first ``max_rows`` rows.

    Args:
        sql: The statement, as returned by :func:`~toolrouter.sql.validate_sql`.
        db: A SQLAlchemy URL or engine, or a SQLite file path.
        timeout: Seconds before the statement is stopped. Defaults to ``DEFAULT_TIMEOUT``.
        max_rows: Rows fetched at most. Defaults to ``DEFAULT_MAX_ROWS``.

    Raises:
        SQLExecutionError: The database refused the statement (a write included) or it ran past
            ``timeout`` (``timed_out`` is then True).
    """
    import sqlalchemy as sa

    if timeout <= 0 or max_rows < 0:
        raise ValueError(f"timeout must be > 0 and max_rows >= 0, got {timeout} and {max_rows}")
    engine = read_only_engine(db)
    backend = engine.url.get_backend_name()
    label = display_url(engine)
    deadline = math.inf
    connected = False
    try:
        with engine.connect() as connection:
            connected = True
            before, after = session_statements(backend, timeout,
                                               mariadb=bool(getattr(engine.dialect, "is_mariadb", False)))
            raw = connection.connection.dbapi_connection
            extended = backend == "postgresql" and _is_psycopg(raw)
            if backend != "sqlite" and not extended:
                check_single_statement(sql, backend)
            try:
                for statement in before:
                    connection.exec_driver_sql(statement)
                started = time.monotonic()
                deadline = started + timeout
                if backend == "sqlite":
                    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_PROGRESS_STEPS)
                # The driver's own cursor, without parameters: '%' stays literal, and psycopg's prepare=True
                # sends the text with the extended protocol, which the server parses as one statement.
                cursor = raw.cursor()
                try:
                    if extended:
                        cursor.execute(sql, prepare=True)
                    else:
                        cursor.execute(sql)
                    columns = tuple(column[0] for column in cursor.description or ())
                    rows = [tuple(row) for row in cursor.fetchmany(max_rows + 1)] if cursor.description else []
                finally:
                    cursor.close()
                elapsed = time.monotonic() - started
            finally:
                if backend == "sqlite":
                    raw.set_progress_handler(None, 0)
                connection.rollback()
                for statement in after:
                    connection.exec_driver_sql(statement)
    except (sa.exc.DBAPIError, engine.dialect.loaded_dbapi.Error) as exc:
        orig = getattr(exc, "orig", exc)
        if not connected:
            raise SQLExecutionError(f"cannot connect to {label}: {orig}") from None
        if _is_timeout(orig, backend, deadline):
            raise SQLExecutionError(f"query timed out after {timeout:g} s on {label} and was stopped",
                                    timed_out=True) from None
        if getattr(exc, "connection_invalidated", False):  # SQLAlchemy saw the connection drop
            raise SQLExecutionError(f"lost the connection to {label} during the query: {orig}") from None
        raise SQLExecutionError(f"{label} refused the query: {orig}") from None
    except sa.exc.SQLAlchemyError as exc:
        raise SQLExecutionError(f"cannot run the query on {label}: {exc}") from None
    finally:
        if engine is not db:
            engine.dispose()
    return QueryResult(columns, tuple(rows[:max_rows]), len(rows) > max_rows, elapsed)


def _is_timeout(orig: Any, backend: str, deadline: float) -> bool:
    """Whether a DBAPI error means the statement hit its time limit."""
    if backend == "sqlite":
        return "interrupted" in str(orig) and time.monotonic() > deadline
    if backend == "postgresql":  # query_canceled, from statement_timeout
        return (getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)) == "57014"
    # MySQL ER_QUERY_TIMEOUT (3024), MariaDB ER_STATEMENT_TIMEOUT (1969)
    return bool(getattr(orig, "args", None)) and orig.args[0] in (3024, 1969)
