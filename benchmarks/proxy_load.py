"""Bounded load run of the proxy: routing overhead measured side by side with the bare upstream.

A small OpenAI-compatible upstream and the proxy each run in their own process on loopback.
Every request is sent twice, once straight to the upstream and once through the proxy (which
routes its tools and forwards it to the same upstream), alternating which goes first; the
overhead is the difference of each pair. Stops after ``--requests`` pairs or ``--max-seconds``.

::

    PYTHONPATH=. python benchmarks/proxy_load.py              # 500 pairs, concurrency 16, lexical reranker
    PYTHONPATH=. python benchmarks/proxy_load.py --model DIR  # a real cross-encoder
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from toolrouter.rerank.base import BaseReranker

RESULTS = Path(__file__).resolve().parent / "results" / "proxy_load.json"
# Requests per side sent before measuring (connection pools, model warm-up).
WARMUP = 20
# Words the synthetic tools and queries are made of.
TOPICS = ["weather", "stock", "email", "calendar", "translate", "music", "flight", "hotel", "recipe", "news",
          "traffic", "currency", "invoice", "ticket", "contact", "payment", "shipping", "review", "coupon", "map"]
ACTIONS = ["get", "create"]


class LexicalReranker(BaseReranker):
    """Word overlap between query and tool text: a real reranker with no model cost."""

    def __init__(self) -> None:
        super().__init__("lexical")

    def _score_pairs(self, pairs):
        def words(text: str) -> set[str]:
            return set(re.findall(r"[a-z]+", text.lower()))

        return np.array([len(words(q) & words(t)) / max(len(words(q)), 1) for q, t in pairs], dtype=np.float32)


def tools(count: int) -> list[dict[str, Any]]:
    """``count`` Chat Completions tools named ``<action>_<topic>``."""
    specs = []
    for index in range(count):
        action, topic = ACTIONS[index // len(TOPICS) % len(ACTIONS)], TOPICS[index % len(TOPICS)]
        specs.append({"type": "function", "function": {
            "name": f"{action}_{topic}_{index}", "description": f"{action.title()} a {topic} record.",
            "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}})
    return specs


def body(index: int, specs: list[dict[str, Any]]) -> dict[str, Any]:
    """A distinct request per index (no score-cache hits between requests)."""
    topic, other = TOPICS[index % len(TOPICS)], TOPICS[(index * 7) % len(TOPICS)]
    question = f"please get the {topic} and the {other} for order {index}"
    return {"model": "bench", "messages": [{"role": "user", "content": question}], "tools": specs}


def upstream_app():
    """A minimal OpenAI-compatible upstream: a fixed chat completion for every request."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "bench",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}

    async def completions(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse(answer)

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


def serve(kind: str, ports: Any, upstream: str | None, k: int, model: str | None, first_stage: str) -> None:
    """Child process: serve the upstream or the proxy on a free loopback port; report the port."""
    import logging
    import socket

    import uvicorn

    logging.disable(logging.WARNING)
    if kind == "upstream":
        app = upstream_app()
    else:
        from toolrouter.proxy.app import create_app
        from toolrouter.router import Router

        router = Router(model if model else LexicalReranker(), first_stage=first_stage)  # type: ignore[arg-type]
        app = create_app(upstream or "", router, k=k)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    ports.put((kind, sock.getsockname()[1]))
    uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False, lifespan="on")).run(sockets=[sock])


@contextmanager
def loopback_servers(k: int, model: str | None, first_stage: str = "hybrid",
                     ready_timeout: float = 120) -> Iterator[tuple[str, str, int]]:
    """The fixed-answer upstream and the proxy in front of it, each a spawned process on a free loopback port.

    Yields the upstream's and the proxy's chat-completions URLs and the proxy's pid; both stop on exit.
    """
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    processes = []

    def start(kind: str, upstream: str | None = None) -> tuple[int, int]:
        process = context.Process(target=serve, args=(kind, ports, upstream, k, model, first_stage), daemon=True)
        process.start()
        processes.append(process)
        _, port = ports.get(timeout=ready_timeout)
        return port, process.pid

    try:
        upstream_port, _ = start("upstream")
        direct = f"http://127.0.0.1:{upstream_port}/v1"
        proxy_port, proxy_pid = start("proxy", direct)
        yield f"{direct}/chat/completions", f"http://127.0.0.1:{proxy_port}/v1/chat/completions", proxy_pid
    finally:
        for process in processes:
            process.terminate()
            process.join(10)


