"""Column pruning keeps keys and the question's columns, and fills up to min_columns."""

from __future__ import annotations

from toolrouter.registry import parse_ddl
from toolrouter.sql import prune_columns
from toolrouter.sql.prune import content_words

PRODUCTS = """
CREATE TABLE products (
  product_id INT PRIMARY KEY, product_name VARCHAR(100), description TEXT, category VARCHAR(50),
  price DECIMAL(10, 2), weight_grams INT COMMENT 'shipping weight', colour VARCHAR(20), supplier_id INT,
  FOREIGN KEY (supplier_id) REFERENCES supplier_company_info(supplier_id))
"""


def names(table) -> list[str]:
    return [c.name for c in table.columns]


def test_keys_and_mentioned_columns_are_kept_in_order():
    table = parse_ddl(PRODUCTS)[0]
    pruned = prune_columns(table, "What colour and price does each category have?", min_columns=0)
    assert names(pruned) == ["product_id", "category", "price", "colour", "supplier_id"]
    assert pruned.foreign_keys == table.foreign_keys
    assert pruned.text != table.text


def test_comments_match_too():
    pruned = prune_columns(parse_ddl(PRODUCTS)[0], "heaviest items by shipping cost", min_columns=0)
    assert names(pruned) == ["product_id", "weight_grams", "supplier_id"]


def test_first_columns_fill_up_to_min_columns():
    pruned = prune_columns(parse_ddl(PRODUCTS)[0], "Which is the cheapest colour?")
    assert names(pruned) == ["product_id", "product_name", "description", "colour", "supplier_id"]


def test_nothing_to_prune_returns_the_table():
    table = parse_ddl("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)")[0]
    assert prune_columns(table, "anything") is table


def test_words_are_split_stemmed_and_filtered():
    assert content_words("customerName, the categories of boxes; id") == {"custom", "name", "categori", "box"}
    assert content_words("ordered orders") == {"order"}
