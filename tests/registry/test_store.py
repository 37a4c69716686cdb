"""Registry files: round trip, atomic writes, clear errors, and the committed JSON Schema."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest

from toolrouter.errors import RegistryFileError
from toolrouter.registry import Registry, ToolItem
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


@pytest.fixture()
def saved(tmp_path, announcement_tools, announcement_ddl) -> bytes:
    """The bytes of a saved registry with tools, a hosted tool and tables."""
    path = tmp_path / "good.json"
    filled_registry(announcement_tools, announcement_ddl).save(path)
    return path.read_bytes()


def edited(saved: bytes, **fields) -> bytes:
    return json.dumps({**json.loads(saved), **fields}).encode()


# How each file is broken (from the good file's bytes) and what the error must say.
CORRUPTIONS = {
    "empty": (lambda good: b"", "not valid JSON"),
    "truncated after 1 byte": (lambda good: good[:1], "not valid JSON"),
    "truncated in the header": (lambda good: good[:40], "not valid JSON"),
    "truncated at a third": (lambda good: good[: len(good) // 3], "not valid JSON"),
    "truncated at a half": (lambda good: good[: len(good) // 2], "not valid JSON"),
    "last byte missing": (lambda good: good[:-1], "not valid JSON"),
    "binary garbage": (lambda good: bytes(range(256)) * 8, "not valid JSON"),
    "NUL bytes": (lambda good: bytes(4096), "not valid JSON"),
    "invalid UTF-8": (lambda good: good.replace(b"calculateCarbonFootprint", b"calc\xff\xfeFootprint"),
                      "not valid JSON"),
    "a JSON list": (lambda good: b"[]", "top level is not a JSON object"),
    "a JSON null": (lambda good: b"null", "top level is not a JSON object"),
    "another JSON document": (lambda good: b"{}", "no format field"),
    "another format": (lambda good: edited(good, format="openapi"), "its format is 'openapi'"),
    "a newer version": (lambda good: edited(good, version=2, tools=[{"id": 1}]), "version 2 is newer"),
    "a version string": (lambda good: edited(good, version="1"), "format version is '1'"),
    "tools not a list": (lambda good: edited(good, tools={"a": 1}), "valid array at /tools"),
    "a tool without name": (lambda good: edited(good, tools=[{"parameters": {}}]), "Field required at /tools/0/name"),
    "an unknown field": (lambda good: edited(good, comment="x"), "Extra inputs are not permitted at /comment"),
    "a name twice": (lambda good: edited(good, tools=json.loads(good)["tools"][:1] * 2), "already registered"),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_corrupt_files_name_the_file_and_the_problem(tmp_path, saved, corruption):
    corrupt, message = CORRUPTIONS[corruption]
    path = tmp_path / "broken.json"
    content = corrupt(saved)
    assert content != saved
    path.write_bytes(content)
    with pytest.raises(RegistryFileError, match=message) as err:
        Registry.load(path)
    assert str(err.value).startswith(f"registry file {path}: ")


def test_missing_file(tmp_path):
    with pytest.raises(RegistryFileError, match="cannot read"):
        Registry.load(tmp_path / "nope.json")


def test_a_directory_is_not_a_registry_file(tmp_path):
    with pytest.raises(RegistryFileError, match="cannot read"):
        Registry.load(tmp_path)


def test_saving_into_a_missing_directory_names_it(tmp_path):
    path = tmp_path / "no" / "such" / "registry.json"
    with pytest.raises(RegistryFileError) as err:
        Registry([ToolItem(name="a")]).save(path)
    assert str(err.value) == f"registry file {path}: cannot write it: directory {path.parent} does not exist"
    assert not (tmp_path / "no").exists()


def test_a_failed_save_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "registry.json"
    path.mkdir()  # the rename over a directory fails after the temporary file is written
    with pytest.raises(RegistryFileError, match="cannot write it"):
        Registry([ToolItem(name="a")]).save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "registry.json"
    Registry([ToolItem(name="a")]).save(path)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # a new file: as open() would make it
    path.chmod(0o640)
    Registry([ToolItem(name="b")]).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_save_through_a_symbolic_link_replaces_its_target(tmp_path):
    real = tmp_path / "real.json"
    link = tmp_path / "link.json"
    Registry([ToolItem(name="a")]).save(real)
    link.symlink_to(real)
    Registry([ToolItem(name="b")]).save(link)
    assert link.is_symlink()
    assert list(Registry.load(real)) == ["b"]
