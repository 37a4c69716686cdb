"""Choose the bundled model's blend weights on held-out training groups, never on an evaluation set.

The router's final score for the bundled model is ``(1 - b - l) · cross-encoder + b · e5 relevance
+ l · BM25 relevance`` (``toolrouter.router.blended``), with weights per item kind. This script
scores each held-out dev group's first positive against its hard negatives all three ways and
reports the MRR of every weight pair on a grid (``b`` in 0, 0.05 ... 1; ``l`` in 0, 0.05 ... 0.3)
per kind (tool, table, and text: XQuAD's cross-lingual paragraphs, a multilingual check). The
pair with the best MRR on a kind's groups is the one to ship for that kind::

    python -m training.blend --model training/runs/stage2/model

Groups come from ``training/cache/dev.jsonl`` (held out by database, tool set and article; see
``training/manifest.json``), a seeded sample of each kind.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from training.train import read_groups

# Held-out groups scored per kind; each is 1 positive against up to NEGATIVES negatives.
GROUPS_PER_KIND = {"tool": 120, "table": 120, "text": 40}
NEGATIVES = 15
# The item kinds the router blends; "text" groups are reported as a multilingual check only.
ROUTED_KINDS = ("tool", "table")
# (e5 weight, BM25 weight) pairs; the cross-encoder gets the rest.
WEIGHTS = [(float(round(e5, 2)), float(round(bm25, 2)))
           for bm25 in np.arange(0, 0.31, 0.05) for e5 in np.arange(0, 1.001, 0.05) if e5 + bm25 <= 1.0 + 1e-9]


def dev_sample(data: Path, seed: int) -> list[dict[str, Any]]:
    """A seeded sample of the dev groups, ``GROUPS_PER_KIND`` of each kind."""
    groups = read_groups(data / "dev.jsonl")
    random.Random(seed).shuffle(groups)
    sample: list[dict[str, Any]] = []
    for kind, count in GROUPS_PER_KIND.items():
        sample += [g for g in groups if g["kind"] == kind and g["negatives"]][:count]
    return sample


def reciprocal_rank(scores: np.ndarray) -> float:
    """1 / rank of row 0 (the positive); ties count against it."""
    return 1.0 / (1 + int((scores[1:] >= scores[0]).sum()))


def blend_table(model: Path, data: Path, seed: int) -> dict[str, Any]:
    """MRR per pair of blend weights and kind, and the best pair for each kind the router routes."""
    from toolrouter.rerank import Blend
    from toolrouter.rerank.bundled import load_bundled
    from toolrouter.retrieve import EMBEDDINGS, lexical_relevance
    from toolrouter.router import bi_encoder_relevance, blended

    reranker = load_bundled(model)
    reciprocal: dict[str, dict[tuple[float, float], list[float]]] = {}
    for group in dev_sample(data, seed):
        texts = group["positives"][:1] + group["negatives"][:NEGATIVES]
        cross = np.asarray(reranker.score(group["query"], texts), dtype=np.float32)
        bi = bi_encoder_relevance(EMBEDDINGS.similarities(group["query"], texts))
        lexical = lexical_relevance(group["query"], texts)
        per_weight = reciprocal.setdefault(group["kind"], {w: [] for w in WEIGHTS})
        for weights in WEIGHTS:
            per_weight[weights].append(reciprocal_rank(blended(cross, bi, lexical, Blend(*weights))))
    by_kind = {kind: {weight_key(w): round(float(np.mean(rr)), 4) for w, rr in table.items()}
               for kind, table in reciprocal.items()}
    best = {}
    for kind in ROUTED_KINDS:
        # Ties go to the smaller BM25 weight, then the smaller e5 weight.
        pair = max(WEIGHTS, key=lambda w: (by_kind[kind][weight_key(w)], -w[1], -w[0]))
        best[kind] = {"bi_encoder": pair[0], "lexical": pair[1],
                      "mrr_by_kind": {k: by_kind[k][weight_key(pair)] for k in by_kind}}
    return {"model": str(model), "groups": {k: len(next(iter(t.values()))) for k, t in reciprocal.items()},
            "mrr_by_kind": by_kind, "best": best}


def weight_key(weights: tuple[float, float]) -> str:
    """A grid point's JSON key: ``"e5=0.8 bm25=0.05"``."""
    return f"e5={weights[0]} bm25={weights[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="an exported model directory")
    parser.add_argument("--data", type=Path, default=Path("training/cache"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    print(json.dumps(blend_table(args.model, args.data, args.seed), indent=1))


if __name__ == "__main__":
    main()
