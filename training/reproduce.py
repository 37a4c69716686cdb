"""Reproduce the shipped model end to end: data → training → threshold calibration → export.

::

    python -m training.reproduce [--target toolrouter/models/default]

Resumable: the data is rebuilt only when missing and training resumes from its checkpoint.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from training.train import DEFAULTS, export, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("training/cache"))
    parser.add_argument("--run", type=Path, default=Path("training/runs/default"))
    parser.add_argument("--target", type=Path, default=Path("toolrouter/models/default"))
    args = parser.parse_args()
    if not (args.data / "train.jsonl").exists():
        subprocess.run([sys.executable, "-m", "training.data", "--out", str(args.data),
                        "--seed", str(DEFAULTS["seed"])], check=True)
    train(args.data, args.run, {**DEFAULTS, "threads": 0})
    export(args.run, args.target, threshold=None)
    from benchmarks.datasets import BFCL_IRRELEVANT_SPLITS, bfcl
    from benchmarks.quality import calibrate, sample
    from toolrouter.rerank.bundled import load_bundled

    model = load_bundled(args.target)
    relevant, pool = bfcl()
    irrelevant, irrelevant_pool = bfcl(BFCL_IRRELEVANT_SPLITS)
    result = calibrate(model, sample([q for q in relevant if q.gold], 200), irrelevant, {**pool, **irrelevant_pool})
    export(args.run, args.target, threshold=result["threshold"])
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
