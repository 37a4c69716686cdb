"""Fixtures of the text-to-SQL tests."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from toolrouter.rerank.base import BaseReranker

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


class WordOverlapReranker(BaseReranker):
    """A deterministic reranker: the share of query words found in the text (snake/camelCase split)."""

    def __init__(self) -> None:
        super().__init__("word-overlap")

    def _score_pairs(self, pairs):
        def words(text: str) -> set[str]:
            return {w.lower() for w in re.findall(r"[A-Za-z]+", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text))}

        return np.array([len(words(q) & words(t)) / max(len(words(q)), 1) for q, t in pairs], dtype=np.float32)


@pytest.fixture()
def overlap_reranker() -> WordOverlapReranker:
    return WordOverlapReranker()


@pytest.fixture(scope="session")
def announcement_ddl() -> str:
    return (EXAMPLES / "announcement_tables.sql").read_text(encoding="utf-8")
