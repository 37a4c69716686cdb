"""A Haystack pipeline: BM25 retrieval, then toolrouter's cross-encoder reranks the hits.

Runs offline on the bundled model. A saved pipeline (``Pipeline.dumps``) records the ranker's model;
Haystack loads it back once the module is trusted (``allowed_modules=[...]``).
Run::

    python examples/haystack_pipeline.py
"""

from __future__ import annotations

import os

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")  # offline example: no usage reporting

from haystack import Document, Pipeline  # after telemetry is switched off
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
from haystack.document_stores.in_memory import InMemoryDocumentStore

from toolrouter import Router
from toolrouter.integrations.haystack import ToolrouterRanker

DOCUMENTS = [
    "Lisbon's trams climb the hills of Alfama.",
    "Lisbon has mild winters and warm, dry summers.",
    "Lisbon's climate is Mediterranean: about 300 sunny days a year.",
    "Porto is famous for its port wine cellars.",
    "Lisbon was rebuilt after the 1755 earthquake.",
]


def main() -> None:
    store = InMemoryDocumentStore()
    store.write_documents([Document(content=text) for text in DOCUMENTS])
    pipeline = Pipeline()
    pipeline.add_component("retriever", InMemoryBM25Retriever(store, top_k=4))
    pipeline.add_component("ranker", ToolrouterRanker(Router(), top_k=2))
    pipeline.connect("retriever.documents", "ranker.documents")

    query = "Is Lisbon warm in summer?"
    result = pipeline.run({"retriever": {"query": query}, "ranker": {"query": query}})
    print(f"{query}")
    for doc in result["ranker"]["documents"]:
        print(f"  {doc.score:.3f}  {doc.content}")
    loaded = Pipeline.loads(pipeline.dumps(), allowed_modules=["toolrouter.integrations.haystack"])
    print(f"saved and loaded back: ranker top_k={loaded.get_component('ranker').top_k}")


if __name__ == "__main__":
    main()
