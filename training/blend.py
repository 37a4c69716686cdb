"""Choose the bundled model's blend weight on held-out training groups, never on an evaluation set.

The router's final score for the bundled model is ``(1 - w) · cross-encoder + w · e5 relevance``
(``toolrouter.router.bi_encoder_relevance``). This script scores each held-out dev group's first
positive against its hard negatives both ways and reports the MRR of every ``w`` in 0, 0.1 ... 1,
per kind (tool, table, text) and as the mean over kinds; the best mean is the weight to ship::

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
GROUPS_PER_KIND = {"tool": 60, "table": 60, "text": 20}
NEGATIVES = 15
WEIGHTS = [round(w, 1) for w in np.linspace(0, 1, 11)]


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
    """MRR per blend weight, per kind and averaged over kinds."""
    from toolrouter.rerank.bundled import load_bundled
    from toolrouter.retrieve import EMBEDDINGS
    from toolrouter.router import bi_encoder_relevance

    reranker = load_bundled(model)
    reciprocal: dict[str, dict[float, list[float]]] = {}
    for group in dev_sample(data, seed):
        texts = group["positives"][:1] + group["negatives"][:NEGATIVES]
        cross = np.asarray(reranker.score(group["query"], texts), dtype=np.float32)
        bi = bi_encoder_relevance(EMBEDDINGS.similarities(group["query"], texts))
        per_weight = reciprocal.setdefault(group["kind"], {w: [] for w in WEIGHTS})
        for weight in WEIGHTS:
            per_weight[weight].append(reciprocal_rank((1 - weight) * cross + weight * bi))
    by_kind = {kind: {str(w): round(float(np.mean(rr)), 4) for w, rr in table.items()}
               for kind, table in reciprocal.items()}
    mean = {str(w): round(float(np.mean([by_kind[k][str(w)] for k in by_kind])), 4) for w in WEIGHTS}
    best = max(WEIGHTS, key=lambda w: (mean[str(w)], -w))
    return {"model": str(model), "groups": {k: len(next(iter(t.values()))) for k, t in reciprocal.items()},
            "mrr_by_kind": by_kind, "mrr_mean_over_kinds": mean, "best_weight": best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="an exported model directory")
    parser.add_argument("--data", type=Path, default=Path("training/cache"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    print(json.dumps(blend_table(args.model, args.data, args.seed), indent=1))


if __name__ == "__main__":
    main()
