"""CREATE TABLE text in any sqlglot dialect → :class:`TableItem` objects.

Handles several statements in one string, quoted and schema-qualified names, inline and
table-level PRIMARY KEY / FOREIGN KEY / REFERENCES, MySQL ``COMMENT`` clauses and PostgreSQL
``COMMENT ON TABLE/COLUMN`` statements. Other statements (indexes, inserts, SET ...) describe no
table and are skipped.

SQL comments are kept where real schemas put their documentation (BIRD's published schemas, for
one, describe every column in a ``--`` line):

- a column's trailing comment (``price REAL, -- unit price in EUR``) or the comment lines right
  above it become the column's comment;
- the comment lines directly above ``CREATE TABLE`` (no blank line between) become the table's
  description; a file header separated by a blank line is not;
- a ``COMMENT`` clause or ``COMMENT ON`` statement wins over a plain comment;
- a column comment that states a reference as ``references table(column)`` (or
  ``foreign key to table(column)``) adds that foreign key unless the column already has one or
  the comment names a second ``table(column)``; nothing else in comments is read as a key.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from toolrouter.errors import DuplicateNameError, SchemaParseError, SpecError
from toolrouter.registry.items import Column, ForeignKey, TableItem

logger = logging.getLogger(__name__)

# A line that starts a CREATE TABLE statement (any modifiers between the two words).
_CREATE_TABLE_LINE = re.compile(r"^\s*CREATE\b[^;(]*?\bTABLE\b", re.IGNORECASE)
# A foreign key stated in a column comment: "references molecule(molecule_id)", "foreign key to a.b (c)".
_COMMENT_REFERENCE = re.compile(
    r"\b(?:references?|foreign\s+key\s+(?:to|references?))\s+([A-Za-z_][\w.]*)\s*\(\s*([A-Za-z_]\w*)\s*\)",
    re.IGNORECASE)
_TABLE_COLUMN = re.compile(r"[A-Za-z_][\w.]*\s*\(\s*[A-Za-z_]\w*\s*\)")


def parse_ddl(ddl: str, dialect: str | None = None, schema: str | None = None) -> list[TableItem]:
    """Parse CREATE TABLE statements into table items, in statement order.

    Args:
        ddl: One or many SQL statements.
        dialect: Any sqlglot dialect name (``mysql``, ``postgres``, ``snowflake`` ...); None reads
            sqlglot's permissive default. Defaults to None.
        schema: Qualifier for tables written without one. Defaults to None.

    Raises:
        SchemaParseError: The text does not parse; names the statement and sqlglot's line/col.
        DuplicateNameError: Two statements create the same table.
        SpecError: ``ddl`` is not a string or ``dialect`` is unknown.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    if not isinstance(ddl, str):
        raise SpecError("ddl", f"expected SQL text, got {type(ddl).__name__}")
    try:
        statements = sqlglot.parse(ddl, read=dialect)
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line, col = first.get("line"), first.get("col")
        raise SchemaParseError(_statement_at(ddl, line, col), first.get("description") or str(exc), line, col) from exc
    except TokenError as exc:
        raise SchemaParseError(ddl, str(exc)) from exc
    except ValueError as exc:  # unknown dialect
        raise SpecError("ddl", str(exc)) from exc
    except RecursionError:
        raise SchemaParseError(ddl, "statement nests too deeply to parse") from None

    tables: dict[str, TableItem] = {}
    above_creates = _lines_above_creates(ddl)
    for statement in statements:
        if isinstance(statement, exp.Create) and str(statement.args.get("kind", "")).upper() == "TABLE":
            table = _table_from_create(statement, schema, dialect, above_creates)
            if table.name in tables:
                raise DuplicateNameError(f"table {table.name!r}", "is created more than once in this DDL text; "
                                         "keep one CREATE TABLE per table")
            tables[table.name] = table
        elif isinstance(statement, exp.Command) and _looks_like_create_table(statement):
            # sqlglot falls back to an opaque Command for syntax it cannot parse; refuse rather than drop.
            text = statement.sql(dialect=dialect)
            raise SchemaParseError(text, "unsupported or invalid CREATE TABLE syntax for dialect "
                                         f"{dialect or 'default'!r}")
        elif isinstance(statement, exp.Comment):
            _apply_comment(statement, tables, schema)
        elif statement is not None:
            logger.debug("toolrouter: skipping non-table statement %s", statement.sql()[:80])
    return list(tables.values())


def _looks_like_create_table(command) -> bool:
    expression = command.expression
    rest = expression if isinstance(expression, str) else expression.sql() if expression is not None else ""
    words = f"{command.this} {rest}".upper().split()
    return words[:1] == ["CREATE"] and any(w.startswith("TAB") for w in words[1:4])


def _statement_at(ddl: str, line: int | None, col: int | None = None) -> str:
    """The ';'-delimited statement of ``ddl`` that contains 1-based ``line`` and ``col``."""
    if line is None:
        return ddl
    offset = sum(len(text) + 1 for text in ddl.splitlines()[: max(line - 1, 0)]) + max((col or 1) - 1, 0)
    start = ddl.rfind(";", 0, offset) + 1
    end = ddl.find(";", offset)
    return ddl[start : end if end != -1 else len(ddl)].strip()


def _qualified(table, default_schema: str | None) -> tuple[str, str | None]:
    """(registry name, schema) of a sqlglot Table: ``catalog.db.name`` parts joined by dots."""
    qualifier = ".".join(part for part in (table.catalog, table.db) if part) or default_schema
    return (f"{qualifier}.{table.name}" if qualifier else table.name), qualifier


def _literal_text(node) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Literal):
        return node.this
    return node.sql() if node is not None else ""


