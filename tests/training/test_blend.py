"""The blend-weight chooser's pieces on tiny dev files (the full run loads the bundled model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training.blend import GROUPS_PER_KIND, dev_sample, reciprocal_rank


def test_reciprocal_rank_counts_ties_against_the_positive() -> None:
    assert reciprocal_rank(np.array([0.9, 0.1, 0.2])) == 1.0
    assert reciprocal_rank(np.array([0.5, 0.7, 0.1, 0.6])) == 1 / 3
    assert reciprocal_rank(np.array([0.5, 0.5])) == 0.5


def test_dev_sample_takes_a_seeded_quota_per_kind_and_skips_groups_without_negatives(tmp_path: Path) -> None:
    groups = [{"query": f"q{i}", "kind": kind, "positives": ["p"], "negatives": ["n"] if i % 7 else []}
              for i in range(300) for kind in ("tool", "table", "text")]
    (tmp_path / "dev.jsonl").write_text("".join(json.dumps(g) + "\n" for g in groups), encoding="utf-8")
    sample = dev_sample(tmp_path, seed=13)
    for kind, quota in GROUPS_PER_KIND.items():
        assert sum(g["kind"] == kind for g in sample) == quota
    assert all(g["negatives"] for g in sample)
    assert sample == dev_sample(tmp_path, seed=13)
    assert sample != dev_sample(tmp_path, seed=14)
