"""The query adapter's trainer on tiny data files: sampling, a real (short) run, and its export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from training.adapter import ADAPTER_DEFAULTS, ADAPTER_FILE, export_adapter, train_adapter, training_sample

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "toolrouter" / "models" / "default"

TOOLS = ["tool: get_weather\ndescription: Current weather and forecast for a city",
         "tool: create_invoice\ndescription: Bill a customer for an order",
         "tool: translate_text\ndescription: Translate text into another language",
         "tool: book_flight\ndescription: Reserve a seat on a flight between two airports"]
TABLES = ["CREATE TABLE customers (customer_id INT PRIMARY KEY, email TEXT, city TEXT)",
          "CREATE TABLE orders (order_id INT PRIMARY KEY, customer_id INT, total REAL, ordered_at DATE)",
          "CREATE TABLE carriers (carrier_id INT PRIMARY KEY, carrier_name TEXT)"]
PARAGRAPH = "Paris is the capital and most populous city of France. " * 12
QUERIES = {"tool": [("Will it rain in Oslo tomorrow?", 0), ("Send Acme a bill for order 7", 1),
                    ("Say 'good morning' in Japanese", 2), ("I need a seat from JFK to LAX", 3),
                    ("¿Qué tiempo hace en Madrid?", 0), ("Übersetze diesen Satz ins Englische", 2)],
           "table": [("List every customer's email", 0), ("Total of all orders last month", 1),
                     ("Which carriers do we use?", 2), ("Customers living in Lyon", 0)]}


def group(kind: str, query: str, positive: str, negatives: list[str]) -> dict:
    return {"kind": kind, "query": query, "positives": [positive], "negatives": negatives, "weight": 1.0}


def write_data(directory: Path, shift: int = 0) -> None:
    """Train and dev files of the same groups; ``shift`` pairs each query with another item, a
    mapping e5 does not know, so only training can get it right."""
    groups = []
    for kind, items in (("tool", TOOLS), ("table", TABLES)):
        for query, i in QUERIES[kind]:
            positive = items[(i + shift) % len(items)]
            groups.append(group(kind, query, positive, [t for t in items if t != positive]))
    groups.append(group("text", "What is the capital of France?", PARAGRAPH, ["Photosynthesis makes sugar."]))
    for name in ("train.jsonl", "dev.jsonl"):
        (directory / name).write_text("".join(json.dumps(g) + "\n" for g in groups), encoding="utf-8")


def test_training_sample_draws_per_kind_and_cuts_negatives_and_paragraphs(tmp_path: Path) -> None:
    write_data(tmp_path)
    groups = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    hp = {**ADAPTER_DEFAULTS, "queries": {"tool": 3, "table": 10, "text": 1}, "negatives": 2, "paragraph_chars": 50}
    sample = training_sample(groups, hp)
    assert [sum(g["kind"] == kind for g in sample) for kind in ("tool", "table", "text")] == [0, 4, 1]
    both = training_sample(groups, {**hp, "kinds": ["tool", "table"]})
    assert [sum(g["kind"] == kind for g in both) for kind in ("tool", "table", "text")] == [3, 4, 1]
    assert all(len(g["negatives"]) <= 2 for g in sample)
    text = next(g for g in sample if g["kind"] == "text")
    assert text["positives"] == [PARAGRAPH[:50]]
    assert training_sample(groups, {**hp, "kinds": ["tool", "table"]}) == both
    assert training_sample(groups, {**hp, "kinds": ["tool", "table"], "seed": 14}) != both


@pytest.mark.skipif(not (DEFAULT_MODEL / "model.safetensors").exists(), reason="bundled model not present")
def test_a_short_run_trains_keeps_its_best_epoch_and_exports_where_the_bundled_loader_reads_it(tmp_path: Path) -> None:
    from toolrouter.rerank.bundled import load_bundled

    data, run = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    write_data(data, shift=1)
    hp = {**ADAPTER_DEFAULTS, "kinds": ["tool", "table"], "queries": {"tool": 10, "table": 10, "text": 10},
          "epochs": 4, "lr": 1e-3, "batch_size": 4}
    summary = train_adapter(data, run, hp)
    assert set(summary) == {"tool", "table"}
    for kind, fitted in summary.items():
        history = fitted["history"]
        assert [h["epoch"] for h in history] == list(range(5))
        assert history[-1]["loss"] < history[1]["loss"]
        assert set(history[0]["dev"]) == {"tool", "table", "text"}
        own = [h["dev"][kind] for h in history]
        assert own[fitted["best_epoch"]] == max(own) > own[0]
        weight = np.load(run / f"adapter_{kind}.npy")
        assert weight.shape == (384, 384) and np.abs(weight).max() > 0
    assert json.loads((run / "hparams.json").read_text())["epochs"] == 4

    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, model)
    export_adapter(run, model)
    entries = json.loads((model / "toolrouter.json").read_text())["query_adapters"]
    loaded = load_bundled(model).query_adapters
    assert set(entries) == set(loaded) == {"tool", "table"}
    for kind, entry in entries.items():
        assert entry["file"] == ADAPTER_FILE.format(kind=kind)
        assert -1 <= entry["cosine_floor"] < entry["cosine_ceiling"] <= 1
        assert (entry["cosine_floor"], entry["cosine_ceiling"]) == (summary[kind]["cosine_floor"],
                                                                     summary[kind]["cosine_ceiling"])
        assert np.allclose(loaded[kind].weight, np.load(run / f"adapter_{kind}.npy"), atol=1e-3)
        assert loaded[kind].cosine_ceiling == entry["cosine_ceiling"]

    # A restart reuses the saved query embeddings instead of embedding again.
    queries = (run / "queries.npz").stat().st_mtime_ns
    train_adapter(data, run, {**hp, "epochs": 1})
    assert (run / "queries.npz").stat().st_mtime_ns == queries
