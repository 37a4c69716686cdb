"""Tables from DDL in several dialects, live SQLite databases, MetaData and MongoDB validators."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from toolrouter.errors import DuplicateNameError, SchemaParseError, SpecError
from toolrouter.registry import Registry, parse_ddl, reflect_database
from toolrouter.registry.canonical import DEFAULT_MAX_TOKENS, count_tokens
from toolrouter.registry.items import ForeignKey, TableItem
from toolrouter.registry.mongo import load_collections
from toolrouter.sql.joins import bridge_tables, fk_graph


def test_announcement_tables(announcement_ddl):
    tables = {t.name: t for t in parse_ddl(announcement_ddl, dialect="mysql")}
    assert list(tables) == ["customer_personal_info", "supplier_company_info", "transactions", "products"]
    transactions = tables["transactions"]
    assert transactions.primary_key == ("transaction_id",)
    assert ForeignKey(("customer_id",), "customer_personal_info", ("customer_id",)) in transactions.foreign_keys
    assert transactions.text == (
        "CREATE TABLE transactions (transaction_id INT PRIMARY KEY, customer_id INT, product_id INT, "
        "transaction_date DATE, quantity INT, total_price DECIMAL(10, 2), "
        "FOREIGN KEY (customer_id) REFERENCES customer_personal_info(customer_id), "
        "FOREIGN KEY (product_id) REFERENCES products(product_id))"
    )


def test_mysql_quoting_schema_comments_inline_and_composite_keys():
    ddl = """
    -- orders live in the shop schema
    CREATE TABLE `shop`.`order_items` (
      `order_id` INT NOT NULL COMMENT 'the order',
      `line_no` SMALLINT NOT NULL,
      `sku` VARCHAR(32) REFERENCES products (sku),
      PRIMARY KEY (`order_id`, `line_no`),
      CONSTRAINT fk_order FOREIGN KEY (`order_id`) REFERENCES `shop`.`orders` (`id`)
    ) ENGINE=InnoDB COMMENT='One row per order line';
    /* a block comment */
    CREATE INDEX idx_sku ON shop.order_items (sku);
    """
    [table] = parse_ddl(ddl, dialect="mysql")
    assert table.name == "shop.order_items" and table.schema == "shop"
    assert table.primary_key == ("order_id", "line_no")
    assert table.comment == "One row per order line"
    assert table.column("order_id").comment == "the order" and not table.column("order_id").nullable
    assert set(table.foreign_keys) == {ForeignKey(("sku",), "shop.products", ("sku",)),
                                       ForeignKey(("order_id",), "shop.orders", ("id",))}
    assert "PRIMARY KEY (order_id, line_no)" in table.text
    assert "COMMENT 'One row per order line'" in table.text


def test_postgres_comment_on_and_quoted_names():
    ddl = """
    CREATE TABLE public."Customer Accounts" (id SERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE);
    COMMENT ON TABLE public."Customer Accounts" IS 'Registered shoppers';
    COMMENT ON COLUMN public."Customer Accounts".email IS 'login address';
    """
    [table] = parse_ddl(ddl, dialect="postgres")
    assert table.name == "public.Customer Accounts"
    assert table.comment == "Registered shoppers"
    assert table.column("email").comment == "login address"
    assert table.text.startswith('CREATE TABLE public."Customer Accounts" (id SERIAL PRIMARY KEY')


@pytest.mark.parametrize("dialect, ddl", [
    ("snowflake", "CREATE OR REPLACE TABLE db.sales.orders (id NUMBER(38,0), amount NUMBER(10,2)) COMMENT = 'x'"),
    ("bigquery", "CREATE TABLE `proj.ds.events` (id INT64, payload STRUCT<a STRING>, ts TIMESTAMP)"),
    ("tsql", "CREATE TABLE [dbo].[Employees] ([Id] INT IDENTITY(1,1) PRIMARY KEY, [Name] NVARCHAR(100))"),
    ("sqlite", "CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, b TEXT REFERENCES u(c) ON DELETE CASCADE)"),
])
def test_other_dialects(dialect, ddl):
    [table] = parse_ddl(ddl, dialect=dialect)
    assert table.columns and table.text.startswith("CREATE TABLE ")


def test_unparseable_ddl_names_statement_and_position():
    ddl = "CREATE TABLE ok (a INT);\nCREATE TABLE broken (a INT b INT c);"
    with pytest.raises(SchemaParseError) as err:
        parse_ddl(ddl)
    assert "broken" in err.value.statement and "ok (a INT)" not in err.value.statement
    assert err.value.line == 2 and err.value.col is not None
    assert "line 2" in str(err.value)


def test_unsupported_create_table_is_refused_not_dropped():
    with pytest.raises(SchemaParseError, match="unsupported or invalid CREATE TABLE"):
        parse_ddl("CREATE TABLE t (a INT) garbage here; CREATE TABLE u (b INT)")


def test_unknown_dialect_and_wrong_type():
    with pytest.raises(SpecError, match="dialect"):
        parse_ddl("CREATE TABLE t (a INT)", dialect="no-such-sql")
    with pytest.raises(SpecError):
        parse_ddl(None)  # type: ignore[arg-type]


def test_live_sqlite_database(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL);
            CREATE TABLE lines (order_id INTEGER, line_no INTEGER, PRIMARY KEY (order_id, line_no),
                                FOREIGN KEY (order_id) REFERENCES orders(id));
        """)
    registry = Registry()
    registry.add_database(f"sqlite:///{path}")
    assert sorted(registry) == ["customers", "lines", "orders"]
    assert registry["orders"].foreign_keys == (ForeignKey(("customer_id",), "customers", ("id",)),)
    assert registry["lines"].primary_key == ("order_id", "line_no")
    assert not registry["customers"].column("name").nullable
    assert registry["orders"].format == "database"


