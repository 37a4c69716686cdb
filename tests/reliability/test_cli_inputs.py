"""The command line answers garbage files and hostile queries with one error line and status 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from toolrouter.cli import app

runner = CliRunner()

GARBAGE = {
    "binary": bytes(range(256)) * 4,
    "latin-1": '[{"name": "café", "parameters": {}}]'.encode("latin-1"),
    "utf-16": '[{"name": "f", "parameters": {}}]'.encode("utf-16"),
    "empty": b"",
    "nul bytes": b"\x00" * 64,
    "truncated": b'[{"name": "f", "parameters": {"type": "obj',
    "nested 100k deep": b"[" * 100_000 + b"]" * 100_000,
    "a number": b"42",
    "surrogate name": b'[{"name": "f\\ud800", "parameters": {}}]',
}
MESSAGES = {
    "binary": "is not UTF-8 text", "latin-1": "is not UTF-8 text", "utf-16": "is not UTF-8 text",
    "empty": "is not valid JSON", "nul bytes": "is not valid JSON", "truncated": "is not valid JSON",
    "nested 100k deep": "is not valid JSON: it nests too deeply", "a number": "tools: a tool spec must be an object",
    "surrogate name": "tools[0]: 'name' is not valid Unicode",
}


@pytest.mark.parametrize("name", GARBAGE)
def test_garbage_tool_files_fail_cleanly(tmp_path, tiny_model_dir, name):
    path = tmp_path / "tools.json"
    path.write_bytes(GARBAGE[name])
    result = runner.invoke(app, ["tools", "--tools", str(path), "-m", str(tiny_model_dir), "weather"])
    assert result.exit_code == 2, result.output  # an escaped exception would exit with 1
    assert result.stderr.startswith("error: ") and MESSAGES[name] in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["binary", "latin-1", "nested 100k deep"])
def test_garbage_ddl_files_fail_cleanly(tmp_path, tiny_model_dir, name):
    path = tmp_path / "schema.sql"
    path.write_bytes(GARBAGE[name])
    result = runner.invoke(app, ["tables", "--ddl", str(path), "-m", str(tiny_model_dir), "customers"])
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_byte_order_mark_and_hostile_query_are_accepted(tmp_path, tiny_model_dir):
    path = tmp_path / "tools.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"name": "getWeather", "description": "weather"}]).encode())
    # An undecodable argv byte reaches Python as a lone surrogate (surrogateescape).
    result = runner.invoke(app, ["tools", "--tools", str(path), "-m", str(tiny_model_dir), "weather \udcff\x1b\x00"])
    assert result.exit_code == 0, result.output
    assert "getWeather" in result.stdout
    result = runner.invoke(app, ["tools", "--tools", str(path), "-m", str(tiny_model_dir), " \x00 "])
    assert result.exit_code == 2 and "query is empty" in result.stderr


def test_markup_and_escape_sequences_are_printed_as_text(tmp_path, tiny_model_dir):
    path = tmp_path / "tools.json"
    path.write_text(json.dumps([{"name": "get[/]Weather\x1b]0;owned\x07", "description": "weather"},
                                {"name": "[bold]calc", "description": "calculate"}]))
    result = runner.invoke(app, ["tools", "--tools", str(path), "-m", str(tiny_model_dir), "weather [/] [red]x"])
    assert result.exit_code == 0, result.output
    assert "get[/]Weather" in result.stdout and "[bold]calc" in result.stdout and "\x1b" not in result.stdout
    path.write_text(json.dumps([{"name": "[/]f", "parameters": {"type": "array"}}]))
    result = runner.invoke(app, ["tools", "--tools", str(path), "-m", str(tiny_model_dir), "weather"])
    assert result.exit_code == 2 and "tool '[/]f'" in result.stderr
