"""The gateway as an MCP client sees it: a real gateway process over stdio, real upstream servers.

``overlap`` runs the gateway on the word-overlap reranker (deterministic ranking) with four live
servers (three over stdio, one over streamable HTTP) and two that fail to start; ``cli`` runs
``python -m toolrouter.gateway`` on the tiny model with one live server, reading the registry
file ``overlap`` wrote.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import anyio
import pytest

from tests.gateway.conftest import Client, gateway_client, stdio_entry, write_config
from toolrouter.registry import Registry

pytestmark = pytest.mark.anyio
EXPOSE = 2


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("gateway") / "registry.json")


@pytest.fixture(scope="module")
async def overlap(tmp_path_factory, registry_file, docs_url) -> AsyncIterator[Client]:
    directory = tmp_path_factory.mktemp("overlap")
    config = write_config(directory / "servers.json", {
        "mail": stdio_entry("mail_server.py"),
        "calendar": stdio_entry("calendar_server.py"),
        "crash": stdio_entry("crash_server.py"),
        "docs": {"type": "http", "url": docs_url, "headers": {"X-Team": "search"}},
        "missing": {"command": "no-such-mcp-server-command"},
        "exits": {"command": sys.executable, "args": ["-c", "raise SystemExit(3)"]},
    })
    args = ["tests/gateway/overlap_gateway.py", str(config), registry_file, str(EXPOSE)]
    async with gateway_client(args, directory) as client:
        yield client


@pytest.fixture(scope="module")
async def cli(tmp_path_factory, tiny_model_dir, registry_file, overlap) -> AsyncIterator[Client]:
    directory = tmp_path_factory.mktemp("cli")
    config = write_config(directory / "servers.json", {
        "mail": stdio_entry("mail_server.py"),
        "calendar": {"command": "no-such-calendar-command"},  # down now; known from the registry file
    })
    args = ["-m", "toolrouter.gateway", "--config", str(config), "--registry", registry_file,
            "--model", str(tiny_model_dir)]
    async with gateway_client(args, directory) as client:
        yield client


async def test_lists_search_and_call_naming_the_live_servers(overlap):
    tools = (await overlap.session.list_tools()).tools
    assert [tool.name for tool in tools[:2]] == ["search_tools", "call_tool"]
    assert len(tools) <= 2 + EXPOSE  # exposed tools come after them, once a search ran
    assert "servers mail, calendar, crash, docs." in tools[0].description
    assert "7 tools" in tools[0].description


async def test_search_returns_the_best_tools_namespaced(overlap):
    found = await overlap.search("send an email message to Bob", k=3)
    assert len(found) == 3
    assert found[0]["name"] == "mail__send_email"
    assert set(found[0]["inputSchema"]["properties"]) == {"to", "subject", "body"}
    assert found[0]["description"] == "Send an email message to a recipient address."
    assert (await overlap.search("create a calendar event for the meeting", k=1))[0]["name"] == "calendar__create_event"


async def test_call_tool_forwards_to_the_owning_server(overlap):
    assert await overlap.call("call_tool", {"name": "mail__send_email", "arguments": {"to": "bob", "subject": "hi"}}) \
        == (False, "sent email to bob: hi")


async def test_short_names_resolve_when_unambiguous(overlap):
    assert await overlap.call("call_tool", {"name": "create_event", "arguments": {"title": "standup", "date": "mon"}}) \
        == (False, "created event 'standup' on mon")
    is_error, text = await overlap.call("call_tool", {"name": "search", "arguments": {"query": "x"}})
    assert is_error and "ambiguous" in text and "mail__search" in text and "calendar__search" in text


async def test_bad_calls_are_error_results_the_model_can_act_on(overlap):
    is_error, text = await overlap.call("call_tool", {"name": "send_emial", "arguments": {}})
    assert is_error and "unknown tool 'send_emial'" in text and "mail__send_email" in text and "search_tools" in text
    is_error, text = await overlap.call("call_tool", {"arguments": {}})
    assert is_error and "needs 'name'" in text
    is_error, text = await overlap.call("call_tool", {"name": "mail__send_email", "arguments": "to bob"})
    assert is_error and "'arguments' must be an object" in text
    is_error, text = await overlap.call("search_tools", {"query": "  "})
    assert is_error and "query is empty" in text
    is_error, text = await overlap.call("no_such_tool")
    assert is_error and "unknown tool" in text


async def test_http_upstreams_get_their_headers(overlap):
    assert await overlap.call("call_tool", {"name": "search_docs", "arguments": {"query": "install"}}) \
        == (False, "docs for 'install', asked by team search")


async def test_upstream_error_results_are_forwarded(overlap):
    arguments = {"mailbox": "inbox"}
    is_error, text = await overlap.call("call_tool", {"name": "mail__delete_mailbox", "arguments": arguments})
    assert is_error and "mailbox 'inbox' is protected" in text


async def test_servers_that_fail_to_start_are_left_out(overlap):
    servers = {tool["name"].split("__")[0] for tool in await overlap.search("anything at all", k=50)}
    assert servers == {"mail", "calendar", "crash", "docs"}
    is_error, text = await overlap.call("call_tool", {"name": "missing__anything"})
    assert is_error and "unknown tool" in text


async def test_an_upstream_dying_mid_call_is_an_error_result(overlap):
    is_error, text = await overlap.call("call_tool", {"name": "crash__crash_now"})
    assert is_error and "MCP server 'crash' failed to run tool 'crash_now'" in text
    assert await overlap.call("call_tool", {"name": "mail__search", "arguments": {"query": "invoice"}}) \
        == (False, "2 emails match 'invoice'")


async def test_expose_lists_the_searched_tools_and_notifies(overlap):
    seen = len(overlap.notifications)
    found = await overlap.search("create a calendar event for the meeting", k=3)
    with anyio.fail_after(10):
        while not any(getattr(n, "method", "") == "notifications/tools/list_changed"
                      for n in overlap.notifications[seen:]):
            await anyio.sleep(0.05)
    tools = (await overlap.session.list_tools()).tools
    assert [tool.name for tool in tools] == ["search_tools", "call_tool", *(t["name"] for t in found[:EXPOSE])]
    assert tools[2].input_schema["required"] == ["title", "date"]
    assert await overlap.call("calendar__create_event", {"title": "review", "date": "tue"}) \
        == (False, "created event 'review' on tue")


async def test_registry_file_holds_the_discovered_tools(overlap, registry_file):
    assert list(Registry.load(registry_file)) == [
        "mail__send_email", "mail__search", "mail__delete_mailbox", "calendar__create_event", "calendar__search",
        "crash__crash_now", "docs__search_docs"]
    saved = Registry.load(registry_file)
    # Each server is its tools' group, described by its instructions where it gives them.
    assert saved.group_of(saved["calendar__search"]) == "calendar"
    assert saved.groups["calendar"].description == "Events and meetings on the team calendar."
    assert set(saved.groups) == {"mail", "calendar", "crash", "docs"}


async def test_cli_serves_and_knows_unreachable_servers_from_the_registry(cli):
    assert await cli.tool_names() == ["search_tools", "call_tool"]
    names = {tool["name"] for tool in await cli.search("schedule a meeting", k=50)}
    assert names == {"mail__send_email", "mail__search", "mail__delete_mailbox", "calendar__create_event",
                     "calendar__search"}
    assert await cli.call("call_tool", {"name": "mail__send_email", "arguments": {"to": "ann", "subject": "x"}}) \
        == (False, "sent email to ann: x")
    is_error, text = await cli.call("call_tool", {"name": "calendar__create_event", "arguments": {}})
    assert is_error and "MCP server 'calendar' is not connected" in text
