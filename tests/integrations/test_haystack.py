"""Haystack: the ranker component in a real Pipeline behind a BM25 retriever, and its serialization."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
pytest.importorskip("haystack")

from haystack import Document, Pipeline
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
from haystack.core.errors import SerializationError
from haystack.document_stores.in_memory import InMemoryDocumentStore

from toolrouter.integrations.haystack import ToolrouterRanker
from toolrouter.router import Router

DOCUMENTS = [
    Document(id="a", content="Lisbon is the capital of Portugal."),
    Document(id="b", content="The weather in Lisbon is sunny in summer."),
    Document(id="c", content="Pizza is a dish from Naples."),
    Document(id="d", content="Porto trams climb steep hills."),
]


def test_ranker_in_a_pipeline_reranks_scores_and_cuts(overlap_router):
    store = InMemoryDocumentStore()
    store.write_documents(DOCUMENTS)
    pipeline = Pipeline()
    pipeline.add_component("retriever", InMemoryBM25Retriever(store, top_k=4))
    pipeline.add_component("ranker", ToolrouterRanker(overlap_router, top_k=2))
    pipeline.connect("retriever.documents", "ranker.documents")

    query = "weather in Lisbon"
    out = pipeline.run({"retriever": {"query": query}, "ranker": {"query": query}})["ranker"]["documents"]
    assert [doc.id for doc in out] == ["b", "a"]
    assert out[0].score == pytest.approx(1.0) and out[1].score == pytest.approx(1 / 3)

    out = pipeline.run({"retriever": {"query": query}, "ranker": {"query": query, "top_k": 1}})
    assert [doc.id for doc in out["ranker"]["documents"]] == ["b"]


def test_run_leaves_inputs_alone_and_refuses_bad_input(overlap_router):
    ranker = ToolrouterRanker(overlap_router)
    assert ranker.run("pizza", DOCUMENTS)["documents"][0].id == "c"
    assert DOCUMENTS[2].score is None
    assert ranker.run("pizza", [])["documents"] == []
    with pytest.raises(ValueError, match="top_k must be a positive integer, got 0"):
        ranker.run("pizza", DOCUMENTS, top_k=0)
    with pytest.raises(ValueError, match="document x has no text content"):
        ranker.run("pizza", [Document(id="x", blob=None)])
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        ToolrouterRanker(overlap_router, top_k=-2)


def test_pipeline_serialization_round_trips_the_router(overlap_router):
    pipeline = Pipeline()
    pipeline.add_component("ranker", ToolrouterRanker(Router("some/model-dir", max_length=256), top_k=3))
    text = pipeline.dumps()
    loaded = Pipeline.loads(text, allowed_modules=["toolrouter.integrations.haystack"]).get_component("ranker")
    assert isinstance(loaded, ToolrouterRanker) and loaded.top_k == 3
    assert loaded.router.model == "some/model-dir" and loaded.router.model_options == {"max_length": 256}

    pipeline = Pipeline()
    pipeline.add_component("ranker", ToolrouterRanker(overlap_router))
    with pytest.raises(SerializationError, match="cannot save a router built on a WordOverlapReranker"):
        pipeline.dumps()
