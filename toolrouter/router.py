"""The Router: the selection policy on top of a registry and a reranker.

For a query it picks candidates (all items of the kind when few, else a first-stage cut-off),
scores them with the cross-encoder, and returns the top ``k`` as :class:`Selection` objects,
plus the items that must always be kept.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from toolrouter.conversation import called_tools, routing_query
from toolrouter.errors import ToolrouterError
from toolrouter.payload import without_payload
from toolrouter.registry import Registry
from toolrouter.registry.canonical import name_words, valid_text
from toolrouter.registry.items import Item, ItemKind, TableItem, ToolItem
from toolrouter.rerank import Blend, Reranker, load_reranker
from toolrouter.retrieve import (
    EMBEDDINGS,
    FirstStage,
    FirstStageIndex,
    GroupIndex,
    QueryAdapter,
    item_vectors,
    lexical_relevance,
    relevance_cosines,
)

# Registries with at most this many items of a kind are cross-encoded whole (no first stage).
FULL_RERANK_LIMIT = 40
# Candidates passed from the first stage to the cross-encoder: max(MIN_CANDIDATES, CANDIDATES_PER_K * k).
MIN_CANDIDATES = 40
CANDIDATES_PER_K = 8
# Characters of a query kept for routing (head and tail); longer queries are cut in the middle.
MAX_QUERY_CHARS = 4000

# multilingual-e5 cosines rarely fall below this for any text pair; it maps to relevance 0.
E5_COSINE_FLOOR = 0.7
# Where tools come in groups (services, servers; see toolrouter.registry.groups), a tool loses
# GROUP_WEIGHT times the e5 cosine its group falls short of the best group's, and a group the request
# names adds NAMED_GROUP_BONUS to its tools and sends its NAMED_GROUP_CANDIDATES best first-stage tools
# to scoring. Chosen on the dev services of the real-catalog benchmark (benchmarks/catalog.py).
GROUP_WEIGHT = 0.5
NAMED_GROUP_BONUS = 0.1
NAMED_GROUP_CANDIDATES = 10
# A tool of a group of at least NAME_LENGTH_MIN_TOOLS loses NAME_LENGTH_WEIGHT times the log of the
# words its name adds to its group's (``Jira_CreateIssue``: 2, ``Jira_AddonPropertiesResourcePutAddonPropertyPut``:
# 6). A large service's generated catalog holds a few basic operations and many specialized ones;
# everyday requests mostly want the basic ones (real-catalog benchmark: gold tools' names average 2.5
# words against 3.7 for the catalog; hit@5 0.520 → 0.572, dev services chose the weight). Small
# groups (a handful of tools sharing a prefix) are left alone: there BFCL recall@5 fell 0.902 → 0.896.
NAME_LENGTH_WEIGHT = 0.04
NAME_LENGTH_MIN_TOOLS = 10

Reason = Literal["ranked", "always", "called", "named", "bridge"]
# What scores the first stage's candidates: the reranker (blended with e5 and BM25 by its per-kind
# weights), "none": the e5 and BM25 relevances alone, by the same weights without the reranker's
# share (milliseconds instead of a cross-encoder pass), or "auto": per item kind, what the model says
# its pass is worth (``Reranker.auto_rerank``; the bundled model: "none" for tools, its pass for tables).
Rerank = Literal["auto", "cross-encoder", "none"]
RERANKS: tuple[Rerank, ...] = ("auto", "cross-encoder", "none")
# How select_tables adds tables that join the selected ones: "fk" follows foreign keys.
Expand = Literal["fk"]


@dataclass(frozen=True)
class ScoredItem:
    """An item with its score, its 1-based rank among the scored candidates, and how the score was made.

    Attributes:
        item: The item.
        score: The final score the selection uses (the reranker's, blended with e5 and BM25 where
            the reranker ships a blend for the item kind).
        rank: 1-based rank by ``score``.
        model_score: The reranker's own relevance; equals ``score`` when nothing is blended. NaN when
            the reranker did not score the item: ``rerank="none"``, or a candidate that could not reach
            the top k whatever the model said (its ``score`` then lacks the model's share).
        bi_encoder: The e5 relevance blended in, or None when the blend uses none.
        lexical: The BM25 relevance blended in, or None when the blend uses none.
        first_stage_rank: 1-based rank in the first stage (reciprocal-rank fusion of BM25 and e5),
            or None when the whole pool was reranked without one.
        first_stage_score: The first stage's fused score, or None likewise.
        group: The tool's group (service, server) when the registry's tools come in groups, else None.
        group_score: The group's e5 relevance to the request (0…1) mixed into ``score``, or None.
        group_named: Whether the request names the group (which adds to ``score``).
        name_penalty: What the length of a grouped tool's name took off ``score``
            (:func:`name_length_penalty`), or None for a tool scored without groups or in a group
            of fewer than ``NAME_LENGTH_MIN_TOOLS``.
    """

    item: Item
    score: float
    rank: int
    model_score: float = float("nan")
    bi_encoder: float | None = None
    lexical: float | None = None
    first_stage_rank: int | None = None
    first_stage_score: float | None = None
    group: str | None = None
    group_score: float | None = None
    group_named: bool = False
    name_penalty: float | None = None


@dataclass(frozen=True)
class Explanation:
    """Everything one selection was made from (see :meth:`Router.explain`).

    Attributes:
        query: The text routed on (cleaned; from the latest user intent when ``messages`` were given).
        kind: ``"tool"`` or ``"table"``.
        selections: What ``select_tools``/``select_tables`` return for the same arguments.
        ranking: Every candidate the first stage passed on, best first, with its score components
            (``model_score`` NaN where the model did not score it: see :func:`reachable_scores`).
        pool: Items of ``kind`` in the registry.
        first_stage: The first stage that picked the candidates, or None when the pool was
            reranked whole (at most :data:`FULL_RERANK_LIMIT` items).
        threshold: The minimum score in force, or None.
        k: The ranked items asked for.
        rerank: How the candidates were scored: ``"cross-encoder"`` or ``"none"`` (see
            :meth:`Router.rerank_mode`).
        routed_text: What the first stage and the scorers read: ``query``, without the payload it
            carries (:func:`toolrouter.payload.without_payload`) where what is left matches some item
            at least as well as the whole query.
    """

    query: str
    kind: ItemKind
    selections: list[Selection]
    ranking: list[ScoredItem]
    pool: int
    first_stage: FirstStage | None
    threshold: float | None
    k: int
    rerank: Literal["cross-encoder", "none"] = "none"
    routed_text: str = ""


@dataclass(frozen=True)
class Selection:
    """One selected tool or table.

    Attributes:
        name: The item's registry name.
        score: Reranker relevance in [0, 1]; NaN for items kept without scoring.
        item: The item itself (its ``.text`` is what was scored, ``.spec`` the original spec).
        rank: 1-based position in the selection.
        reason: Why it is there: ``ranked`` (top-k), ``always`` (asked for), ``called`` (already
            called in the conversation), ``named`` (the request names it, see :func:`named_items`)
            or ``bridge`` (joins selected tables; see ``note``).
        note: Extra detail, e.g. which tables a bridge connects.
    """

    name: str
    score: float
    item: Item
    rank: int
    reason: Reason = "ranked"
    note: str = ""


def bi_encoder_relevance(cosines: np.ndarray, adapter: QueryAdapter | None = None) -> np.ndarray:
    """e5 cosine similarity (hub-corrected: :func:`~toolrouter.retrieve.relevance_cosines`) mapped to
    [0, 1]: e5 cosines of unrelated texts sit near ``E5_COSINE_FLOOR``; cosines of an adapted query
    (``adapter``) are mapped by the adapter's own range."""
    floor, ceiling = (adapter.cosine_floor, adapter.cosine_ceiling) if adapter is not None else (E5_COSINE_FLOOR, 1.0)
    return np.clip((cosines - floor) / (ceiling - floor), 0.0, 1.0).astype(np.float32)


def blended(model: np.ndarray, bi_encoder: np.ndarray | float, lexical: np.ndarray | float,
            weights: Blend) -> np.ndarray:
    """The final score of an ensemble model: the model's relevance mixed with the e5
    bi-encoder's (:func:`bi_encoder_relevance`) and BM25's (:func:`~toolrouter.retrieve.lexical_relevance`)
    by ``weights`` (the model's :class:`~toolrouter.rerank.Blend` for the item kind)."""
    return (weights.model_weight * model + retrieval_share(bi_encoder, lexical, weights)).astype(np.float32)


def retrieval_share(bi_encoder: np.ndarray | float, lexical: np.ndarray | float,
                    weights: Blend) -> np.ndarray | float:
    """The part of a :func:`blended` score that is not the model's: the e5 and BM25 relevances by
    their ``weights``. Routers compute it first to spare the model candidates it cannot lift."""
    return weights.bi_encoder * bi_encoder + weights.lexical * lexical


def reachable_scores(partial: np.ndarray, model_weight: float, k: int | None,
                     score: Callable[[np.ndarray], np.ndarray], must: Iterable[int] = ()) -> np.ndarray:
    """The model's scores of the candidates that can still reach the top ``k``; NaN for the others.

    ``partial`` is each candidate's score without the model's share, which adds ``model_weight``
    times a relevance in [0, 1]; ``score`` scores candidates by index; ``must`` are scored in any
    case (items a selection keeps whatever their rank). The ``k`` best by partial score are scored
    first; the lowest final score among them is a floor the k-th best final score cannot fall below,
    so a candidate whose partial score plus ``model_weight`` stays under it can never enter the top
    ``k`` and is not scored. The top ``k`` (its items, order and scores) is exactly what scoring
    every candidate gives; a confident first stage leaves few to score. Every candidate is scored,
    in one call, when ``k`` is None or not below their number, when none could be spared anyway,
    and when the model's first scores fall outside [0, 1] (the bound would not hold).
    """
    size = len(partial)
    model = np.full(size, np.nan, dtype=np.float32)
    every = np.arange(size)
    if k is not None and 0 < k < size:
        kth_best = np.partition(partial, size - k)[size - k]
        if (partial + model_weight < kth_best).any():
            scored = np.zeros(size, dtype=bool)
            scored[np.argsort(-partial, kind="stable")[:k]] = True
            scored[list(must)] = True
            first = np.flatnonzero(scored)
            model[first] = score(first)
            if np.all((model[first] >= 0.0) & (model[first] <= 1.0)):
                top = np.sort(partial[first] + model_weight * model[first])[::-1][:k]
                rest = np.flatnonzero(~scored & (partial + model_weight >= top[-1]))
                if len(rest):
                    model[rest] = score(rest)
                return model
    model[every] = score(every)
    return model


# A name written like code: snake_case, kebab-case, camelCase or letters with digits. Only such names
# are matched in requests; a tool called "search" must not be picked by every "search the web".
_CODE_NAME = re.compile(r"[A-Za-z0-9][_-][A-Za-z0-9]|[a-z][A-Z]|[A-Za-z][0-9]|[0-9][A-Za-z]")
# Shorter names ("A1", "v2") are too likely to be ordinary words of a request.
MIN_NAMED_LENGTH = 4
# Words of a request that may be a name: identifier characters joined by namespace separators.
_NAME_TOKEN = re.compile(r"[\w-]+(?:[.:/][\w-]+)*")
# The ASCII runs of such a word: a name written against another script (``ask_codexで``,
# ``用get_weather查``) is read as one longer word above.
_ASCII_NAME_TOKEN = re.compile(r"[A-Za-z0-9_-]+(?:[.:/][A-Za-z0-9_-]+)*")
# Namespace separators: registry namespaces and the MCP gateway (``server__tool``), MCP clients
# (``mcp__server__tool``), dotted and path-like names.
_NAMESPACE = re.compile(r"__|[.:/]")


def summaries_of(items: Sequence[Item]) -> list[str | None] | None:
    """What :func:`item_vectors` averages with the items' texts: for tools of a group (a service's
    toolkit, an MCP server), their one-line summaries; None for other tools (their text alone),
    and None for a list with no grouped tool (tables have none).

    In a service catalog many tools share the service's vocabulary in long, generated texts, and
    the summary is what sets one apart (real-catalog benchmark, dev services: hit@5 +0.05); for
    standalone tools it only repeats the description's start (BFCL MRR 0.806 → 0.782 with it).
    """
    if not items or not all(isinstance(item, ToolItem) for item in items):
        return None
    summaries = [item.summary if item.service else None for item in items]  # type: ignore[union-attr]
    return summaries if any(s is not None for s in summaries) else None


def name_length_penalty(item: Item, group: str) -> float:
    """:data:`NAME_LENGTH_WEIGHT` times the log of the words ``item``'s name adds to ``group``'s
    (:func:`~toolrouter.registry.canonical.name_words`): a service's specialized operations
    (long names) rank a little below its basic ones when the request fits both alike."""
    return NAME_LENGTH_WEIGHT * float(np.log(max(_added_name_words(item.name, group), 1)))


@lru_cache(maxsize=1 << 16)
def _added_name_words(name: str, group: str) -> int:
    # Kept per name: every request scores the same candidates' names again (about 1 ms per request).
    return len(name_words(name, group).split())


def short_name(name: str) -> str:
    """The tool's own name without its namespace: ``server__ask_codex`` → ``ask_codex``."""
    return _NAMESPACE.split(name)[-1] or name


def names_index(names: Iterable[str]) -> dict[str, list[str]]:
    """Lower-cased full and short names written like code → the registry names they may mean."""
    index: dict[str, list[str]] = {}
    for name in names:
        for alias in dict.fromkeys((name, short_name(name))):
            if len(alias) >= MIN_NAMED_LENGTH and _CODE_NAME.search(alias):
                index.setdefault(alias.lower(), []).append(name)
    return index


def named_items(query: str, index: dict[str, list[str]]) -> list[str]:
    """Registry names the request writes out, by full or short name, in the order it names them.

    A short name shared by several namespaces (``github__search``, ``gitlab__search``) names all of them.
    """
    found: dict[str, None] = {}
    words = (part for word in _NAME_TOKEN.findall(query)
             for part in (word, *(_ASCII_NAME_TOKEN.findall(word) if not word.isascii() else ())))
    for token in words:
        token = token.lower().strip("-")
        # A namespaced token that is a registry name means that tool, not its namesakes.
        for name in index.get(token) or index.get(short_name(token), ()):
            found.setdefault(name)
    return list(found)


class QueryError(ToolrouterError, ValueError):
    """The routing query is empty or unusable."""


def clean_query(query: Any) -> str:
    """A routable query: valid text, control characters as spaces, long input cut in the middle.

    Raises:
        QueryError: The query is not a string or has no visible text.
    """
    if not isinstance(query, str):
        raise QueryError(f"query must be a string, got {type(query).__name__}")
    # Lone surrogates cannot be encoded; replace them rather than fail deep in the tokenizer.
    text = valid_text(query)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text).strip()
    if not text:
        raise QueryError("query is empty: pass the user's request (or messages=...) to route on")
    if len(text) > MAX_QUERY_CHARS:
        half = MAX_QUERY_CHARS // 2
        text = f"{text[:half]} … {text[-half:]}"
    return text


