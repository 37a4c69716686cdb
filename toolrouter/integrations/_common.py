"""What the framework adapters share: argument checks and "rerank texts, keep the best"."""

from __future__ import annotations

from collections.abc import Sequence

from toolrouter.rerank.base import ranked_results
from toolrouter.router import Router, clean_query

# Documents (or nodes) a document reranker keeps when not told otherwise.
DEFAULT_TOP_N = 5


def check_positive(name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is a positive integer (``name`` is the argument)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def top_texts(router: Router, query: str, texts: Sequence[str], top_n: int) -> list[tuple[int, float]]:
    """The ``top_n`` texts most relevant to ``query`` as (input position, score), best first.

    Scores come from ``router.reranker`` (relevance in [0, 1]); ties keep input order.

    Raises:
        QueryError: ``query`` has no visible text.
    """
    query = clean_query(query)
    if not texts:
        return []
    scores = router.reranker.score(query, list(texts))
    return [(r["index"], r["relevance_score"]) for r in ranked_results(texts, scores, top_n, False)]
