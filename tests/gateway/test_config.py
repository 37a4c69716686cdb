"""The gateway config: the mcpServers shape, and clear errors naming the file, server and field."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from toolrouter.cli import app
from toolrouter.errors import ToolrouterError
from toolrouter.gateway import GatewayConfigError, HttpServer, StdioServer, load_config, parse_config


def test_reads_stdio_and_http_servers(tmp_path):
    path = tmp_path / "servers.json"
    path.write_text(json.dumps({"mcpServers": {
        "mail": {"command": "python", "args": ["mail.py"], "env": {"TOKEN": "t"}, "autoApprove": []},
        "docs": {"type": "http", "url": "https://example.com/mcp", "headers": {"Authorization": "Bearer x"}},
        "old": {"command": "old-server", "disabled": True},
    }}), encoding="utf-8")
    config = load_config(path)
    assert config.servers == (StdioServer("mail", "python", ("mail.py",), {"TOKEN": "t"}),
                              HttpServer("docs", "https://example.com/mcp", {"Authorization": "Bearer x"}))
    assert load_config({"servers": {"a": {"url": "http://localhost:8000/mcp"}}}).names == ["a"]


@pytest.mark.parametrize(("document", "message"), [
    ([], "the top level must be a JSON object, got an array"),
    ({"mcpServers": []}, '"mcpServers" must be an object of named servers (got an array)'),
    ({}, '"mcpServers" must be an object of named servers (it is missing)'),
    ({"mcpServers": {}}, "no servers to serve"),
    ({"mcpServers": {"mail": "python mail.py"}}, "server 'mail': the entry must be an object, got a string"),
    ({"mcpServers": {"mail": {}}}, "server 'mail': needs \"command\""),
    ({"mcpServers": {"mail": {"command": ""}}}, "server 'mail': needs \"command\""),
    ({"mcpServers": {"mail": {"command": "x", "args": "a b"}}}, "server 'mail': \"args\" must be a list of strings"),
    ({"mcpServers": {"mail": {"command": "x", "env": {"TOKEN": 3}}}}, "\"env.TOKEN\" must be a string, got a number"),
    ({"mcpServers": {"mail": {"command": "x", "url": "http://a"}}}, "not both"),
    ({"mcpServers": {"docs": {"url": "ftp://a"}}}, "server 'docs': \"url\" must be an http:// or https:// URL"),
    ({"mcpServers": {"docs": {"type": "sse", "url": "http://a/sse"}}}, "SSE transport is not supported"),
    ({"mcpServers": {"docs": {"type": "ws", "url": "ws://a"}}}, "\"type\" must be \"stdio\" or \"http\""),
    ({"mcpServers": {"my mail": {"command": "x"}}}, "server 'my mail': names may hold only"),
    ({"mcpServers": {"my__mail": {"command": "x"}}}, "server 'my__mail': names may hold only"),
])
def test_bad_configs_name_the_server_and_the_problem(document, message):
    with pytest.raises(GatewayConfigError) as caught:
        parse_config(document, "servers.json")
    assert str(caught.value).startswith("MCP gateway config servers.json: ")
    assert message in str(caught.value)
    assert isinstance(caught.value, ToolrouterError)


def test_header_values_stay_out_of_errors():
    with pytest.raises(GatewayConfigError) as caught:
        load_config({"mcpServers": {"docs": {"url": "http://a/mcp", "headers": {"Authorization": "Bearer s3cret",
                                                                               "X-Retries": 3}}}})
    assert "X-Retries" in str(caught.value) and "s3cret" not in str(caught.value)


def test_unreadable_files_are_named(tmp_path):
    with pytest.raises(GatewayConfigError, match=r"missing\.json: cannot read it"):
        load_config(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(GatewayConfigError, match=r"bad\.json: not valid JSON"):
        load_config(tmp_path / "bad.json")


def test_cli_reports_bad_settings_and_exits_2(tmp_path, tiny_model_dir):
    def run(servers: dict, *options: str) -> str:
        path = tmp_path / "servers.json"
        path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
        result = CliRunner().invoke(app, ["mcp", "--config", str(path), "--model", str(tiny_model_dir), *options])
        assert result.exit_code == 2, result.output
        return " ".join(result.output.split())  # rich wraps long lines

    assert "server 'mail': needs \"command\"" in run({"mail": {"args": ["mail.py"]}})
    unreachable = {"mail": {"command": "no-such-mcp-server-command"}}
    assert "k must be between 1 and 50, got 0" in run(unreachable, "-k", "0")
    (tmp_path / "registry.json").write_text('{"format": "other"}', encoding="utf-8")
    assert "not a toolrouter registry file" in run(unreachable, "--registry", str(tmp_path / "registry.json"))


def test_the_mcp_sdk_loads_only_when_the_gateway_runs():
    code = "import sys, toolrouter, toolrouter.gateway; print(sorted(m for m in ('mcp', 'httpx2') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
