"""Reproduce the shipped model end to end: data → two training stages → blend weights → threshold → export.

::

    python -m training.reproduce [--target toolrouter/models/default]

1. ``training.data`` builds the groups (seeded), unless ``training/cache`` has them; ``training.language``
   measures e5's language subspace on the training articles' XQuAD questions (package data the
   router applies to every query vector).
2. Stage 1 trains ``DEFAULTS`` from e5 and exports to ``<run>/stage1/model``.
3. Stage 2 continues from that export with ``CONTINUATION`` (``<run>/stage2``).
4. ``training.adapter`` trains the e5 query adapter (``<run>/adapter``) and exports it beside the
   weights.
5. ``training.blend`` picks the e5 and BM25 blend weights per item kind by routing held-out dev
   queries against a pool of every held-out dev item of their kind.
6. The no-tool threshold is calibrated on BFCL irrelevance with that blend (see the model card),
   and the weights, threshold and blend weights are exported to ``--target``.

Resumable: each stage resumes from its checkpoint, and a finished stage is not run again; the
adapter is re-trained (seconds, deterministic) from its cached embeddings.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from toolrouter.retrieve import EMBEDDINGS, LANGUAGE_SUBSPACE_FILE, load_language_subspace
from training import language
from training.adapter import ADAPTER_DEFAULTS, export_adapter, train_adapter
from training.blend import blend_table
from training.data import DEFAULT_DATA
from training.train import CONTINUATION, DEFAULTS, export, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("training/cache"))
    parser.add_argument("--run", type=Path, default=Path("training/runs"))
    parser.add_argument("--target", type=Path, default=Path("toolrouter/models/default"))
    args = parser.parse_args()
    if not (args.data / "train.jsonl").exists():
        subprocess.run([sys.executable, "-m", "training.data", "--out", str(args.data),
                        "--seed", str(DEFAULTS["seed"])], check=True)
    language.build(args.data, DEFAULT_DATA, args.run / "language", LANGUAGE_SUBSPACE_FILE)
    EMBEDDINGS.set_language(load_language_subspace())  # the later steps route with the new subspace
    first, second = args.run / "stage1", args.run / "stage2"
    train(args.data, first, {**DEFAULTS, "threads": 0})
    export(first, first / "model", threshold=None)
    train(args.data, second, {**DEFAULTS, **CONTINUATION, "threads": 0, "init": str(first / "model")})
    export(second, args.target, threshold=None)
    train_adapter(args.data, args.run / "adapter", ADAPTER_DEFAULTS)
    export_adapter(args.run / "adapter", args.target)
    best = blend_table(args.target, args.data, DEFAULTS["seed"])["best"]
    blend = {kind: {"bi_encoder": b["bi_encoder"], "lexical": b["lexical"]} for kind, b in best.items()}
    export(second, args.target, threshold=None, blend=blend)
    result = calibrate_threshold(args.target)
    export(second, args.target, threshold=result["threshold"], blend=blend)
    print(json.dumps({"blend": blend, **result}, indent=1))


def calibrate_threshold(model_dir: Path) -> dict:
    """The no-tool threshold of an exported model, with its blend (``benchmarks.quality.calibrate``)."""
    from benchmarks.datasets import BFCL_IRRELEVANT_SPLITS, bfcl
    from benchmarks.quality import calibrate, sample
    from toolrouter.rerank.bundled import load_bundled

    relevant, pool = bfcl()
    irrelevant, irrelevant_pool = bfcl(BFCL_IRRELEVANT_SPLITS)
    return calibrate(load_bundled(model_dir), sample([q for q in relevant if q.gold], 200), irrelevant,
                     {**pool, **irrelevant_pool})


if __name__ == "__main__":
    main()
