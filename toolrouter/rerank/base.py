"""The reranker protocol and the base class every backend builds on.

A backend implements one method, :meth:`BaseReranker._score_pairs`, returning a relevance in
[0, 1] per (query, text) pair. The base class adds the score cache and the interfaces users
already know: Jina's ``compute_score``/``rerank`` and sentence-transformers' ``predict``/``rank``.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from toolrouter.retrieve import QueryAdapter

# Scores kept in each reranker's LRU cache of (query, text) pairs.
DEFAULT_CACHE_SIZE = 65_536


@runtime_checkable
class Reranker(Protocol):
    """Anything that scores texts against a query: higher is more relevant, in [0, 1]."""

    name: str

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """One float32 relevance per text, in input order."""
        ...


@dataclass(frozen=True)
class Blend:
    """How a router mixes a model's score with the first-stage signals for one item kind.

    The final score is ``(1 - bi_encoder - lexical) · model + bi_encoder · e5 relevance + lexical ·
    BM25 relevance`` (:func:`toolrouter.router.blended`). The default is the model alone.
    """

    bi_encoder: float = 0.0
    lexical: float = 0.0

    def __post_init__(self) -> None:
        if min(self.bi_encoder, self.lexical) < 0.0 or self.bi_encoder + self.lexical > 1.0:
            raise ValueError(f"blend weights must be >= 0 with a sum <= 1, got {self}")

    @property
    def model_weight(self) -> float:
        """The model's share of the final score: what is left by the e5 and BM25 weights."""
        return 1.0 - self.bi_encoder - self.lexical


class ScoreCache:
    """A thread-safe LRU map from (query, text) to score.

    Args:
        max_size: Entries kept; 0 disables caching. Defaults to ``DEFAULT_CACHE_SIZE``.
    """

    def __init__(self, max_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.max_size = max_size
        self._entries: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, str]) -> float | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: tuple[str, str], value: float) -> None:
        if self.max_size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def as_pairs(sentence_pairs: Sequence[Sequence[str]] | Sequence[str]) -> tuple[list[tuple[str, str]], bool]:
    """Jina's ``compute_score`` input as (query, document) tuples, and whether it was one bare pair."""
    single = len(sentence_pairs) == 2 and all(isinstance(x, str) for x in sentence_pairs)
    pairs = [tuple(sentence_pairs)] if single else [tuple(p) for p in sentence_pairs]
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"compute_score expects (query, document) pairs, got {pair!r}")
    return pairs, single


def ranked_results(
    documents: Sequence[str], scores: np.ndarray, top_n: int | None, return_documents: bool
) -> list[dict[str, Any]]:
    """Jina's ``rerank`` answer: best first, ties in input order, plain ``int`` indices, cut at ``top_n``."""
    order = sorted(range(len(documents)), key=lambda i: (-scores[i], i))
    if top_n is not None and top_n > 0:
        order = order[:top_n]
    results = []
    for i in order:
        result: dict[str, Any] = {"relevance_score": float(scores[i]), "index": int(i)}
        if return_documents:
            result["document"] = documents[i]
        results.append(result)
    return results


class BaseReranker(ABC):
    """Shared behaviour of all backends: caching and the familiar scoring interfaces.

    Args:
        name: Identifies the model (part of the cache's identity and of error messages).
        cache_size: Scores kept in the LRU cache. Defaults to ``DEFAULT_CACHE_SIZE``.
    """

    # Score above which an item counts as relevant (``Router(threshold="auto")``); models calibrate it.
    default_threshold: float = 0.5
    # The same for scores made without the model (``Router(rerank="none")``: e5 and BM25 blended);
    # None when the model calibrated none (routers then use ``default_threshold``).
    no_rerank_threshold: float | None = None
    # Per item kind, what ``Router(rerank="auto")`` does: "cross-encoder" or "none" (the model's own
    # measurements of what its pass is worth for the latency); a kind not listed is reranked.
    auto_rerank: Mapping[str, str] = MappingProxyType({})
    # Per item kind ("tool", "table"), how routers blend in the e5 and BM25 relevance; a kind
    # not listed is scored by the model alone. Read-only here: a model sets its own mapping.
    blend: Mapping[str, Blend] = MappingProxyType({})
    # Per item kind, the map routers apply to the e5 query vector, in the first stage and the blend
    # (:class:`toolrouter.retrieve.QueryAdapter`); a kind not listed uses e5's vector as it is.
    query_adapters: Mapping[str, QueryAdapter] = MappingProxyType({})

    def __init__(self, name: str, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.name = name
        self.cache = ScoreCache(cache_size)

    @abstractmethod
    def _score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Score uncached pairs; returns float32 relevances in [0, 1], in input order."""

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Score (query, text) pairs through the cache."""
        scores = np.empty(len(pairs), dtype=np.float32)
        missing: list[int] = []
        for i, pair in enumerate(pairs):
            cached = self.cache.get(pair)
            if cached is None:
                missing.append(i)
            else:
                scores[i] = cached
        if missing:
            # Score each distinct uncached pair once, even if it repeats in the input.
            unique = list(dict.fromkeys(pairs[i] for i in missing))
            fresh = np.asarray(self._score_pairs(unique), dtype=np.float32)
            by_pair = dict(zip(unique, fresh.tolist()))
            for pair, value in by_pair.items():
                self.cache.put(pair, value)
            for i in missing:
                scores[i] = by_pair[pairs[i]]
        return scores

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """One relevance in [0, 1] per text, in input order."""
        return self.score_pairs([(query, text) for text in texts])

    # Jina Reranker v2's interface.
    def compute_score(
        self, sentence_pairs: Sequence[Sequence[str]] | Sequence[str], **_: Any
    ) -> list[float] | float:
        """Scores for ``[[query, doc], ...]``; a single ``[query, doc]`` pair gives one float."""
        pairs, single = as_pairs(sentence_pairs)
        scores = self.score_pairs(pairs).tolist()
        return scores[0] if single else scores

    def rerank(
        self, query: str, documents: Sequence[str], top_n: int | None = None, return_documents: bool = True,
        **_: Any,
    ) -> list[dict[str, Any]]:
        """Jina's ``rerank``: ``[{"document", "relevance_score", "index"}]``, best first, stable."""
        return ranked_results(documents, self.score(query, documents), top_n, return_documents)

    # sentence-transformers CrossEncoder's interface.
    def predict(self, sentences: Sequence[Sequence[str]], convert_to_numpy: bool = True, **_: Any):
        """Scores for ``[(query, doc), ...]`` as a numpy array (or a list)."""
        scores = self.score_pairs([tuple(pair) for pair in sentences])
        return scores if convert_to_numpy else scores.tolist()

    def rank(
        self, query: str, documents: Sequence[str], top_k: int | None = None, return_documents: bool = False,
        **_: Any,
    ) -> list[dict[str, Any]]:
        """CrossEncoder's ``rank``: ``[{"corpus_id", "score", "text"?}]``, best first."""
        return [
            {"corpus_id": r["index"], "score": r["relevance_score"]}
            | ({"text": documents[r["index"]]} if return_documents else {})
            for r in self.rerank(query, documents, top_n=top_k, return_documents=False)
        ]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
