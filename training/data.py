"""Build the bundled cross-encoder's training data from ``shared/data``, reproducibly.

Run ``python -m training.data --out training/cache [--seed 13]``. It writes ``train.jsonl`` and
``dev.jsonl``, one query group a line::

    {"query", "positives": [text], "negatives": [text] (hard first), "source", "kind", "lang", "weight"}

and ``manifest.json`` (seed, per-source counts, weights, input sha256s, held-out and excluded sets).

Every item text is the registry's canonical text (``item.text``), so training reads what serving
reads. Validation is held out by database (Spider, BIRD) and by tool set (Seal-Tools
out-of-domain tools, ToolAlpaca APIs, XQuAD articles): those groups go to ``dev.jsonl`` only and
their texts never appear in ``train.jsonl``, not even as negatives (checked before writing).
Spider's dev databases are an evaluation set: their tables are never read into training, and
neither are training databases that duplicate an evaluation schema. Everything random is drawn
from ``random.Random(f"{seed}:{purpose}")``, so a seed always gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from toolrouter.registry.canonical import count_tokens, squash
from training.groups import Group, Inputs, seeded
from training.table_groups import table_sources
from training.tool_groups import tool_sources
from training.xquad_groups import xquad_groups

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# Relative weight of one group of each source before the kinds are balanced. APIBench is all
# ML-model APIs with many near-duplicates; Advising is one database with templated questions.
SOURCE_FACTORS = {
    "seal_tools": 1.0,
    "api_bank": 1.0,
    "toolalpaca": 1.0,
    "apibench": 0.3,
    "spider": 1.0,
    "bird": 1.0,
    "advising": 0.5,
    "xquad": 1.0,
}
# Share of the total training weight per kind of group.
KIND_SHARES = {"tool": 0.45, "table": 0.40, "text": 0.15}


def balance_weights(groups: Sequence[Group]) -> None:
    """Set weights: source factor x kind scale, so each kind gets its ``KIND_SHARES`` of the total
    weight and the mean weight is 1."""
    raw = Counter()
    for group in groups:
        raw[group.kind] += SOURCE_FACTORS[group.source]
    for group in groups:
        scale = KIND_SHARES[group.kind] * len(groups) / raw[group.kind]
        group.weight = round(SOURCE_FACTORS[group.source] * scale, 4)


def assert_no_leak(train: Sequence[Group], blocked: set[str]) -> None:
    """Fail loudly if a held-out or evaluation text made it into a training group."""
    leaks = sum(1 for group in train for text in group.positives + group.negatives if text in blocked)
    if leaks:
        raise ValueError(f"{leaks} held-out/evaluation texts found in training groups")


@dataclass
class Dataset:
    """The built groups and the manifest describing them."""

    train: list[Group]
    dev: list[Group]
    manifest: dict[str, Any]


def build(data_dir: Path, seed: int) -> Dataset:
    """Build the train/dev groups and the manifest (no files written)."""
    inputs = Inputs(data_dir)
    splits = tool_sources(inputs, seed) + table_sources(inputs, seed) + [xquad_groups(inputs, seed)]
    train = [group for split in splits for group in split.train]
    dev = [group for split in splits for group in split.dev]
    assert_no_leak(train, set().union(*(split.blocked for split in splits)))
    balance_weights(train)
    seeded(seed, "shuffle").shuffle(train)
    manifest = {
        "seed": seed,
        "counts": counts_by_source(train, dev),
        "weights": weight_summary(train),
        "negatives_per_group": negative_summary(train + dev),
        "text_tokens": token_summary(train + dev),
        "dev_queries_also_in_train": len({g.query for g in dev} & {g.query for g in train}),
        "held_out": {key: value for split in splits for key, value in split.held_out.items()},
        "excluded": {key: value for split in splits for key, value in split.excluded.items()},
        "inputs": dict(sorted(inputs.sha256.items())),
    }
    return Dataset(train, dev, manifest)


def counts_by_source(train: Sequence[Group], dev: Sequence[Group]) -> dict[str, dict[str, int]]:
    train_counts, dev_counts = Counter(g.source for g in train), Counter(g.source for g in dev)
    return {source: {"train": train_counts[source], "dev": dev_counts[source]} for source in SOURCE_FACTORS}


def weight_summary(train: Sequence[Group]) -> dict[str, Any]:
    total = sum(group.weight for group in train)
    by_kind, by_source = Counter(), Counter()
    for group in train:
        by_kind[group.kind] += group.weight
        by_source[group.source] += group.weight
    return {
        "total": round(total, 2),
        "share_by_kind": {kind: round(weight / total, 4) for kind, weight in sorted(by_kind.items())},
        "per_group_by_source": {
            source: next(g.weight for g in train if g.source == source)
            for source in SOURCE_FACTORS
            if by_source[source]
        },
        "share_by_source": {source: round(by_source[source] / total, 4) for source in SOURCE_FACTORS},
    }


def negative_summary(groups: Sequence[Group]) -> dict[str, dict[str, float]]:
    sizes: dict[str, list[int]] = defaultdict(list)
    for group in groups:
        sizes[group.source].append(len(group.negatives))
    return {
        source: {"mean": round(statistics.mean(values), 1), "min": min(values), "max": max(values)}
        for source, values in sorted(sizes.items())
    }


def token_summary(groups: Sequence[Group]) -> dict[str, dict[str, float]]:
    """Length in ``count_tokens`` of the distinct item texts per kind (note: it counts every
    non-Latin character as a token, so XQuAD's non-Latin paragraphs look long)."""
    texts: dict[str, set[str]] = defaultdict(set)
    for group in groups:
        texts[group.kind].update(group.positives + group.negatives)
    summary = {}
    for kind, values in sorted(texts.items()):
        lengths = sorted(count_tokens(text) for text in values)
        summary[kind] = {
            "distinct": len(lengths),
            "mean": round(statistics.mean(lengths), 1),
            "p95": lengths[int(0.95 * (len(lengths) - 1))],
            "max": lengths[-1],
        }
    return summary


def write(dataset: Dataset, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, groups in (("train", dataset.train), ("dev", dataset.dev)):
        with (out / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for group in groups:
                handle.write(json.dumps(asdict(group), ensure_ascii=False) + "\n")
    (out / "manifest.json").write_text(
        json.dumps(dataset.manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def preview(dataset: Dataset, seed: int, per_source: int = 3, width: int = 160) -> str:
    """A few random rows per source, clipped, for eyeballing."""
    rng = seeded(seed, "preview")
    lines = []
    for source in SOURCE_FACTORS:
        rows = [g for g in dataset.train if g.source == source]
        for group in rng.sample(rows, min(per_source, len(rows))):
            lines.append(f"[{source} {group.lang} w={group.weight}] Q: {squash(group.query)[:width]}")
            lines.append(f"    + {squash(group.positives[0])[:width]}")
            if group.negatives:
                lines.append(
                    f"    - {squash(group.negatives[0])[:width]}  (+{len(group.negatives) - 1} more)"
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.data", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("training/cache"), help="output folder")
    parser.add_argument("--seed", type=int, default=13, help="seed of every random choice")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared/data folder")
    args = parser.parse_args(argv)
    dataset = build(args.data, args.seed)
    write(dataset, args.out)
    print(preview(dataset, args.seed))
    summary = {
        key: dataset.manifest[key]
        for key in (
            "counts",
            "weights",
            "negatives_per_group",
            "text_tokens",
            "dev_queries_also_in_train",
            "excluded",
        )
    }
    print(json.dumps(summary, indent=1))
    print(f"wrote {len(dataset.train)} train and {len(dataset.dev)} dev groups to {args.out}")


if __name__ == "__main__":
    main()
