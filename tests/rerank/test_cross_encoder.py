"""The Hugging Face cross-encoder backend on a tiny random model, and the familiar interfaces."""

from __future__ import annotations

import numpy as np
import pytest

from toolrouter.errors import RerankerError
from toolrouter.rerank import Reranker, load_reranker
from toolrouter.rerank.cross_encoder import HFCrossEncoder

QUERY = "get weather city"
DOCS = ["tool weather city", "create table customer", "calculate carbon footprint distance", ""]


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return HFCrossEncoder(tiny_model_dir, precision="float32", batch_size=2)


def test_scores_are_probabilities_independent_of_batching(model, tiny_model_dir):
    scores = model.score(QUERY, DOCS)
    assert scores.dtype == np.float32 and scores.shape == (4,)
    assert np.all((scores > 0) & (scores < 1))
    one_by_one = HFCrossEncoder(tiny_model_dir, precision="float32", batch_size=1, cache_size=0)
    np.testing.assert_allclose(one_by_one.score(QUERY, DOCS), scores, atol=1e-5)


def test_cache_hits_and_duplicates(model):
    model.cache.clear()
    first = model.score(QUERY, DOCS + DOCS)
    assert len(model.cache) == 4
    hits = model.cache.hits
    again = model.score(QUERY, DOCS)
    assert model.cache.hits == hits + 4
    np.testing.assert_array_equal(first[:4], again)


def test_jina_and_sentence_transformers_interfaces(model):
    scores = model.score(QUERY, DOCS)
    assert model.compute_score([QUERY, DOCS[0]]) == pytest.approx(float(scores[0]))
    assert model.compute_score([[QUERY, d] for d in DOCS]) == pytest.approx(scores.tolist())
    reranked = model.rerank(QUERY, DOCS, top_n=2)
    assert [r["index"] for r in reranked] == list(np.argsort(-scores, kind="stable")[:2])
    assert reranked[0]["document"] == DOCS[reranked[0]["index"]]
    np.testing.assert_allclose(model.predict([(QUERY, d) for d in DOCS]), scores)
    ranked = model.rank(QUERY, DOCS, top_k=3, return_documents=True)
    assert [r["corpus_id"] for r in ranked] == [r["index"] for r in model.rerank(QUERY, DOCS, top_n=3)]
    assert ranked[0]["text"] == DOCS[ranked[0]["corpus_id"]]


def test_query_budget_and_max_length(tiny_model_dir):
    model = HFCrossEncoder(tiny_model_dir, precision="float32", max_length=16, max_query_length=4, cache_size=0)
    encoded = model._encode_pairs([("weather " * 50, "table " * 50)])
    ids, _ = encoded[0]
    assert len(ids) == 16
    assert ids[:6].count(model.tokenizer.convert_tokens_to_ids("weather")) == 4  # [CLS] + 4 query tokens


def test_load_reranker_shares_instances(tiny_model_dir):
    first = load_reranker(str(tiny_model_dir), precision="float32")
    assert load_reranker(str(tiny_model_dir), precision="float32") is first
    assert isinstance(first, Reranker)
    assert load_reranker(first) is first


def test_unreachable_hub_id_says_how_to_pass_a_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(RerankerError, match="local model directory"):
        HFCrossEncoder("some-org/not-cached-model")
    with pytest.raises(RerankerError, match="does not exist"):
        HFCrossEncoder(str(tmp_path / "missing" / "dir"))
