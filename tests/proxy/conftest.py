"""Proxy test fixtures: the tiny cross-encoder, the recording upstream and the default proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from proxy_support import TINY_VOCAB, Upstream, WordOverlapReranker, run_proxy, serve

from toolrouter.router import Router


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


@pytest.fixture()
def overlap_router() -> Router:
    return Router(WordOverlapReranker())


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    recorder = Upstream()
    with serve(recorder.app()) as url:
        recorder.url = f"{url}/v1"
        yield recorder


@pytest.fixture(autouse=True)
def _fresh_upstream_state(request) -> None:
    """Each test starts with an empty record and a closed gate (when it uses the upstream)."""
    if "upstream" in request.fixturenames:
        recorder = request.getfixturevalue("upstream")
        recorder.received.clear()
        recorder.gate.clear()


@pytest.fixture(scope="session")
def proxy(upstream) -> Iterator[str]:
    """The default proxy: filter mode, k=3, word-overlap reranker."""
    with run_proxy(upstream.url, k=3) as url:
        yield url
