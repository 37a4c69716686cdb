"""CREATE TABLE statements in each target dialect, and the prompt built from them."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from toolrouter.registry import parse_ddl
from toolrouter.sql import build_prompt, create_table_sql, schema_sql

DIALECTS = ["sqlite", "mysql", "postgres", "tsql", "snowflake", "bigquery"]
SHOP = """
CREATE TABLE shop.order_lines (
  order_id INT NOT NULL COMMENT 'the order',
  line_no INT NOT NULL,
  `Home Town` VARCHAR(50),
  total_price DECIMAL(10, 2),
  PRIMARY KEY (order_id, line_no),
  FOREIGN KEY (order_id) REFERENCES shop.orders(order_id)
) COMMENT = 'One row per line of an order'
"""


@pytest.mark.parametrize("dialect", DIALECTS)
def test_create_table_parses_back_in_its_dialect(dialect):
    table = parse_ddl(SHOP, "mysql")[0]
    text = create_table_sql(table, dialect)
    create = sqlglot.parse_one(text, read=dialect)
    assert isinstance(create, exp.Create)
    assert create.this.this.name == "order_lines"
    assert create.this.this.db == "shop"
    assert [c.name for c in create.find_all(exp.ColumnDef)] == ["order_id", "line_no", "Home Town", "total_price"]
    assert [i.name for i in create.find(exp.PrimaryKey).expressions] == ["order_id", "line_no"]
    assert create.find(exp.Reference).this.this.name == "orders"
    assert text.startswith("-- One row per line of an order\n")
    assert "-- the order\n" in text


def test_types_and_quoting_follow_the_dialect():
    table = parse_ddl(SHOP, "mysql")[0]
    assert "[Home Town] VARCHAR(50)" in create_table_sql(table, "tsql")
    assert "`Home Town` STRING(50)" in create_table_sql(table, "bigquery")
    assert "order_id INT64 NOT NULL" in create_table_sql(table, "bigquery")
    assert '"Home Town" VARCHAR(50)' in create_table_sql(table, "postgres")


def test_unreadable_types_are_kept_as_written():
    table = parse_ddl("CREATE TABLE t (a INT)")[0]
    odd = table.__class__(name="t", columns=(table.columns[0].__class__("a", "geo'point"),))
    assert "a geo'point" in create_table_sql(odd)


def test_unknown_dialect_lists_valid_ones():
    with pytest.raises(ValueError, match=r"unknown SQL dialect 'postgresql'; valid: .*postgres"):
        create_table_sql(parse_ddl("CREATE TABLE t (a INT)")[0], "postgresql")


def test_prompt_counts_tokens_against_the_full_schema(announcement_ddl):
    tables = parse_ddl(announcement_ddl)
    prompt = build_prompt("which customers bought a summer outfit?", tables[2:3], "postgres", all_tables=tables)
    assert prompt.schema == create_table_sql(tables[2], "postgres")
    assert prompt.full_schema_tokens > prompt.schema_tokens > 0
    assert 0 < prompt.saved_share < 1
    system, user = prompt.messages
    assert system["role"] == "system" and "PostgreSQL" in system["content"]
    assert user["content"].endswith("\n\nQuestion: which customers bought a summer outfit?")
    assert schema_sql(tables, "postgres").count("CREATE TABLE") == 4
