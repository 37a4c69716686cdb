"""Gateway fixtures: the tiny upstream servers' config and an MCP client session on a gateway process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVERS = Path(__file__).resolve().parent / "servers"


def stdio_entry(script: str) -> dict[str, Any]:
    """A config entry launching one of the tiny servers in ``servers/``."""
    return {"command": sys.executable, "args": [str(SERVERS / script)]}


def write_config(path: Path, servers: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return path


@dataclass
class Client:
    """An initialized MCP client session on a gateway process, and the notifications it received."""

    session: Any
    notifications: list[Any] = field(default_factory=list)

    async def tool_names(self) -> list[str]:
        return [tool.name for tool in (await self.session.list_tools()).tools]

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> tuple[bool, str]:
        """``(is_error, text)`` of a tool call."""
        result = await self.session.call_tool(name, arguments or {})
        return result.is_error, "".join(block.text for block in result.content)

    async def search(self, query: str, k: int) -> list[dict[str, Any]]:
        is_error, text = await self.call("search_tools", {"query": query, "k": k})
        assert not is_error, text
        return json.loads(text)


@asynccontextmanager
async def gateway_client(args: list[str], cache_dir: Path) -> AsyncIterator[Client]:
    """Launch ``python ARGS`` (a gateway) from the repository root and connect to it over stdio."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    client = Client(session=None)

    async def record(message: Any) -> None:
        client.notifications.append(message)

    env = {"PYTHONPATH": str(ROOT), "TOOLROUTER_CACHE_DIR": str(cache_dir)}
    params = StdioServerParameters(command=sys.executable, args=args, cwd=str(ROOT), env=env)
    # The gateway's stderr (and its upstreams') goes to fd 2, which pytest captures per test.
    async with (
        stdio_client(params, errlog=sys.__stderr__) as (read, write),
        ClientSession(read, write, message_handler=record) as session,
    ):
        await session.initialize()
        client.session = session
        yield client


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def docs_url() -> Iterator[str]:
    """The URL of the tiny docs server, serving streamable HTTP on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, str(SERVERS / "docs_server.py"), str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the docs server did not start on port {port}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)