def test_metadata_with_comments_and_schema():
    metadata = sa.MetaData()
    sa.Table("regions", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(40)),
             comment="Sales regions", schema="sales")
    sa.Table("reps", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("region_id", sa.ForeignKey("sales.regions.id"), comment="home region"), schema="sales")
    tables = {t.name: t for t in reflect_database(metadata)}
    assert tables["sales.regions"].comment == "Sales regions"
    assert tables["sales.reps"].column("region_id").comment == "home region"
    assert tables["sales.reps"].foreign_keys == (ForeignKey(("region_id",), "sales.regions", ("id",)),)


def test_unreachable_database_error_hides_password(tmp_path):
    with pytest.raises(SpecError) as err:
        reflect_database(f"sqlite:///{tmp_path}/missing/dir/x.db")
    assert "cannot reflect" in str(err.value)
    with pytest.raises(SpecError) as err:
        reflect_database("postgresql+psycopg://user:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(err.value)


def test_mongodb_json_schema_validator():
    spec = {"collection": "orders", "validator": {"$jsonSchema": {
        "bsonType": "object", "description": "Customer orders", "required": ["customer", "status"],
        "properties": {"customer": {"bsonType": "objectId", "description": "who ordered"},
                       "status": {"enum": ["new", "shipped"], "description": "order state"},
                       "address": {"bsonType": "object", "properties": {"city": {"bsonType": "string"}}}}}}}
    [table] = load_collections(spec, database="shop")
    assert table.name == "shop.orders" and table.primary_key == ("_id",)
    assert [c.name for c in table.columns] == ["_id", "customer", "status", "address", "address.city"]
    assert "one of: new, shipped" in table.column("status").comment
    with pytest.raises(SpecError, match="collection 'bad'"):
        load_collections({"collection": "bad", "validator": {}})


def test_a_table_created_twice_is_refused_not_replaced():
    ddl = "CREATE TABLE orders (id INT PRIMARY KEY);\nCREATE TABLE orders (id INT, total DECIMAL(10, 2));"
    with pytest.raises(DuplicateNameError, match=r"'orders'.*more than once"):
        parse_ddl(ddl, "mysql")
    assert [t.name for t in parse_ddl("CREATE TABLE a.orders (id INT); CREATE TABLE b.orders (id INT);")] == [
        "a.orders", "b.orders"]


DDL_FILES = Path(__file__).parent / "ddl"


def read_ddl(name: str) -> dict[str, TableItem]:
    dialect = name.split(".")[1]
    return {t.name: t for t in parse_ddl((DDL_FILES / name).read_text(), dialect=dialect)}


def test_sql_comments_describe_columns_tables_and_keys_sqlite():
    tables = read_ddl("toxicology.sqlite.sql")
    assert list(tables) == ["molecule", "atom", "bond", "connected"]
    # A blank line separates the file header from the first table: it describes no table.
    assert tables["molecule"].comment == "One row per tested molecule."
    assert tables["bond"].comment == "Bonds between two atoms of the same molecule."  # /* */ above CREATE
    assert tables["connected"].comment == ""
    atom = tables["atom"]
    assert atom.column("atom_id").comment == "unique id of the atom"
    # The last column has no comma before its comment.
    assert atom.column("element").comment.startswith("chemical element: cl = chlorine")
    assert tables["molecule"].column("label").comment.startswith("whether the molecule is carcinogenic")
    assert tables["bond"].column("bond_type").comment == "bond type: '-' single, '=' double, '#' triple"  # line above
    assert atom.foreign_keys == (ForeignKey(("molecule_id",), "molecule", ("molecule_id",)),)
    assert tables["bond"].foreign_keys == (ForeignKey(("molecule_id",), "molecule", ("molecule_id",)),)
    assert set(tables["connected"].foreign_keys) == {ForeignKey(("atom_id",), "atom", ("atom_id",)),
                                                     ForeignKey(("atom_id2",), "atom", ("atom_id",)),
                                                     ForeignKey(("bond_id",), "bond", ("bond_id",))}
    assert atom.text == (
        "CREATE TABLE atom (atom_id TEXT PRIMARY KEY COMMENT 'unique id of the atom', molecule_id TEXT "
        "COMMENT 'the molecule the atom belongs to; references molecule(molecule_id)', element TEXT "
        "COMMENT 'chemical element: cl = chlorine, c = carbon, h = hydrogen, o = oxygen', "
        "FOREIGN KEY (molecule_id) REFERENCES molecule(molecule_id)) COMMENT 'One row per atom of a molecule.'"
    )


def test_sql_comments_postgres_schema_ambiguity_and_comment_on():
    tables = read_ddl("payroll.postgres.sql")
    employee = tables["payroll.employee"]
    assert tables["payroll.department"].comment == "Departments of the company."
    assert employee.column("full_name").comment == "full legal name"  # /* */ line above the column
    assert employee.column("hired_on").comment == "first working day"
    # An unqualified reference resolves in the table's own schema; a comment naming two tables adds no key.
    assert employee.foreign_keys == (ForeignKey(("department_id",), "payroll.department", ("id",)),)
    assert employee.column("manager_id").comment == "the employee's manager: references employee(id) or contractor(id)"
    salary = tables["payroll.salary"]
    # A REFERENCES clause is never overridden by a comment; COMMENT ON wins over a plain comment.
    assert salary.foreign_keys == (ForeignKey(("employee_id",), "payroll.employee", ("id",)),)
    assert salary.comment == "Salary history; one row per change"
    assert salary.column("amount").comment == "gross monthly salary"


def test_sql_comments_mysql_hash_comments_and_comment_clauses():
    tables = read_ddl("shop.mysql.sql")
    customer, orders = tables["customer"], tables["orders"]
    assert customer.comment == "Customers who registered on the web shop."  # '#' line above CREATE
    assert customer.column("id").comment == "customer number"
    assert customer.column("email").comment == "login address"  # COMMENT clause wins
    assert customer.column("country").comment == "ISO 3166 country code"  # trailing '#'
    assert orders.comment == "Every order, paid or not"  # COMMENT= wins over the line above
    assert orders.foreign_keys == (ForeignKey(("customer_id",), "customer", ("id",)),)


def test_commented_ddl_text_is_deterministic_and_within_budget():
    essay = " ".join(f"word{i}" for i in range(400))
    ddl = f"-- {essay}\nCREATE TABLE notes (\n  id INT PRIMARY KEY, -- {essay}\n  body TEXT -- {essay}\n);"
    first, again = parse_ddl(ddl, dialect="sqlite")[0], parse_ddl(ddl, dialect="sqlite")[0]
    assert first.text == again.text
    assert count_tokens(first.text) <= DEFAULT_MAX_TOKENS
    assert first.text.startswith("CREATE TABLE notes (id INT PRIMARY KEY") and "word0" in first.text
    assert first.column("body").comment == essay  # the item keeps the whole comment; only the text is trimmed


def test_comment_stated_keys_feed_the_table_bridges():
    tables = read_ddl("toxicology.sqlite.sql").values()
    assert fk_graph(tables)["molecule"] == ["atom", "bond"]
    [bridge] = bridge_tables(tables, ["connected", "molecule"])
    assert bridge.name in {"atom", "bond"} and set(bridge.joins) == {"connected", "molecule"}
