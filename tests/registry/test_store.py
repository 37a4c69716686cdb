"""Registry files: round trip, atomic writes, clear errors, and the committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from toolrouter.errors import RegistryFileError
from toolrouter.registry import Registry
from toolrouter.registry.store import json_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "registry.schema.json"


def filled_registry(announcement_tools, announcement_ddl) -> Registry:
    registry = Registry()
    registry.add_tools(announcement_tools)
    registry.add_tools([{"type": "web_search"}])

    def local_tool(x: int) -> int:
        """Double a number."""
        return 2 * x

    registry.add_tools(local_tool)
    registry.add_tables(announcement_ddl, dialect="mysql")
    return registry


def test_round_trip_keeps_items_and_text(tmp_path, announcement_tools, announcement_ddl):
    registry = filled_registry(announcement_tools, announcement_ddl)
    path = tmp_path / "registry.json"
    registry.save(path)
    loaded = Registry.load(path)
    assert list(loaded) == list(registry)
    assert [i.text for i in loaded.values()] == [i.text for i in registry.values()]
    assert loaded.hosted == registry.hosted
    assert loaded["local_tool"].spec is None  # callables are not JSON; their schema is kept
    assert loaded["transactions"].foreign_keys == registry["transactions"].foreign_keys
    jsonschema.validate(json.loads(path.read_text()), json_schema())
    assert not list(tmp_path.glob(".*.tmp"))


def test_committed_schema_matches_the_models():
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema()


@pytest.mark.parametrize("content, message", [
    (b'{"format": "toolrouter-registry", "version": 1, "tools": [{"na', "not valid JSON"),
    (b'{"format": "something-else"}', "invalid"),
    (b"", "not valid JSON"),
])
def test_corrupt_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(RegistryFileError, match=message) as err:
        Registry.load(path)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(RegistryFileError, match="cannot read"):
        Registry.load(tmp_path / "nope.json")
