"""Haystack: a ranker component that reranks documents with toolrouter's reranker.

::

    from haystack import Pipeline
    from toolrouter.integrations.haystack import ToolrouterRanker

    pipeline = Pipeline()
    pipeline.add_component("retriever", retriever)
    pipeline.add_component("ranker", ToolrouterRanker(top_k=5))
    pipeline.connect("retriever.documents", "ranker.documents")

Haystack loads classes only from trusted modules: load a saved pipeline with
``Pipeline.loads(text, allowed_modules=["toolrouter.integrations.haystack"])``. Needs the ``haystack`` extra.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from toolrouter.errors import MissingDependencyError
from toolrouter.integrations._common import DEFAULT_TOP_N, check_positive, top_texts
from toolrouter.router import Router

try:
    from haystack import Document, component, default_from_dict, default_to_dict
    from haystack.core.errors import SerializationError
except ImportError as exc:
    raise MissingDependencyError("haystack", "haystack") from exc

__all__ = ["ToolrouterRanker"]


@component
class ToolrouterRanker:
    """Ranks documents by their relevance to the query and keeps the ``top_k`` best.

    Returned documents are copies with ``score`` set to the reranker's relevance in [0, 1]; the
    input documents are not modified.

    Args:
        router: Its reranker (``router.reranker``) scores the documents. Defaults to ``Router()``
            (the bundled offline model). Pipelines serialize the router's model name or directory
            and model options, so a router built on a :class:`~toolrouter.rerank.Reranker` object
            cannot be saved.
        top_k: Documents to keep. Defaults to ``DEFAULT_TOP_N`` (5).

    Raises:
        ValueError: ``top_k`` is not a positive integer.
    """

    def __init__(self, router: Router | None = None, top_k: int = DEFAULT_TOP_N) -> None:
        check_positive("top_k", top_k)
        self.router = router if router is not None else Router()
        self.top_k = top_k

    def warm_up(self) -> None:
        """Load the reranker before the first run (pipelines call this)."""
        self.router.reranker  # noqa: B018 - loads the model on first access

    @component.output_types(documents=list[Document])
    def run(self, query: str, documents: list[Document], top_k: int | None = None) -> dict[str, list[Document]]:
        """The ``top_k`` documents most relevant to ``query``, best first, scored.

        Args:
            query: The query documents are ranked against.
            documents: Documents to rank; each needs text ``content``.
            top_k: Documents to keep for this run. Defaults to the component's ``top_k``.

        Raises:
            ValueError: ``top_k`` is not a positive integer, or a document has no text content
                (the message names its id).
            QueryError: ``query`` has no visible text.
        """
        top_k = self.top_k if top_k is None else top_k
        check_positive("top_k", top_k)
        for doc in documents:
            if doc.content is None:
                raise ValueError(f"document {doc.id} has no text content: ToolrouterRanker ranks text only")
        ranked = top_texts(self.router, query, [doc.content for doc in documents], top_k)
        return {"documents": [replace(documents[i], score=score) for i, score in ranked]}

    def to_dict(self) -> dict[str, Any]:
        """Serialize the component (its router's model and options, and ``top_k``).

        Raises:
            SerializationError: The router's model is a reranker object, not a name or directory.
        """
        model = self.router.model
        if model is not None and not isinstance(model, str):
            raise SerializationError(f"ToolrouterRanker cannot save a router built on a {type(model).__name__} "
                                     "object: build the Router from a model name or directory to serialize it")
        return default_to_dict(self, router={"model": model, "options": self.router.model_options}, top_k=self.top_k)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolrouterRanker:
        """The component :meth:`to_dict` serialized."""
        params = data.get("init_parameters", {})
        if isinstance(params.get("router"), dict):
            router = params["router"]
            data = {**data, "init_parameters": {**params, "router": Router(router["model"], **router["options"])}}
        return default_from_dict(cls, data)
