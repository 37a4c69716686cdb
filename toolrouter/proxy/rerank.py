"""The ``/v1/rerank`` endpoint's request and answer, in Jina's (and Cohere's) shape.

Request: ``{"model", "query", "documents": ["text" | {"text"}], "top_n"?, "return_documents"?}``.
Answer: ``{"model", "usage": {"total_tokens"}, "results": [{"index", "relevance_score", "document"?: {"text"}}]}``,
best first. The proxy serves one reranker, so ``model`` is read but not used to pick one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolrouter.errors import ProxyError
from toolrouter.registry.canonical import count_tokens
from toolrouter.rerank import Reranker
from toolrouter.router import QueryError, clean_query

# Most documents one rerank request may score (bounds the work a single request can cause).
MAX_RERANK_DOCUMENTS = 1024


@dataclass(frozen=True)
class RerankRequest:
    """A validated rerank request."""

    query: str
    documents: tuple[str, ...]
    top_n: int | None = None
    return_documents: bool = True


def _invalid(message: str, param: str) -> ProxyError:
    return ProxyError(message, status=400, code="invalid_value", param=param)


def parse_rerank_request(payload: dict[str, Any]) -> RerankRequest:
    """Validate a decoded rerank request body.

    Raises:
        ProxyError: Status 400, naming the field at fault.
    """
    try:
        query = clean_query(payload.get("query"))
    except QueryError as exc:
        raise _invalid(str(exc), "query") from exc
    raw = payload.get("documents")
    if not isinstance(raw, list):
        raise _invalid("documents must be a list of strings or {\"text\": ...} objects", "documents")
    if len(raw) > MAX_RERANK_DOCUMENTS:
        raise _invalid(f"at most {MAX_RERANK_DOCUMENTS} documents per request, got {len(raw)}", "documents")
    documents = []
    for index, document in enumerate(raw):
        text = document.get("text") if isinstance(document, dict) else document
        if not isinstance(text, str):
            raise _invalid(f"documents[{index}] must be a string or an object with a string 'text'",
                           f"documents[{index}]")
        documents.append(text)
    top_n = payload.get("top_n")
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise _invalid(f"top_n must be a positive integer, got {top_n!r}", "top_n")
    return_documents = payload.get("return_documents", True)
    if not isinstance(return_documents, bool):
        raise _invalid(f"return_documents must be true or false, got {return_documents!r}", "return_documents")
    return RerankRequest(query, tuple(documents), top_n, return_documents)


def rerank_answer(reranker: Reranker, request: RerankRequest) -> dict[str, Any]:
    """Score the documents and build the answer: best first, ties in input order, cut at ``top_n``.

    ``usage.total_tokens`` is toolrouter's tokenizer-free estimate over every (query, document) pair.
    """
    scores = reranker.score(request.query, list(request.documents)) if request.documents else []
    order = sorted(range(len(request.documents)), key=lambda i: (-scores[i], i))[: request.top_n]
    results = []
    for index in order:
        result: dict[str, Any] = {"index": index, "relevance_score": float(scores[index])}
        if request.return_documents:
            result["document"] = {"text": request.documents[index]}
        results.append(result)
    query_tokens = count_tokens(request.query)
    tokens = sum(query_tokens + count_tokens(document) for document in request.documents)
    return {"model": reranker.name, "usage": {"total_tokens": tokens}, "results": results}