class Router:
    """Selects the tools and tables an LLM should see for a request.

    Args:
        model: A model name, a local model directory, a hub id in the local cache, or a
            :class:`Reranker`; None for the bundled offline model. Loaded lazily, once per process.
            Defaults to None.
        registry: Start from this registry. Defaults to a new, empty one.
        first_stage: Candidate retriever for large registries: ``"hybrid"`` (BM25 + e5),
            ``"bm25"`` or ``"e5"``. Defaults to "hybrid".
        threshold: Default minimum score for ranked selections; ``"auto"`` uses the model's
            calibrated no-tool threshold; None keeps the top k whatever their scores. Defaults to None.
        candidates: Fixed number of first-stage candidates the cross-encoder scores; None adapts
            it to the registry size and ``k`` (see :meth:`candidate_count`). Defaults to None.
        rerank: ``"cross-encoder"`` scores candidates with the model (blended as the model says);
            ``"none"`` scores them with the e5 and BM25 relevances alone, in the model's blend
            proportions, skipping the cross-encoder pass that dominates latency; ``"auto"`` does
            per item kind what the model's measurements favour (:meth:`rerank_mode`). Defaults
            to "auto".
        groups: Where tools come in groups (services, MCP servers, name prefixes; see
            :meth:`Registry.group_of <toolrouter.registry.Registry.group_of>`), mix each group's
            relevance into its tools' scores and favour groups the request names. Defaults to True.
        **model_options: Passed to :func:`toolrouter.load_reranker` (``max_length``, ``device`` ...).

    Example::

        router = Router()
        router.add_tools(openai_tools)
        picked = router.select_tools("plan a road trip and tell me its CO2", k=5)
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | Reranker | None = None,
        *,
        registry: Registry | None = None,
        first_stage: FirstStage = "hybrid",
        threshold: float | Literal["auto"] | None = None,
        candidates: int | None = None,
        rerank: Rerank = "auto",
        groups: bool = True,
        **model_options: Any,
    ) -> None:
        self.model = os.fspath(model) if isinstance(model, os.PathLike) else model
        self.model_options = model_options
        self.registry = registry if registry is not None else Registry()
        self.first_stage = first_stage
        self.threshold = threshold
        self.candidates = candidates
        if rerank not in RERANKS:
            raise ValueError(f"rerank must be one of {', '.join(map(repr, RERANKS))}, got {rerank!r}")
        self.rerank = rerank
        self.groups = groups
        self._reranker: Reranker | None = model if isinstance(model, Reranker) else None
        # Indexes are cached with the pool (the list object) they were built from: a request that
        # listed the pool before a concurrent add_tools must not cache its index as the new pool's.
        self._indexes: dict[ItemKind, tuple[list[Item], FirstStageIndex]] = {}
        self._groups: tuple[list[Item], GroupIndex | None] | None = None
        self._names: dict[ItemKind, tuple[int, dict[str, list[str]]]] = {}
        self._pools: dict[ItemKind, tuple[int, list[Item]]] = {}
        self._lock = threading.RLock()  # re-entrant: cached indexes are built from the cached pool

    def __repr__(self) -> str:
        return f"Router(model={self.model!r}, registry={self.registry!r})"

    @property
    def reranker(self) -> Reranker:
        """The reranker in use (loaded on first access, shared process-wide)."""
        if self._reranker is None:
            self._reranker = load_reranker(self.model, **self.model_options)
        return self._reranker

    # Registry shortcuts: each also encodes what the first stage will need (see :meth:`embed`).
    def add_tools(self, specs: Any, *, progress: bool | None = None, **options: Any) -> list[ToolItem]:
        """Add tools (see :meth:`Registry.add_tools`); ``progress`` as in :meth:`embed`."""
        added = self.registry.add_tools(specs, **options)
        self.embed("tool", progress)
        return added

    def add_tables(self, ddl: str, dialect: str | None = None, *, progress: bool | None = None,
                   **options: Any) -> list[TableItem]:
        """Add tables from CREATE TABLE text (see :meth:`Registry.add_tables`); ``progress`` as in :meth:`embed`."""
        added = self.registry.add_tables(ddl, dialect, **options)
        self.embed("table", progress)
        return added

    def add_database(self, source: Any, *, progress: bool | None = None, **options: Any) -> list[TableItem]:
        """Add a live database's tables (see :meth:`Registry.add_database`); ``progress`` as in :meth:`embed`."""
        added = self.registry.add_database(source, **options)
        self.embed("table", progress)
        return added

    def add_collections(self, spec: Any, *, progress: bool | None = None, **options: Any) -> list[TableItem]:
        """Add MongoDB collections (see :meth:`Registry.add_collections`); ``progress`` as in :meth:`embed`."""
        added = self.registry.add_collections(spec, **options)
        self.embed("table", progress)
        return added

    def embed(self, kind: ItemKind = "tool", progress: bool | None = None) -> int:
        """Encode now the e5 vectors the first stage needs for ``kind``, instead of at the first query.

        Only registries too large to rerank whole use the first stage; smaller ones (and the
        ``"bm25"`` first stage) need nothing here. Vectors already cached (this process or on disk,
        see :func:`toolrouter.retrieve.cache_dir`) are not encoded again.

        Args:
            kind: ``"tool"`` or ``"table"``. Defaults to "tool".
            progress: True shows a progress bar on stderr, False never; None shows one on a
                terminal when at least :data:`toolrouter.progress.PROGRESS_MIN_ITEMS` texts are
                new. Defaults to None.

        Returns:
            How many texts were encoded.
        """
        from toolrouter.progress import encoding_progress

        items = self._pool(kind)
        if self.first_stage == "bm25" or len(items) <= FULL_RERANK_LIMIT:
            return 0
        texts, summaries = [item.text for item in items], summaries_of(items)
        distinct_texts = list(dict.fromkeys(texts))
        distinct_summaries = list(dict.fromkeys(s for s in summaries or () if s is not None))
        new = (len(distinct_texts) - EMBEDDINGS.cached(distinct_texts) + len(distinct_summaries)
               - EMBEDDINGS.cached(distinct_summaries, as_queries=True))
        with encoding_progress(new, progress, f"embedding {kind}s") as advance:
            item_vectors(texts, summaries, advance)
        return new

    # Scoring
    def candidate_count(self, size: int, k: int) -> int:
        """How many items the cross-encoder scores for a registry of ``size`` items and a top ``k``."""
        if self.candidates is not None:
            return min(size, self.candidates)
        if size <= FULL_RERANK_LIMIT:
            return size
        return min(size, max(MIN_CANDIDATES, CANDIDATES_PER_K * k))

    def rerank_mode(self, kind: ItemKind) -> Literal["cross-encoder", "none"]:
        """How candidates of ``kind`` are scored: the router's ``rerank``, with ``"auto"`` resolved by
        the model (``auto_rerank``; other models rerank). The bundled model skips its pass for tools,
        where the committed full run shows +0.006 MRR on BFCL (and −0.007 cross-lingually) for 166 ms
        instead of 27 ms p50 at 100 tools, and runs it for tables: +0.006 MRR on held-out tables
        (−0.003 on Spider's 80 tables, within noise) at 82 ms p50, within budget because few
        candidates can still reach the top k (:func:`reachable_scores`)."""
        if self.rerank != "auto":
            return self.rerank
        choice = getattr(self.reranker, "auto_rerank", {}).get(kind, "cross-encoder")
        return "none" if choice == "none" else "cross-encoder"

    def _first_stage_index(self, kind: ItemKind, items: Sequence[Item]) -> FirstStageIndex:
        return FirstStageIndex([i.text for i in items], self.first_stage, self._query_adapter(kind),
                               summaries_of(items))

    def _query_adapter(self, kind: ItemKind) -> QueryAdapter | None:
        """The reranker's e5 query adapter for ``kind``, if it ships one."""
        return getattr(self.reranker, "query_adapters", {}).get(kind)

    def _pool(self, kind: ItemKind) -> list[Item]:
        """The registry's items of ``kind`` in registry order, kept until the registry changes: listing
        10,000 items took 8 ms of every request. Callers must not change the list."""
        with self._lock:
            cached = self._pools.get(kind)
            if cached is None or cached[0] != self.registry.version:
                cached = (self.registry.version, [item for item in self.registry.values() if item.kind == kind])
                self._pools[kind] = cached
            return cached[1]

    def _index(self, kind: ItemKind, pool: list[Item]) -> FirstStageIndex:
        """The first-stage index of ``pool`` (a :meth:`_pool` list), cached while ``pool`` is the
        registry's current one."""
        with self._lock:
            cached = self._indexes.get(kind)
            if cached is not None and cached[0] is pool:
                return cached[1]
            index = self._first_stage_index(kind, pool)
            if pool is self._pool(kind):
                self._indexes[kind] = (pool, index)
            return index

    def _group_index(self, pool: Sequence[Item]) -> GroupIndex | None:
        """The groups of tools ``pool``, or None when there are fewer than two groups to tell apart;
        cached while ``pool`` is the registry's current tool pool (:meth:`_pool`)."""
        with self._lock:
            if self._groups is not None and self._groups[0] is pool:
                return self._groups[1]
        names = [self.registry.group_of(item) for item in pool]
        index = None
        if len({n for n in names if n}) >= 2:
            descriptions = {name: group.description for name, group in self.registry.groups.items()}
            aliases = {name: group.aliases for name, group in self.registry.groups.items() if group.aliases}
            vectors = item_vectors([item.text for item in pool], summaries_of(pool))
            index = GroupIndex(names, vectors, descriptions, aliases)
            index = index if len(index) >= 2 else None
        with self._lock:
            if pool is self._pool("tool"):
                self._groups = (pool, index)
        return index

    def _names_index(self, kind: ItemKind) -> dict[str, list[str]]:
        with self._lock:
            cached = self._names.get(kind)
            if cached is None or cached[0] != self.registry.version:
                cached = (self.registry.version, names_index(item.name for item in self._pool(kind)))
                self._names[kind] = cached
            return cached[1]

    def rank(self, query: str, kind: ItemKind = "tool", k: int | None = None,
             items: Sequence[Item] | None = None) -> list[ScoredItem]:
        """Score candidates of ``kind`` for ``query``; best first.

        Args:
            query: The request text.
            kind: ``"tool"`` or ``"table"``. Defaults to "tool".
            k: The top-k the caller will keep: sizes the first-stage cut-off, and the model scores
                only candidates that can still reach the top k (see :func:`reachable_scores`). Defaults to all.
            items: Score these instead of the registry's items of ``kind``. Defaults to None.
        """
        return self._rank(query, kind, k, items, k, set())[0]

    def _rank(self, query: str, kind: ItemKind, k: int | None, items: Sequence[Item] | None,
              exact: int | None, keep: set[str]) -> tuple[list[ScoredItem], str]:
        """:meth:`rank`, with the model's pass exact for the top ``exact`` and for the items named
        in ``keep`` (a selection's kept items, which do not count against its ``k``); and the text
        routed on (:meth:`_routed_text`)."""
        text = clean_query(query)
        pool = list(items) if items is not None else self._pool(kind)
        if not pool:
            return [], text
        count = self.candidate_count(len(pool), k if k is not None else len(pool))
        index = None
        if count < len(pool):
            # A caller's own items get a one-off index, built outside the router's lock.
            index = self._index(kind, pool) if items is None else self._first_stage_index(kind, pool)
        text = self._routed_text(text, kind, pool, index)
        groups = self._group_index(pool) if kind == "tool" and self.groups else None
        named = groups.named(text) if groups is not None else None
        picked = np.arange(len(pool))
        stage_rank: dict[int, int] = {}
        fused = None
        if index is not None:
            fused = index.fused(text)
            order = np.argsort(-fused, kind="stable")
            stage_rank = {int(i): rank for rank, i in enumerate(order, start=1)}
            picked = order[:count]
            if named is not None and named.any():
                # A service the request names gets its best tools scored even past the cut-off.
                in_named = named[groups.item_group[order]] & (groups.item_group[order] >= 0)
                taken = set(picked.tolist())
                extra = [i for i in order[in_named][:NAMED_GROUP_CANDIDATES] if i not in taken]
                picked = np.concatenate([picked, np.asarray(extra, dtype=picked.dtype)])
        chosen = [pool[i] for i in picked]
        texts = [item.text for item in chosen]
        weights = getattr(self.reranker, "blend", {}).get(kind, Blend())
        reranks = self.rerank_mode(kind) != "none"
        if not reranks:
            # The blend without the model's share; e5 alone when the model blends nothing in.
            share = weights.bi_encoder + weights.lexical
            bi_share = weights.bi_encoder / share if share else 1.0
            weights = Blend(bi_share, max(0.0, 1.0 - bi_share))  # exact sum 1: the model gets no weight
        bi, lexical = None, None
        if weights.bi_encoder:
            adapter = self._query_adapter(kind)
            vectors = item_vectors(texts, summaries_of(chosen))
            bi = bi_encoder_relevance(relevance_cosines(vectors, EMBEDDINGS.query(text, adapter)), adapter)
        if weights.lexical:
            lexical = lexical_relevance(text, texts)
        # Everything but the model's share first: the model adds its weight times [0, 1] to it.
        scores = np.zeros(len(texts), np.float32) + retrieval_share(
            0.0 if bi is None else bi, 0.0 if lexical is None else lexical, weights)
        group_of = np.full(len(chosen), -1)
        group_relevance = np.zeros(0, np.float32)
        name_penalty = np.zeros(len(chosen), np.float32)
        penalized = np.zeros(len(chosen), bool)
        if groups is not None and named is not None:
            group_of = groups.item_group[picked]
            cosines = groups.cosines(EMBEDDINGS.query(text))
            group_relevance = bi_encoder_relevance(cosines)
            grouped = group_of >= 0
            # Tools of groups less related to the request than the best group lose score; ungrouped
            # tools and the best group's keep theirs.
            shortfall = np.where(grouped, cosines[group_of] - cosines.max(), 0.0)
            penalized = grouped & (groups.sizes[np.maximum(group_of, 0)] >= NAME_LENGTH_MIN_TOOLS)
            name_penalty = np.array([name_length_penalty(item, groups.names[g]) if penalize else 0.0
                                     for item, g, penalize in zip(chosen, group_of, penalized)], np.float32)
            scores = (scores + GROUP_WEIGHT * shortfall + NAMED_GROUP_BONUS * (grouped & named[group_of])
                      - name_penalty).astype(np.float32)
        model = np.full(len(texts), np.nan, dtype=np.float32)
        if reranks:
            model = reachable_scores(scores, weights.model_weight, exact,
                                     lambda picks: self.reranker.score(text, [texts[i] for i in picks]),
                                     [i for i, item in enumerate(chosen) if item.name in keep])
            scores = (scores + weights.model_weight * np.nan_to_num(model)).astype(np.float32)
        order = sorted(range(len(chosen)), key=lambda i: (-scores[i], i))
        ranking = [ScoredItem(chosen[i], float(scores[i]), rank, model_score=float(model[i]),
                              bi_encoder=None if bi is None else float(bi[i]),
                              lexical=None if lexical is None else float(lexical[i]),
                              first_stage_rank=stage_rank.get(int(picked[i])),
                              first_stage_score=None if fused is None else float(fused[picked[i]]),
                              group=groups.names[group_of[i]] if group_of[i] >= 0 else None,
                              group_score=float(group_relevance[group_of[i]]) if group_of[i] >= 0 else None,
                              group_named=bool(group_of[i] >= 0 and named[group_of[i]]),
                              name_penalty=float(name_penalty[i]) if penalized[i] else None)
                   for rank, i in enumerate(order, start=1)]
        return ranking, text

    def _routed_text(self, text: str, kind: ItemKind, pool: Sequence[Item], index: FirstStageIndex | None) -> str:
        """``text`` without its payload (:func:`~toolrouter.payload.without_payload`) where what is left
        matches some item at least as well as the whole request does (e5 relevance over ``pool``): a
        task before a colon routes alone, a preamble before one (``here's what I need: book a
        flight``) keeps the request whole."""
        stripped = without_payload(text)
        if stripped == text:
            return text
        vectors = index.vectors if index is not None else None
        if vectors is None:
            vectors = item_vectors([item.text for item in pool], summaries_of(pool))
        adapter = self._query_adapter(kind)
        best_stripped, best_whole = (float(relevance_cosines(vectors, EMBEDDINGS.query(t, adapter)).max())
                                     for t in (stripped, text))
        return stripped if best_stripped >= best_whole else text

    def threshold_for(self, kind: ItemKind) -> float:
        """The calibrated no-tool threshold (``threshold="auto"``) for scores of ``kind`` as this router
        makes them: the model's ``no_rerank_threshold`` when it skips its pass (and calibrated one),
        else its ``default_threshold``."""
        calibrated = getattr(self.reranker, "no_rerank_threshold", None)
        if self.rerank_mode(kind) == "none" and calibrated is not None:
            return float(calibrated)
        return float(getattr(self.reranker, "default_threshold", 0.5))

    def _threshold(self, threshold: float | Literal["auto"] | None, kind: ItemKind) -> float | None:
        value = self.threshold if threshold is None else threshold
        return self.threshold_for(kind) if value == "auto" else value

    def _select(self, query: str, kind: ItemKind, k: int, threshold: float | Literal["auto"] | None,
                keep: Iterable[tuple[str, Reason]]) -> tuple[list[Selection], list[ScoredItem], str]:
        """The kept and top-k items, the full ranking they were taken from, and the text routed on."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        kept: dict[str, Reason] = {}
        for name, reason in keep:
            item = self.registry.get(name)
            if item is not None and item.kind == kind:
                kept.setdefault(name, reason)
        clean_query(query)  # an unusable query raises QueryError before it is searched for names
        for name in named_items(query, self._names_index(kind)):
            kept.setdefault(name, "named")
        # Kept items are skipped below without counting against k: the top k + len(kept) must be exact.
        ranked, routed = self._rank(query, kind, k, None, k + len(kept), set(kept))
        limit = self._threshold(threshold, kind)
        selections: list[Selection] = []
        scores = {s.item.name: s.score for s in ranked}
        for name, reason in kept.items():
            selections.append(Selection(name, scores.get(name, float("nan")), self.registry[name],
                                        len(selections) + 1, reason))
        taken = 0
        for scored in ranked:
            if taken >= k or (limit is not None and scored.score < limit):
                break
            if scored.item.name in kept:
                continue
            selections.append(Selection(scored.item.name, scored.score, scored.item, len(selections) + 1))
            taken += 1
        return selections, ranked, routed

    def select_tools(
        self,
        query: str | None = None,
        k: int = 5,
        threshold: float | Literal["auto"] | None = None,
        always: Iterable[str] = (),
        messages: Any = None,
    ) -> list[Selection]:
        """The tools to show the model for ``query``, best first.

        Args:
            query: The request. Derived from ``messages`` when None. Defaults to None.
            k: Ranked tools to return (``always`` and already-called tools come on top). Defaults to 5.
            threshold: Minimum score for ranked tools; overrides the router's. Defaults to None.
            always: Tool names kept regardless of score; they do not count against ``k``. Defaults to ().
                Tools the request names are kept the same way (``reason="named"``): by full name
                or by short name without the namespace (``ask_codex`` keeps ``server__ask_codex``),
                for names written like code (``send_email``, ``getWeather``), never plain words.
            messages: An OpenAI-style conversation (Chat Completions messages or Responses input):
                routes on the latest user intent and keeps tools already called. Defaults to None.

        Raises:
            QueryError: Neither a query nor a user message to route on.
        """
        return self._select_tools(query, k, threshold, always, messages)[0]

    def _select_tools(self, query: str | None, k: int, threshold: float | Literal["auto"] | None,
                      always: Iterable[str], messages: Any) -> tuple[list[Selection], list[ScoredItem], str, str]:
        """``select_tools``'s selections, the ranking they came from, the query (given or taken from
        ``messages``) and the text routed on."""
        keep: list[tuple[str, Reason]] = [(name, "always") for name in always]
        if messages is not None:
            keep += [(name, "called") for name in called_tools(messages)]
            if query is None:
                query = routing_query(messages)
        text = query if query is not None else ""
        if not self.registry.tools:
            return [], [], text, text
        selections, ranked, routed = self._select(text, "tool", k, threshold, keep)
        return selections, ranked, text, routed

    def select_tables(
        self,
        question: str,
        k: int = 3,
        threshold: float | Literal["auto"] | None = None,
        always: Iterable[str] = (),
        expand: Expand | None = "fk",
    ) -> list[Selection]:
        """The tables to show the model for ``question``, best first, then the tables joining them.

        Args:
            question: The natural-language question.
            k: Ranked tables to return. Defaults to 3.
            threshold: Minimum score for ranked tables; overrides the router's. Defaults to None.
            always: Table names kept regardless of score. Defaults to ().
            expand: ``"fk"`` appends the tables needed to join the selected ones through foreign keys
                (``reason="bridge"``, see :mod:`toolrouter.sql.joins`); None adds nothing. Defaults to "fk".
        """
        return self._select_tables(question, k, threshold, always, expand)[0]

    def _select_tables(self, question: str, k: int, threshold: float | Literal["auto"] | None,
                       always: Iterable[str], expand: Expand | None) -> tuple[list[Selection], list[ScoredItem], str]:
        """``select_tables``'s selections, the ranking they came from and the text routed on."""
        if expand not in ("fk", None):
            raise ValueError(f"expand must be one of 'fk', None, got {expand!r}")
        if not self.registry.tables:
            return [], [], question
        selections, ranked, routed = self._select(question, "table", k, threshold,
                                                  [(name, "always") for name in always])
        if expand == "fk":
            from toolrouter.sql.joins import bridge_tables

            scores = {s.item.name: s.score for s in ranked}
            for bridge in bridge_tables(self.registry.tables, [s.name for s in selections], priority=list(scores)):
                selections.append(Selection(bridge.name, scores.get(bridge.name, float("nan")),
                                            self.registry[bridge.name], len(selections) + 1, "bridge", bridge.note))
        return selections, ranked, routed

    def explain(
        self,
        query: str | None = None,
        kind: ItemKind = "tool",
        k: int | None = None,
        threshold: float | Literal["auto"] | None = None,
        always: Iterable[str] = (),
        messages: Any = None,
    ) -> Explanation:
        """The selection for ``query`` with everything it was made from, for debugging a ranking.

        Runs exactly what :meth:`select_tools` (``kind="tool"``) or :meth:`select_tables`
        (``kind="table"``, foreign-key bridges included) run with the same arguments, and returns
        their selections together with every candidate's first-stage rank and score, the
        reranker's score (where it ran), the blended components and the threshold.

        Args:
            query: The request. For tools, derived from ``messages`` when None. Defaults to None.
            kind: ``"tool"`` or ``"table"``. Defaults to "tool".
            k: Ranked items to select. Defaults to 5 for tools, 3 for tables (as the select methods).
            threshold: Minimum score; overrides the router's. Defaults to None.
            always: Names kept regardless of score. Defaults to ().
            messages: An OpenAI-style conversation (tools only). Defaults to None.

        Raises:
            QueryError: Neither a query nor a user message to route on.
            ValueError: ``kind`` is not "tool" or "table", or ``messages`` are given for tables.
        """
        if kind == "tool":
            k = 5 if k is None else k
            selections, ranking, text, routed = self._select_tools(query, k, threshold, always, messages)
        elif kind == "table":
            if messages is not None:
                raise ValueError("messages route tools only; pass the question as query for tables")
            k = 3 if k is None else k
            text = query if query is not None else ""
            selections, ranking, routed = self._select_tables(text, k, threshold, always, "fk")
        else:
            raise ValueError(f"kind must be one of 'tool', 'table', got {kind!r}")
        pool = len(self._pool(kind))
        staged = self.candidate_count(pool, k) < pool
        return Explanation(query=clean_query(text) if ranking else text, kind=kind, selections=selections,
                           ranking=ranking, pool=pool, first_stage=self.first_stage if staged else None,
                           threshold=self._threshold(threshold, kind) if ranking else None, k=k,
                           rerank=self.rerank_mode(kind), routed_text=routed)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save the registry (atomically) to ``path``."""
        self.registry.save(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], model: str | Reranker | None = None, **options: Any) -> Router:
        """A router over the registry saved at ``path``."""
        return cls(model, registry=Registry.load(path), **options)
