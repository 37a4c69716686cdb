"""Column pruning: show the model a table's keys and the columns the question is about.

The rule is lexical and documented so its output is predictable:

1. Key columns are always kept: the primary key and every foreign-key column, so joins stay
   writable.
2. A column is kept when a word of its name or comment matches a word of the question. Words are
   split on snake_case and camelCase, lowercased, must have at least ``MIN_WORD_LENGTH`` letters
   and not be in ``STOP_WORDS``, and are compared by their Snowball English stem
   (``categories``/``category`` → ``categori``, ``ordered``/``orders`` → ``order``; the stemmer
   first-stage BM25 uses, :func:`toolrouter.retrieve.stem`).
3. When fewer than ``min_columns`` non-key columns matched, the first non-key columns in
   declaration order fill up to ``min_columns`` (they are usually the name or title columns
   that any answer shows).

Columns keep their declaration order; the table's foreign keys and comment are unchanged.
"""

from __future__ import annotations

from dataclasses import replace

from toolrouter.registry.items import TableItem
from toolrouter.retrieve import bm25_tokens, stem

# Non-key columns a pruned table keeps at least (fewer only if the table has fewer).
DEFAULT_MIN_COLUMNS = 3
# Shorter words ("id", "of", "a") never match on their own.
MIN_WORD_LENGTH = 3
# Frequent words that would match column comments without saying anything about the question.
STOP_WORDS = frozenset({
    "the", "and", "for", "are", "was", "were", "has", "have", "had", "with", "from", "that", "this", "what", "which",
    "who", "whom", "whose", "when", "where", "how", "all", "any", "each", "many", "much", "not", "than", "then", "them",
    "they", "their", "there", "these", "those", "into", "per", "its", "our", "you", "your",
})


def content_words(text: str) -> set[str]:
    """The stemmed, lowercased words of ``text`` that can match (see the module docstring)."""
    return set(stem([w for w in bm25_tokens(text) if len(w) >= MIN_WORD_LENGTH and w not in STOP_WORDS]))


def prune_columns(table: TableItem, question: str, *, min_columns: int = DEFAULT_MIN_COLUMNS) -> TableItem:
    """A copy of ``table`` with only its key columns and the columns that matter to ``question``.

    Args:
        table: The table to prune.
        question: The natural-language question.
        min_columns: Non-key columns kept at least, filled in declaration order when fewer
            match. Defaults to ``DEFAULT_MIN_COLUMNS``.
    """
    keys = set(table.primary_key)
    for key in table.foreign_keys:
        keys.update(key.columns)
    asked = content_words(question)
    matched = {c.name for c in table.columns
               if c.name not in keys and content_words(f"{c.name} {c.comment}") & asked}
    for column in table.columns:
        if len(matched) >= min_columns:
            break
        if column.name not in keys:
            matched.add(column.name)
    kept = tuple(c for c in table.columns if c.name in keys or c.name in matched)
    return table if len(kept) == len(table.columns) else replace(table, columns=kept)
