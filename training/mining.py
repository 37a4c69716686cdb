"""Hard-negative mining: BM25 over item texts, plus the helpers that assemble negative lists.

A cross-encoder learns most from negatives that look relevant on the surface, so candidates are
ranked with BM25 (``bm25s``) against the query. Identifiers are split (``getWeatherData`` ->
``get Weather Data``, ``list_id`` -> ``list id``) so names match the words of a question.
"""

from __future__ import annotations

import random
import re
from collections.abc import Container, Iterable, Sequence

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

_IDENTIFIER_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|_")
_WORD = re.compile(r"\w\w+")
_STOPWORDS = frozenset(STOPWORDS_EN)


def bm25_tokens(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` with identifiers split and English stopwords removed."""
    words = _WORD.findall(_IDENTIFIER_BREAK.sub(" ", text).lower())
    return [word for word in words if word not in _STOPWORDS]


class Bm25Index:
    """A BM25 index over a fixed list of texts, answering with positions in that list."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._bm25 = bm25s.BM25()
        self._bm25.index([bm25_tokens(text) or ["_"] for text in texts], show_progress=False)

    def rank(self, query: str, exclude: Container[int] = (), limit: int = 20) -> list[int]:
        """Positions of the best-matching texts (score > 0, best first, ties by position)."""
        tokens = bm25_tokens(query)
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        ranked: list[int] = []
        for position in map(int, np.argsort(-scores, kind="stable")):
            if scores[position] <= 0 or len(ranked) >= limit:
                break
            if position not in exclude:
                ranked.append(position)
        return ranked


def distinct_negatives(
    candidates: Iterable[str], positives: Iterable[str], blocked: Container[str], limit: int
) -> list[str]:
    """The first ``limit`` candidates, in order, that are new, not positive and not blocked."""
    seen = set(positives)
    chosen: list[str] = []
    for text in candidates:
        if len(chosen) >= limit:
            break
        if text not in seen and text not in blocked:
            seen.add(text)
            chosen.append(text)
    return chosen


def sample_texts(rng: random.Random, pool: Sequence[str], count: int, avoid: Container[str]) -> list[str]:
    """``count`` distinct texts drawn from ``pool`` (deterministic for a given ``rng`` state),
    skipping the ones in ``avoid``; fewer when the pool runs out."""
    if count <= 0:
        return []
    chosen: list[str] = []
    for position in rng.sample(range(len(pool)), min(len(pool), 3 * count + 8)):
        text = pool[position]
        if text not in avoid and text not in chosen:
            chosen.append(text)
            if len(chosen) == count:
                break
    return chosen
