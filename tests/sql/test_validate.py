"""validate_sql: parse errors, one statement, read-only, known tables and columns, LIMIT per dialect."""

from __future__ import annotations

import pytest

from toolrouter.errors import SQLValidationError
from toolrouter.registry import Registry, parse_ddl
from toolrouter.sql import validate_sql


@pytest.fixture(scope="module")
def registry(announcement_ddl) -> Registry:
    registry = Registry(parse_ddl(announcement_ddl))
    registry.add_tables('CREATE TABLE staff ("Home Town" TEXT, StaffID INT PRIMARY KEY)', schema="hr")
    return registry


def refused(sql: str, registry, dialect: str = "sqlite", **options) -> SQLValidationError:
    with pytest.raises(SQLValidationError) as info:
        validate_sql(sql, registry, dialect, **options)
    return info.value


@pytest.mark.parametrize("sql", [
    "SELECT first_name FROM customer_personal_info",
    "SELECT c.first_name, p.product_name FROM transactions AS t "
    "JOIN customer_personal_info AS c ON c.customer_id = t.customer_id JOIN products AS p USING (product_id)",
    "WITH spent AS (SELECT customer_id, SUM(total_price) AS total FROM transactions GROUP BY customer_id) "
    "SELECT c.first_name, s.total FROM spent s JOIN customer_personal_info c ON c.customer_id = s.customer_id "
    "ORDER BY total DESC",
    "SELECT q.total FROM (SELECT SUM(total_price) AS total FROM transactions) AS q",
    "SELECT first_name FROM customer_personal_info c WHERE EXISTS "
    "(SELECT 1 FROM transactions t WHERE t.customer_id = c.customer_id AND quantity > 2)",
    "SELECT category, COUNT(*) AS n FROM products GROUP BY category HAVING n > 1 ORDER BY n",
    "SELECT city FROM customer_personal_info UNION SELECT city FROM supplier_company_info",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r",
    'SELECT "Home Town", staffid FROM hr.staff',
    'SELECT s."Home Town" FROM staff AS s',
    "SELECT FIRST_NAME FROM Customer_Personal_Info;",
    "WITH products AS (SELECT 1 AS shadow) SELECT shadow FROM products",
    "SELECT value FROM json_each('[1, 2]')",
])
def test_valid_queries_pass(sql, registry):
    assert validate_sql(sql, registry).endswith("LIMIT 1000")


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT * FROM custmer_personal_info", "unknown table 'custmer_personal_info' (did you mean "
                                            "'customer_personal_info'?)"),
    ("SELECT * FROM sqlite_master", "unknown table 'sqlite_master'"),
    ("SELECT nickname FROM customer_personal_info", "unknown column 'nickname' in table 'customer_personal_info'"),
    ("SELECT c.frist_name FROM customer_personal_info c",
     "unknown column 'frist_name' in table 'customer_personal_info' (did you mean 'first_name'?)"),
    ("SELECT first_name FROM customer_personal_info c WHERE EXISTS "
     "(SELECT 1 FROM transactions t WHERE t.customer_id = c.customer_id AND qty > 2)",
     "unknown column 'qty' in table 'transactions'"),
    ("WITH spent AS (SELECT customer_id FROM transactions) SELECT s.total FROM spent s",
     "unknown column 'total' in 's'"),
    ("SELECT x.first_name FROM customer_personal_info c", "unknown table or alias 'x'"),
    ("SELECT customer_id FROM customer_personal_info c JOIN transactions t ON t.customer_id = c.customer_id",
     "ambiguous column 'customer_id'"),
    ('SELECT first_name FROM customer_personal_info WHERE city = "Berlin"',
     "unknown column 'Berlin' in table 'customer_personal_info' (string literals take single quotes)"),
])
def test_unknown_names_are_named(sql, message, registry):
    assert message in str(refused(sql, registry))


def test_position_is_kept(registry):
    error = refused("SELECT first_name\nFROM nowhere", registry)
    assert (error.line, error.col) == (2, 12)
    error = refused("SELECT * FROM transactions WHERE", registry)
    assert error.line == 1 and "cannot parse SQL" in error.problem


