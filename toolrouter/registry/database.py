"""Live databases → :class:`TableItem` objects, through SQLAlchemy reflection.

Accepts a URL string, an ``Engine``/``Connection`` or a ``MetaData`` (already reflected or
declared). Columns, types, primary keys, foreign keys and table/column comments are kept.
"""

from __future__ import annotations

from typing import Any

from toolrouter.errors import SpecError
from toolrouter.registry.items import Column, ForeignKey, TableItem


def reflect_database(source: Any, schema: str | None = None, include: list[str] | None = None) -> list[TableItem]:
    """Reflect tables (and views are left out) into table items.

    Args:
        source: A SQLAlchemy URL (``sqlite:///shop.db``), ``Engine``, ``Connection`` or ``MetaData``.
        schema: Database schema to reflect; None for the default. Names are then ``schema.table``.
            Defaults to None.
        include: Only these table names. Defaults to None (all tables).

    Raises:
        SpecError: The source cannot be connected to or reflected.
    """
    import sqlalchemy as sa
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(source, sa.MetaData):
        metadata = source
    else:
        engine = source
        try:
            if isinstance(source, str | sa.URL):
                engine = sa.create_engine(source)
            metadata = sa.MetaData(schema=schema)
            metadata.reflect(bind=engine, only=include)
        except (SQLAlchemyError, ValueError, TypeError, ImportError) as exc:
            raise SpecError(f"database {display_url(source)}", f"cannot reflect tables: {exc}") from exc
        finally:
            if isinstance(source, str | sa.URL) and not isinstance(engine, str):
                engine.dispose()
    return [_table_item(table) for table in metadata.sorted_tables
            if include is None or table.name in include]


def display_url(source: Any) -> str:
    """A URL or engine for messages, with any password hidden."""
    import sqlalchemy as sa

    try:
        url = source.url if hasattr(source, "url") else sa.make_url(str(source))
        return url.render_as_string(hide_password=True)
    except Exception:  # an unparseable URL: show its type only, never the raw string
        return f"<{type(source).__name__}>"


def _table_item(table) -> TableItem:
    name = f"{table.schema}.{table.name}" if table.schema else table.name
    columns = tuple(
        Column(name=column.name, type=_type_sql(column.type), nullable=bool(column.nullable),
               comment=column.comment or "")
        for column in table.columns
    )
    foreign_keys = []
    for constraint in sorted(table.foreign_key_constraints, key=lambda c: tuple(c.column_keys)):
        ref = constraint.referred_table
        ref_name = f"{ref.schema}.{ref.name}" if ref.schema else ref.name
        foreign_keys.append(ForeignKey(
            columns=tuple(element.parent.name for element in constraint.elements),
            ref_table=ref_name,
            ref_columns=tuple(element.column.name for element in constraint.elements),
        ))
    return TableItem(
        name=name,
        columns=columns,
        primary_key=tuple(column.name for column in table.primary_key.columns),
        foreign_keys=tuple(foreign_keys),
        comment=table.comment or "",
        schema=table.schema,
        format="database",
        spec=None,
    )


def _type_sql(column_type) -> str:
    try:
        return str(column_type.compile())
    except Exception:  # dialect-specific types without a generic rendering
        return type(column_type).__name__.upper()
