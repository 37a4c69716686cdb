"""Add real MCP servers' tools to the real-catalog benchmark: what each server lists over ``tools/list``.

Each server in ``SERVERS`` is an npm package at a pinned version, installed into a scratch folder and
started over stdio by the official ``mcp`` client, with placeholder credentials where a server will
not start without them (listing tools calls no service). Its tools become catalog tools named the
way toolrouter's MCP gateway names them (``server__tool``), of service ``server``; the server's own
package description becomes the service's. Writes ``data/catalog/mcp_tools.jsonl.gz`` and
``data/catalog/mcp_servers.json`` (package, version, licence, tool count), which
``catalog.py`` loads with the OpenAPI-built catalog.

    python benchmarks/catalog_mcp.py --npm-dir ~/.cache/toolrouter-dev/mcp   # needs npm and node

Deterministic for the pinned versions: servers and their tools are written in a fixed order.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "catalog"


@dataclass(frozen=True)
class Server:
    """One MCP server package: its service name in the catalog, npm package and version, licence
    (as the package states it), the arguments it needs to start and placeholder environment."""

    name: str
    package: str
    version: str
    license: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


SERVERS = [
    Server("filesystem", "@modelcontextprotocol/server-filesystem", "2026.8.31", "MIT or Apache-2.0", ("/tmp",)),
    Server("memory", "@modelcontextprotocol/server-memory", "2026.8.31", "MIT or Apache-2.0"),
    Server("github", "@modelcontextprotocol/server-github", "2025.4.8", "MIT",
           env={"GITHUB_PERSONAL_ACCESS_TOKEN": "placeholder"}),
    Server("slack", "@modelcontextprotocol/server-slack", "2025.4.25", "MIT",
           env={"SLACK_BOT_TOKEN": "xoxb-placeholder", "SLACK_TEAM_ID": "T00000000"}),
    Server("gitlab", "@modelcontextprotocol/server-gitlab", "2025.4.25", "MIT",
           env={"GITLAB_PERSONAL_ACCESS_TOKEN": "placeholder"}),
    Server("google-maps", "@modelcontextprotocol/server-google-maps", "0.6.2", "MIT",
           env={"GOOGLE_MAPS_API_KEY": "placeholder"}),
    Server("brave-search", "@modelcontextprotocol/server-brave-search", "0.6.2", "MIT",
           env={"BRAVE_API_KEY": "placeholder"}),
    Server("puppeteer", "@modelcontextprotocol/server-puppeteer", "2025.5.12", "MIT"),
    Server("postgres", "@modelcontextprotocol/server-postgres", "0.6.2", "MIT",
           ("postgresql://localhost/placeholder",)),
    Server("notion", "@notionhq/notion-mcp-server", "2.5.2", "MIT", env={"NOTION_TOKEN": "placeholder"}),
    Server("playwright", "@playwright/mcp", "0.0.86", "Apache-2.0"),
    Server("context7", "@upstash/context7-mcp", "4.1.1", "MIT"),
    Server("firecrawl", "firecrawl-mcp", "3.22.2", "MIT", env={"FIRECRAWL_API_KEY": "fc-placeholder"}),
    Server("tavily", "tavily-mcp", "0.2.22", "MIT", env={"TAVILY_API_KEY": "tvly-placeholder"}),
    Server("hubspot", "@hubspot/mcp-server", "0.4.0", "MIT", env={"PRIVATE_APP_ACCESS_TOKEN": "placeholder"}),
    Server("kubernetes", "mcp-server-kubernetes", "4.1.7", "MIT"),
    Server("elasticsearch", "@elastic/mcp-server-elasticsearch", "0.3.1", "Apache-2.0",
           env={"ES_URL": "http://localhost:9200", "ES_API_KEY": "placeholder"}),
    Server("desktop-commander", "@wonderwhy-er/desktop-commander", "0.2.52", "MIT"),
    Server("line", "@line/line-bot-mcp-server", "0.4.2", "Apache-2.0",
           env={"CHANNEL_ACCESS_TOKEN": "placeholder", "DESTINATION_USER_ID": "placeholder"}),
    Server("airbnb", "@openbnb/mcp-server-airbnb", "0.3.0", "MIT"),
    Server("lara-translate", "@translated/lara-mcp", "1.0.6", "MIT",
           env={"LARA_ACCESS_KEY_ID": "placeholder", "LARA_ACCESS_KEY_SECRET": "placeholder"}),
    Server("mapbox", "@mapbox/mcp-server", "0.2.0", "MIT", env={"MAPBOX_ACCESS_TOKEN": "pk.placeholder"}),
    Server("circleci", "@circleci/mcp-server-circleci", "0.20.0", "Apache-2.0",
           env={"CIRCLECI_TOKEN": "placeholder"}),
    Server("neon", "@neondatabase/mcp-server-neon", "0.3.7", "MIT", ("start", "placeholder")),
    Server("launchdarkly", "@launchdarkly/mcp-server", "0.6.2", "MIT",
           ("start", "--api-key", "api-placeholder")),
    Server("youtube-transcript", "@kimtaeyoon83/mcp-server-youtube-transcript", "0.1.1", "MIT"),
]
# Also tried, left out because they list no tools without a live service or account: Stripe's and
# Apify's (proxies to a remote server), Redis, MySQL and Supabase (connect first), Google Drive, Gmail
# and Google Calendar (OAuth files first), Twilio, Heroku and Azure DevOps (fail to start that way).
# Seconds a server gets to start and answer tools/list.
LIST_TIMEOUT = 60


def install(npm_dir: Path) -> None:
    """Install every pinned package into ``npm_dir`` (scripts off: no browser downloads)."""
    npm_dir.mkdir(parents=True, exist_ok=True)
    if not (npm_dir / "package.json").exists():
        (npm_dir / "package.json").write_text('{"name": "mcp-catalog", "private": true}\n')
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
                    *(f"{s.package}@{s.version}" for s in SERVERS)], cwd=npm_dir, check=True)


def entry_point(root: Path, manifest: dict[str, Any]) -> Path:
    """The executable of the package at ``root`` (``manifest`` is its package.json): its ``bin``, the
    only one or the one named like the package."""
    bins = manifest.get("bin")
    if isinstance(bins, str):
        return root / bins
    if not bins:
        raise RuntimeError(f"{manifest.get('name')} has no bin entry")
    return root / bins[next(iter(bins)) if len(bins) == 1 else manifest["name"].split("/")[-1]]


async def list_tools(npm_dir: Path, server: Server) -> tuple[list[dict[str, Any]], str]:
    """The server's tools as plain dicts (listed the way toolrouter's MCP gateway lists them), and its
    package description (else what the server says about itself)."""
    from mcp import types

    from toolrouter.gateway.config import StdioServer
    from toolrouter.gateway.upstream import connect

    root = npm_dir / "node_modules" / server.package
    package = json.loads((root / "package.json").read_text())
    config = StdioServer(server.name, "node", (str(entry_point(root, package)), *server.args), server.env,
                         str(npm_dir))
    client = types.Implementation(name="toolrouter-catalog", version="1")
    async with connect(config, LIST_TIMEOUT, client) as upstream:
        tools = [tool.model_dump(mode="json", exclude_none=True) for tool in upstream.tools]
        about = upstream.description
    return tools, package.get("description") or about


def catalog_tool(server: Server, tool: dict[str, Any]) -> dict[str, Any]:
    """A catalog line: the MCP tool as an OpenAI-style function under its gateway name."""
    return {"name": f"{server.name}__{tool['name']}", "description": tool.get("description", ""),
            "parameters": tool.get("inputSchema", {"type": "object", "properties": {}}), "service": server.name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npm-dir", type=Path, required=True, help="scratch folder for the npm packages")
    parser.add_argument("--skip-install", action="store_true", help="the packages are installed already")
    args = parser.parse_args()
    if not args.skip_install:
        install(args.npm_dir)
    lines, listed = [], []
    for server in SERVERS:
        try:
            tools, description = asyncio.run(list_tools(args.npm_dir, server))
        except Exception as exc:  # a server that will not list without a live service is reported, not kept
            print(f"{server.name}: not listed ({type(exc).__name__}: {exc})", flush=True)
            continue
        print(f"{server.name}: {len(tools)} tools", flush=True)
        lines += [catalog_tool(server, tool) for tool in sorted(tools, key=lambda t: t["name"])]
        listed.append({"name": server.name, "package": server.package, "version": server.version,
                       "license": server.license, "description": description, "tools": len(tools)})
    with gzip.GzipFile(DATA / "mcp_tools.jsonl.gz", "wb", mtime=0) as handle:
        handle.write("".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines).encode())
    (DATA / "mcp_servers.json").write_text(json.dumps(listed, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} tools of {len(listed)} servers")


if __name__ == "__main__":
    main()