@pytest.mark.parametrize(("sql", "dialect", "message"), [
    ("DELETE FROM transactions", "sqlite", "got DELETE"),
    ("INSERT INTO products (product_id) VALUES (1)", "sqlite", "got INSERT"),
    ("DROP TABLE products", "mysql", "got DROP"),
    ("PRAGMA writable_schema = 1", "sqlite", "got PRAGMA"),
    ("WITH gone AS (DELETE FROM transactions RETURNING *) SELECT * FROM gone", "postgres", "found DELETE inside"),
    ("SELECT * INTO backup FROM transactions", "postgres", "SELECT ... INTO"),
    ("SELECT * INTO backup FROM transactions", "tsql", "SELECT ... INTO"),
    ("SELECT * FROM transactions FOR UPDATE", "postgres", "locking clause"),
    ("TRUNCATE transactions", "mysql", "got TRUNCATE"),
    ("SAVEPOINT sp", "sqlite", "got SAVEPOINT"),
    ("SELECT pg_read_file('/etc/passwd')", "postgres", "function refused: pg_read_file() reads or writes files"),
    ("SELECT pg_advisory_xact_lock(1)", "postgres", "function refused: pg_advisory_xact_lock() sleeps"),
    ("SELECT load_extension('evil.so')", "sqlite", "function refused: load_extension() loads or runs native code"),
    ("SELECT * FROM products /*!50000 INTO OUTFILE '/tmp/x' */", "mysql", "executable comment refused"),
    ("SELECT 1 /* a /* b */ ; DROP TABLE products; */", "postgres", "nested comment refused"),
])
def test_writes_are_refused(sql, dialect, message, registry):
    assert message in str(refused(sql, registry, dialect))


def test_writes_pass_when_allowed_but_tables_are_checked(registry):
    sql = "INSERT INTO products (product_id) VALUES (1)"
    assert validate_sql(sql, registry, allow_write=True) == sql
    assert validate_sql("CREATE TABLE backup AS SELECT * FROM products", registry, allow_write=True)
    assert "unknown table 'nope'" in str(refused("DELETE FROM nope", registry, allow_write=True))


@pytest.mark.parametrize("sql", ["SELECT 1; DROP TABLE products", "SELECT 1; SELECT 2"])
def test_stacked_statements_are_refused(sql, registry):
    assert "expected exactly one statement, got 2" in str(refused(sql, registry))


def test_a_trailing_comment_is_not_a_statement(registry):
    assert validate_sql("SELECT city FROM customer_personal_info; -- all cities", registry).startswith("SELECT city")


def test_empty_sql_is_refused(registry):
    assert str(refused("  ;", registry)) == "no SQL statement given"


@pytest.mark.parametrize(("dialect", "expected"), [
    ("sqlite", "SELECT city FROM customer_personal_info LIMIT 50"),
    ("mysql", "SELECT city FROM customer_personal_info LIMIT 50"),
    ("postgres", "SELECT city FROM customer_personal_info LIMIT 50"),
    ("snowflake", "SELECT city FROM customer_personal_info LIMIT 50"),
    ("bigquery", "SELECT city FROM customer_personal_info LIMIT 50"),
    ("tsql", "SELECT TOP 50 city FROM customer_personal_info"),
])
def test_limit_is_added_per_dialect(dialect, expected, registry):
    assert validate_sql("SELECT city FROM customer_personal_info", registry, dialect, limit=50) == expected


def test_existing_limits_are_kept(registry):
    assert validate_sql("SELECT city FROM customer_personal_info LIMIT 5", registry) == (
        "SELECT city FROM customer_personal_info LIMIT 5")
    assert validate_sql("SELECT TOP 5 city FROM customer_personal_info", registry, "tsql") == (
        "SELECT TOP 5 city FROM customer_personal_info")
    assert validate_sql("SELECT city FROM customer_personal_info", registry, limit=None) == (
        "SELECT city FROM customer_personal_info")


def test_set_operations_are_limited_as_a_whole(registry):
    sql = "SELECT city FROM customer_personal_info UNION SELECT city FROM supplier_company_info"
    assert validate_sql(sql, registry, "tsql", limit=5).startswith("SELECT TOP 5 * FROM (SELECT city")


def test_accepts_routers_registries_and_items(overlap_reranker, registry):
    from toolrouter import Router

    sql = "SELECT city FROM customer_personal_info"
    assert validate_sql(sql, Router(overlap_reranker, registry=registry)) == validate_sql(sql, registry.tables)
