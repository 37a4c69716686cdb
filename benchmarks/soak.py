"""Soak run of the proxy: thousands of 150-tool requests on loopback, memory and overhead watched.

A fixed-answer upstream and the proxy each run in their own process on loopback. Every request
(a BFCL query with 150 BFCL tools) is sent twice, straight to the upstream and through the proxy,
alternating which goes first; the overhead is the difference of each pair. The proxy's RSS is
read after the warm-up, every tenth of the run and at the end. Stops after ``--requests`` pairs
or ``--max-seconds``, whichever comes first; results go to ``benchmarks/results/soak.json``.

The default reranker is the word-overlap one of ``proxy_load.py`` with a BM25 first stage: it
exercises the whole proxy path at full rate. ``--model default --first-stage hybrid`` routes with
the bundled cross-encoder instead, at seconds per 150-tool request on a small CPU, so pair it
with fewer ``--requests``.

::

    PYTHONPATH=. python benchmarks/soak.py                      # 5,000 pairs, concurrency 32
    PYTHONPATH=. python benchmarks/soak.py --requests 200 --model default --first-stage hybrid
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from benchmarks.proxy_load import loopback_servers

RESULTS = Path(__file__).resolve().parent / "results" / "soak.json"
# Request pairs sent before measuring (connection pools, tool-spec cache, allocator warm-up).
WARMUP = 200
# RSS samples taken during the measured run (plus one at its start).
RSS_SAMPLES = 10


def bfcl_requests(tool_count: int) -> tuple[list[dict[str, Any]], list[str]]:
    """``tool_count`` BFCL tools as Chat Completions specs, and the BFCL query texts."""
    from benchmarks.datasets import bfcl

    queries, pool = bfcl()
    tools = [{"type": "function", "function": item.spec} for item in list(pool.values())[:tool_count]]
    return tools, [query.text for query in queries if query.text.strip()]


def body(index: int, tools: list[dict[str, Any]], questions: list[str]) -> dict[str, Any]:
    """A distinct request per index: a BFCL question, numbered so no score is reused from a cache."""
    question = f"{questions[index % len(questions)]} (request {index})"
    return {"model": "bench", "messages": [{"role": "user", "content": question}], "tools": tools}


def rss_mb(pid: int) -> float:
    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


async def soak(direct: str, proxied: str, proxy_pid: int, args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    tools, questions = bfcl_requests(args.tools)
    limits = httpx.Limits(max_connections=args.concurrency * 2, max_keepalive_connections=args.concurrency * 2)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        for url in (direct, proxied):  # wait until both answer (the proxy loads its reranker first)
            deadline = time.monotonic() + 600
            while True:
                try:
                    if (await client.post(url, json=body(0, tools, questions))).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                await asyncio.sleep(0.5)

        pairs: list[tuple[float, float, float]] = []
        errors: Counter[str] = Counter()
        rss: list[dict[str, float]] = []
        counter = iter(range(-WARMUP, args.requests))
        stop_at = time.monotonic() + args.max_seconds
        warm = asyncio.Event()
        measured_start = [0.0]

        async def timed(url: str, payload: dict[str, Any], side: str) -> tuple[float, httpx.Response | None]:
            started = time.perf_counter()
            try:
                response = await client.post(url, json=payload)
            except httpx.HTTPError as exc:
                errors[f"{side} {type(exc).__name__}"] += 1
                return time.perf_counter() - started, None
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                errors[f"{side} {response.status_code}"] += 1
            elif response.headers.get("x-toolrouter-fail-open"):
                errors[f"{side} fail-open"] += 1
            return elapsed, response

        async def worker() -> None:
            for index in counter:
                if time.monotonic() > stop_at:
                    return
                if index == 0:
                    rss.append({"done": 0, "rss_mb": rss_mb(proxy_pid)})
                    measured_start[0] = time.perf_counter()
                    warm.set()
                elif index > 0:
                    await warm.wait()
                payload = body(index, tools, questions)
                order = [(direct, "direct"), (proxied, "proxy")][:: 1 if index % 2 == 0 else -1]
                results = {side: await timed(url, payload, side) for url, side in order}
                (direct_s, _), (proxy_s, routed) = results["direct"], results["proxy"]
                if index < 0 or routed is None or routed.status_code != 200:
                    continue
                pairs.append((direct_s, proxy_s, float(routed.headers.get("x-toolrouter-ms", "nan")) / 1000))
                if len(pairs) % max(args.requests // RSS_SAMPLES, 1) == 0:
                    rss.append({"done": len(pairs), "rss_mb": rss_mb(proxy_pid)})

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        wall = time.perf_counter() - measured_start[0] if warm.is_set() else 0.0
        rss.append({"done": len(pairs), "rss_mb": rss_mb(proxy_pid)})
        metrics = (await client.get(proxied.split("/v1/")[0] + "/metrics")).text
    return {"pairs": pairs, "errors": errors, "rss": rss, "wall_seconds": wall, "metrics": metrics}


def percentiles(values: list[float]) -> dict[str, float] | None:
    """p50, p95, p99 and mean in milliseconds."""
    if not values:
        return None
    array = np.asarray(values) * 1000
    return {name: round(float(np.percentile(array, q)), 2) for name, q in (("p50", 50), ("p95", 95), ("p99", 99))} | {
        "mean": round(float(array.mean()), 2)}


def metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.rsplit(" ", 1)[0] == name:
            return float(line.rsplit(" ", 1)[1])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="Measured request pairs. Defaults to 5000.")
    parser.add_argument("--concurrency", type=int, default=32, help="Request pairs in flight. Defaults to 32.")
    parser.add_argument("--tools", type=int, default=150, help="BFCL function tools per request. Defaults to 150.")
    parser.add_argument("-k", type=int, default=8, help="Tools kept by the proxy. Defaults to 8.")
    parser.add_argument("--model", help="Reranker (a directory, or 'default' for the bundled model); "
                                        "word overlap when omitted.")
    parser.add_argument("--first-stage", default="bm25", choices=["bm25", "hybrid", "e5"],
                        help="First stage for the tools beyond the cross-encoded candidates. Defaults to bm25.")
    parser.add_argument("--max-seconds", type=float, default=1800,
                        help="Stop sending after this long (the warm-up included). Defaults to 1800.")
    parser.add_argument("--output", type=Path, default=RESULTS, help="Where to write the results JSON.")
    args = parser.parse_args()

    started = time.perf_counter()
    with loopback_servers(args.k, args.model, args.first_stage, ready_timeout=300) as (direct, proxied, proxy_pid):
        run = asyncio.run(soak(direct, proxied, proxy_pid, args))

    pairs = run["pairs"]
    direct_s, proxy_s, routing_s = (list(column) for column in zip(*pairs)) if pairs else ([], [], [])
    proxy_errors = {kind: count for kind, count in run["errors"].items() if kind.startswith("proxy")}
    routing_count = metric(run["metrics"], "toolrouter_routing_seconds_count") or 0
    results = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"requests": args.requests, "concurrency": args.concurrency, "tools_per_request": args.tools,
                     "tools_source": "BFCL v4 pool (bfcl-eval)", "k": args.k,
                     "reranker": args.model or "word overlap (proxy_load.LexicalReranker)",
                     "first_stage": args.first_stage, "warmup_pairs": WARMUP, "max_seconds": args.max_seconds},
        "completed_pairs": len(pairs),
        "stopped_by": "requests" if len(pairs) >= args.requests else "max-seconds or errors",
        "errors_by_kind": dict(run["errors"]),
        "proxy_errors": sum(proxy_errors.values()),
        "rss_mb": {"start": run["rss"][0]["rss_mb"] if run["rss"] else None,
                   "end": run["rss"][-1]["rss_mb"] if run["rss"] else None, "samples": run["rss"]},
        "wall_seconds": round(run["wall_seconds"], 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "pairs_per_second": round(len(pairs) / run["wall_seconds"], 1) if run["wall_seconds"] else None,
        "direct_ms": percentiles(direct_s),
        "proxy_ms": percentiles(proxy_s),
        "overhead_ms": percentiles([p - d for d, p in zip(direct_s, proxy_s)]),
        "routing_header_ms": percentiles(routing_s),
        "routing_metric_mean_ms": round(1000 * (metric(run["metrics"], "toolrouter_routing_seconds_sum") or 0)
                                        / routing_count, 2) if routing_count else None,
        "routed_requests_metric": routing_count,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    if proxy_errors or len(pairs) < args.requests:
        sys.exit(1)


if __name__ == "__main__":
    main()
