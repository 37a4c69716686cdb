"""Shared fixtures: a tiny random-weight cross-encoder and the announcement's examples."""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

# Tests never touch the user's cache: persisted embeddings go to a directory removed at exit.
os.environ["TOOLROUTER_CACHE_DIR"] = tempfile.mkdtemp(prefix="toolrouter-tests-")
atexit.register(shutil.rmtree, os.environ["TOOLROUTER_CACHE_DIR"], True)

from toolrouter.rerank.base import BaseReranker  # noqa: E402 - after the cache directory is set

EXAMPLES = Path(__file__).resolve().parent.parent / "schemas" / "examples"
TINY_VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "tool", "description", "parameters", "weather", "city",
    "carbon", "footprint", "distance", "calculate", "get", "create", "table", "int", "varchar", "primary",
    "key", "foreign", "references", "customer", "product",
]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 1-layer BERT cross-encoder with random weights, saved as a Hugging Face directory."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    torch.manual_seed(0)
    directory = tmp_path_factory.mktemp("tiny-cross-encoder")
    (directory / "vocab.txt").write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(directory / "vocab.txt"))
    config = BertConfig(vocab_size=len(TINY_VOCAB), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, num_labels=1, max_position_embeddings=128)
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


class WordOverlapReranker(BaseReranker):
    """A deterministic reranker: the share of query words found in the text (a real backend, tiny)."""

    def __init__(self) -> None:
        super().__init__("word-overlap")

    def _score_pairs(self, pairs):
        def words(text: str) -> set[str]:
            return {w.lower() for w in re.findall(r"[A-Za-z]+", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text))}

        return np.array([len(words(q) & words(t)) / max(len(words(q)), 1) for q, t in pairs], dtype=np.float32)


@pytest.fixture()
def overlap_reranker() -> WordOverlapReranker:
    return WordOverlapReranker()


@pytest.fixture(scope="session")
def announcement_tools() -> list[dict]:
    return json.loads((EXAMPLES / "announcement_tools.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def announcement_ddl() -> str:
    return (EXAMPLES / "announcement_tables.sql").read_text(encoding="utf-8")
