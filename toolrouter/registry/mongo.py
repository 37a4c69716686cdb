"""MongoDB collections described by a ``$jsonSchema`` validator → :class:`TableItem` objects.

Accepted shapes: ``{"collection": name, "validator": {"$jsonSchema": {...}}}`` (the
``createCollection`` options / ``listCollections`` output), ``{"name": name, "options":
{"validator": ...}}``, or ``{name: {"$jsonSchema": {...}}}`` for several collections at once.
Top-level properties become columns (nested objects flattened one level as ``a.b``), the
``bsonType`` their type, ``description`` their comment; ``_id`` is the primary key.
"""

from __future__ import annotations

from typing import Any

from toolrouter.errors import SpecError
from toolrouter.registry.items import Column, TableItem


def load_collections(spec: Any, database: str | None = None) -> list[TableItem]:
    """Table items for one collection document, a list of them, or a ``{name: validator}`` map."""
    if isinstance(spec, list):
        return [table for entry in spec for table in load_collections(entry, database)]
    if not isinstance(spec, dict):
        raise SpecError("collection", f"expected a collection document, got {type(spec).__name__}")
    name = spec.get("collection") or spec.get("name") or spec.get("create")
    if isinstance(name, str):
        options = spec.get("options") if isinstance(spec.get("options"), dict) else spec
        return [_collection(name, options.get("validator"), database, spec)]
    return [_collection(str(key), value, database, value) for key, value in spec.items()]


def _collection(name: str, validator: Any, database: str | None, spec: Any) -> TableItem:
    item = f"collection {name!r}"
    if not isinstance(validator, dict) or not isinstance(validator.get("$jsonSchema"), dict):
        raise SpecError(item, "needs a validator with a '$jsonSchema' document", "/validator/$jsonSchema")
    schema = validator["$jsonSchema"]
    properties = schema.get("properties") or {}
    if not isinstance(properties, dict):
        raise SpecError(item, "'properties' must be an object", "/validator/$jsonSchema/properties")
    required = set(schema.get("required") or [])
    # Every MongoDB document has an _id, declared or not.
    columns = [] if "_id" in properties else [Column(name="_id", type="objectId", nullable=False)]
    for field, sub in properties.items():
        sub = sub if isinstance(sub, dict) else {}
        columns.append(_column(field, sub, field in required))
        nested = sub.get("properties")
        if isinstance(nested, dict):
            inner_required = set(sub.get("required") or [])
            columns.extend(_column(f"{field}.{key}", value if isinstance(value, dict) else {},
                                   key in inner_required) for key, value in nested.items())
    return TableItem(
        name=f"{database}.{name}" if database else name,
        columns=tuple(columns),
        primary_key=("_id",),
        comment=str(schema.get("description") or schema.get("title") or ""),
        schema=database,
        format="mongodb",
        spec=spec,
    )


def _column(name: str, schema: dict[str, Any], required: bool) -> Column:
    kind = schema.get("bsonType", schema.get("type", ""))
    if isinstance(kind, list):
        kind = "|".join(map(str, kind))
    enum = schema.get("enum")
    comment = str(schema.get("description") or "")
    if isinstance(enum, list):
        comment = (comment + " one of: " + ", ".join(map(str, enum[:8]))).strip()
    return Column(name=name, type=str(kind), nullable=not required, comment=comment)