def _lines_above_creates(ddl: str) -> str:
    """The comment lines directly above each CREATE TABLE line (up to a blank line or a ``;``), joined."""
    lines = ddl.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _CREATE_TABLE_LINE.match(line):
            above = index - 1
            while above >= 0 and lines[above].strip() and not lines[above].rstrip().endswith(";"):
                kept.append(lines[above])
                above -= 1
    return "\n".join(kept)


def _comment_text(comments) -> str:
    """SQL comments as one line of prose: markers and decoration stripped, whitespace collapsed."""
    parts = []
    for comment in comments or ():
        text = " ".join(line.strip().lstrip("*").strip() for line in comment.splitlines())
        text = " ".join(text.strip("-*# ").split())
        if text:
            parts.append(text)
    return " ".join(parts)


def _table_from_create(create, default_schema: str | None, dialect: str | None, above_creates: str) -> TableItem:
    from sqlglot import exp

    target = create.this
    table = target.this if isinstance(target, exp.Schema) else target
    name, qualifier = _qualified(table, default_schema)
    columns: list[Column] = []
    primary_key: list[str] = []
    foreign_keys: list[ForeignKey] = []

    def reference(node: exp.Reference, local_columns: tuple[str, ...]) -> ForeignKey:
        ref = node.this
        ref_table = ref.this if isinstance(ref, exp.Schema) else ref
        ref_name, ref_schema = _qualified(ref_table, None)
        if ref_schema is None and qualifier:
            ref_name = f"{qualifier}.{ref_name}"
        ref_columns = tuple(i.name for i in ref.expressions) if isinstance(ref, exp.Schema) else ()
        return ForeignKey(columns=local_columns, ref_table=ref_name, ref_columns=ref_columns)

    definitions = target.expressions if isinstance(target, exp.Schema) else []
    for definition in definitions:
        if isinstance(definition, exp.ColumnDef):
            column_name = definition.name
            comment, nullable = "", True
            for constraint in definition.constraints:
                kind = constraint.kind
                if isinstance(kind, exp.PrimaryKeyColumnConstraint):
                    primary_key.append(column_name)
                    nullable = False
                elif isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null"):
                    nullable = False
                elif isinstance(kind, exp.CommentColumnConstraint):
                    comment = _literal_text(kind.this)
                elif isinstance(kind, exp.Reference):
                    foreign_keys.append(reference(kind, (column_name,)))
            # Comment lines above the column attach to its name; a trailing one to the definition or,
            # after the last column (no comma), to its last token.
            trailing = [c for node in definition.walk() if node is not definition.this for c in node.comments or ()]
            described = _comment_text([*(definition.this.comments or ()), *trailing])
            comment = comment or described
            stated = _COMMENT_REFERENCE.search(described)
            # A comment naming a second table(column) is ambiguous: read no key from it.
            if (stated and len(_TABLE_COLUMN.findall(described)) == 1
                    and not any(column_name in key.columns for key in foreign_keys)):
                ref_table, ref_column = stated.groups()
                if qualifier and "." not in ref_table:
                    ref_table = f"{qualifier}.{ref_table}"
                foreign_keys.append(ForeignKey(columns=(column_name,), ref_table=ref_table, ref_columns=(ref_column,)))
            kind_sql = definition.args["kind"].sql() if definition.args.get("kind") is not None else ""
            columns.append(Column(name=column_name, type=kind_sql, nullable=nullable, comment=comment))
        else:
            for key in definition.find_all(exp.PrimaryKey, exp.ForeignKey):
                if isinstance(key, exp.PrimaryKey):
                    primary_key.extend(_key_names(key.expressions))
                elif isinstance(key, exp.ForeignKey) and key.args.get("reference") is not None:
                    foreign_keys.append(reference(key.args["reference"], tuple(_key_names(key.expressions))))
    # sqlglot gives the statement every comment before CREATE; keep those directly above it.
    comment = _comment_text([c for c in create.comments or () if c.strip() and c.strip() in above_creates])
    properties = create.args.get("properties")
    if properties is not None:
        for prop in properties.expressions:
            if isinstance(prop, exp.SchemaCommentProperty):
                comment = _literal_text(prop.this)
    return TableItem(
        name=name,
        columns=tuple(columns),
        primary_key=tuple(dict.fromkeys(primary_key)),
        foreign_keys=tuple(dict.fromkeys(foreign_keys)),
        comment=comment,
        schema=qualifier,
        format="ddl",
        spec=create.sql(dialect=dialect),
    )


def _key_names(expressions) -> list[str]:
    from sqlglot import exp

    names = []
    for node in expressions:
        # Ordered (``id DESC``) and plain identifiers/columns both carry the column name.
        target = node.this if isinstance(node, exp.Ordered) else node
        names.append(target.name)
    return names


def _apply_comment(statement, tables: dict[str, TableItem], default_schema: str | None) -> None:
    """Fold PostgreSQL ``COMMENT ON TABLE|COLUMN ... IS '...'`` into the tables parsed so far."""
    from sqlglot import exp

    kind = str(statement.args.get("kind", "")).upper()
    text = _literal_text(statement.expression)
    target = statement.this
    if kind == "TABLE" and isinstance(target, exp.Table):
        name, _ = _qualified(target, default_schema)
        if name in tables:
            tables[name] = replace(tables[name], comment=text)
    elif kind == "COLUMN" and isinstance(target, exp.Column):
        parts = [p for p in (target.args.get("catalog"), target.args.get("db"), target.args.get("table")) if p]
        table_name = ".".join(p.name for p in parts)
        if default_schema and "." not in table_name:
            table_name = f"{default_schema}.{table_name}"
        table = tables.get(table_name)
        if table is not None:
            columns = tuple(replace(c, comment=text) if c.name == target.name else c for c in table.columns)
            tables[table_name] = replace(table, columns=columns)