async def wait_ready(client: Any, url: str, payload: dict[str, Any], deadline: float) -> None:
    while True:
        try:
            if (await client.post(url, json=payload)).status_code == 200:
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)


async def load(direct: str, proxied: str, args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    specs = tools(args.tools)
    limits = httpx.Limits(max_connections=args.concurrency * 2, max_keepalive_connections=args.concurrency * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        deadline = time.monotonic() + 120
        await wait_ready(client, direct, body(0, specs), deadline)
        await wait_ready(client, proxied, body(0, specs), deadline)
        pairs: list[tuple[float, float, float]] = []
        errors: list[str] = []
        counter = iter(range(-WARMUP, args.requests))
        stop_at = time.monotonic() + args.max_seconds

        async def timed(url: str, payload: dict[str, Any]) -> tuple[float, Any]:
            started = time.perf_counter()
            response = await client.post(url, json=payload)
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or response.headers.get("x-toolrouter-fail-open"):
                errors.append(f"{url}: {response.status_code} {response.text[:200]}")
            return elapsed, response

        async def worker() -> None:
            for index in counter:
                if time.monotonic() > stop_at:
                    return
                payload = body(index, specs)
                first, second = (direct, proxied) if index % 2 == 0 else (proxied, direct)
                (a, response_a), (b, response_b) = [await timed(first, payload), await timed(second, payload)]
                direct_s, proxy_s = (a, b) if first == direct else (b, a)
                routed = response_b if first == direct else response_a
                if index >= 0:
                    pairs.append((direct_s, proxy_s, float(routed.headers.get("x-toolrouter-ms", "nan")) / 1000))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        wall = time.perf_counter() - started
    return {"pairs": pairs, "errors": errors, "wall_seconds": wall}


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    array = np.asarray(values) * 1000
    return {"p50": round(float(np.percentile(array, 50)), 2), "p95": round(float(np.percentile(array, 95)), 2),
            "mean": round(float(statistics.fmean(array)), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="Measured request pairs. Defaults to 500.")
    parser.add_argument("--concurrency", type=int, default=16, help="Requests in flight. Defaults to 16.")
    parser.add_argument("--tools", type=int, default=40, help="Function tools per request. Defaults to 40.")
    parser.add_argument("-k", type=int, default=8, help="Tools kept by the proxy. Defaults to 8.")
    parser.add_argument("--model", help="Cross-encoder directory; a lexical reranker when omitted.")
    parser.add_argument("--max-seconds", type=float, default=300, help="Stop after this long. Defaults to 300.")
    parser.add_argument("--output", type=Path, default=RESULTS, help="Where to write the results JSON.")
    args = parser.parse_args()

    with loopback_servers(args.k, args.model) as (direct, proxied, _):
        run = asyncio.run(load(direct, proxied, args))

    pairs = run["pairs"]
    direct_s, proxy_s, routing_s = (list(column) for column in zip(*pairs)) if pairs else ([], [], [])
    results = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"requests": args.requests, "concurrency": args.concurrency, "tools_per_request": args.tools,
                     "k": args.k, "reranker": args.model or "lexical", "warmup_pairs": WARMUP},
        "completed_pairs": len(pairs),
        "errors": len(run["errors"]),
        "error_samples": run["errors"][:5],
        "wall_seconds": round(run["wall_seconds"], 2),
        "pairs_per_second": round(len(pairs) / run["wall_seconds"], 1) if run["wall_seconds"] else None,
        "direct_ms": percentiles(direct_s) if pairs else None,
        "proxy_ms": percentiles(proxy_s) if pairs else None,
        "overhead_ms": percentiles([p - d for d, p in zip(direct_s, proxy_s)]) if pairs else None,
        "routing_ms": percentiles(routing_s) if pairs else None,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    if run["errors"] or len(pairs) < args.requests:
        sys.exit(1)


if __name__ == "__main__":
    main()
