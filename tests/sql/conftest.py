"""Fixtures of the text-to-SQL tests."""

from __future__ import annotations

import re
import sqlite3
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


@pytest.fixture()
def shop_db(tmp_path, announcement_ddl) -> Path:
    """The announcement's four tables with a few rows, as a SQLite file."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.executescript(announcement_ddl)
        db.executemany("INSERT INTO customer_personal_info (customer_id, first_name, city) VALUES (?, ?, ?)",
                       [(1, "Anna", "Berlin"), (2, "Ben", "Munich")])
        db.executemany("INSERT INTO products (product_id, product_name, category, price) VALUES (?, ?, ?, ?)",
                       [(1, "Linen Summer Dress", "Summer Apparel", 59.0), (2, "Rain Jacket", "Outerwear", 89.0)])
        db.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?)",
                       [(i, i % 2 + 1, i % 2 + 1, f"2025-06-{20 + i}", 1, 10.0 * i) for i in range(1, 6)])
    db.close()
    return path
