"""The text-to-SQL pipeline: route → prune → prompt → generate → validate → execute.

::

    from toolrouter import Router
    from toolrouter.sql import ask

    answer = ask("which customers bought a summer outfit in the past 7 days?", Router(),
                 "sqlite:///shop.db", model="gpt-4o-mini")
    answer.sql, answer.result.rows

The router picks the tables (with the tables that join them), the prompt shows their CREATE TABLE
statements in the database's dialect, an OpenAI-compatible chat model writes the SQL, and the
SQL runs only after :func:`~toolrouter.sql.validate_sql` accepted it, on a read-only connection.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolrouter.errors import MissingDependencyError, SQLGenerationError
from toolrouter.sql.execute import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    QueryResult,
    dialect_of,
    execute,
    reflect_read_only,
)
from toolrouter.sql.prompt import SQLPrompt, build_prompt, check_dialect
from toolrouter.sql.prune import prune_columns
from toolrouter.sql.validate import DEFAULT_LIMIT, validate_sql

if TYPE_CHECKING:
    import sqlalchemy as sa

    from toolrouter.router import Router, Selection

# The chat model asked for SQL when none is named.
DEFAULT_LLM = "gpt-4o-mini"
# A fenced code block (```sql ... ```); the language tag is optional.
_FENCE = re.compile(r"```[ \t]*[A-Za-z]*[ \t]*\r?\n(.*?)```", re.DOTALL)


def openai_client(base_url: str | None = None) -> Any:
    """An ``openai.OpenAI`` client for ``base_url`` (default: ``OPENAI_BASE_URL`` or OpenAI's API).

    The key is ``OPENAI_API_KEY``; with a ``base_url`` and no key, a placeholder is sent, since
    local OpenAI-compatible servers accept any key and the client insists on one.

    Raises:
        MissingDependencyError: ``openai`` is not installed.
        SQLGenerationError: No key and no ``base_url``: no model is configured.
    """
    try:
        import openai
    except ImportError as exc:
        raise MissingDependencyError("openai", "sql") from exc
    key = os.environ.get("OPENAI_API_KEY") or ("unused" if base_url else None)
    try:
        return openai.OpenAI(base_url=base_url, api_key=key)
    except openai.OpenAIError as exc:
        raise SQLGenerationError(
            f"no model configured ({exc}): set OPENAI_API_KEY or pass a client for an OpenAI-compatible server"
        ) from exc


def extract_sql(reply: str) -> str:
    """The SQL in a model's reply: the first fenced block when there is one, else the whole reply."""
    fenced = _FENCE.search(reply)
    return (fenced.group(1) if fenced else reply).strip()


@dataclass(frozen=True)
class SQLAnswer:
    """One question's trip through the pipeline.

    Attributes:
        prompt: What the model was shown (its ``selections``, ``tables`` and token counts).
        reply: The model's raw reply.
        sql: The SQL that ran: validated, limited, in the prompt's dialect.
        result: The rows.
    """

    prompt: SQLPrompt
    reply: str
    sql: str
    result: QueryResult

    @property
    def question(self) -> str:
        return self.prompt.question

    @property
    def selections(self) -> tuple[Selection, ...]:
        """The tables the router chose, ranked then bridging."""
        return self.prompt.selections


class SQLPipeline:
    """Answers questions about one database with SQL written by a chat model.

    Args:
        router: Routes the question to tables. When its registry has no tables, the database's
            tables are reflected into it (read-only) first.
        db: A SQLAlchemy URL or engine, or a SQLite file path.
        client: An ``openai.OpenAI`` client (any OpenAI-compatible server via ``base_url``).
            Defaults to :func:`openai_client`, configured by ``OPENAI_API_KEY``/``OPENAI_BASE_URL``.
        model: The chat model's name. Defaults to ``DEFAULT_LLM``.
        dialect: The sqlglot dialect of the database. Defaults to the one of ``db``'s backend.
        k: Tables ranked for the question (bridging tables come on top). Defaults to 3.
        prune: Prune the tables' columns (see :func:`~toolrouter.sql.prune_columns`). Defaults to False.
        timeout: Seconds a query may run. Defaults to ``DEFAULT_TIMEOUT``.
        max_rows: Rows fetched at most. Defaults to ``DEFAULT_MAX_ROWS``.
        limit: LIMIT added to queries without one. Defaults to ``DEFAULT_LIMIT``.
    """

    def __init__(self, router: Router, db: str | os.PathLike[str] | sa.URL | sa.Engine, *, client: Any = None,
                 model: str = DEFAULT_LLM, dialect: str | None = None, k: int = 3, prune: bool = False,
                 timeout: float = DEFAULT_TIMEOUT, max_rows: int = DEFAULT_MAX_ROWS,
                 limit: int | None = DEFAULT_LIMIT) -> None:
        self.router = router
        self.db = db
        self.client = client
        self.model = model
        self.dialect = check_dialect(dialect) if dialect else dialect_of(db)
        self.k = k
        self.prune = prune
        self.timeout = timeout
        self.max_rows = max_rows
        self.limit = limit

    def prompt(self, question: str) -> SQLPrompt:
        """Route ``question`` to tables and build the prompt (no model call)."""
        registry = self.router.registry
        if not registry.tables:
            registry.add(reflect_read_only(self.db))
        selections = self.router.select_tables(question, k=self.k)
        tables = [s.item for s in selections]
        if self.prune:
            tables = [prune_columns(t, question) for t in tables]
        return build_prompt(question, tables, self.dialect, all_tables=registry.tables, selections=selections)

    def generate(self, prompt: SQLPrompt) -> str:
        """The model's reply to ``prompt``.

        Raises:
            SQLGenerationError: No model configured, the call failed or the reply is empty.
            MissingDependencyError: ``openai`` is not installed.
        """
        client = self.client if self.client is not None else openai_client()
        import openai  # installed: the client is one of its objects

        try:
            response = client.chat.completions.create(model=self.model, messages=prompt.messages)
        except openai.OpenAIError as exc:
            raise SQLGenerationError(f"model {self.model!r} could not be called: {exc}") from exc
        reply = response.choices[0].message.content if response.choices else None
        if not reply or not extract_sql(reply):
            raise SQLGenerationError(f"model {self.model!r} returned no SQL")
        return reply

    def ask(self, question: str) -> SQLAnswer:
        """Route, prompt, generate, validate and execute.

        Raises:
            SQLGenerationError: No usable reply from the model.
            SQLValidationError: The model's SQL was refused (unknown table or column, a write ...).
            SQLExecutionError: The database refused it or it timed out.
        """
        prompt = self.prompt(question)
        reply = self.generate(prompt)
        sql = validate_sql(extract_sql(reply), self.router, self.dialect, limit=self.limit)
        return SQLAnswer(prompt, reply, sql, execute(sql, self.db, timeout=self.timeout, max_rows=self.max_rows))


def ask(question: str, router: Router, db: str | os.PathLike[str] | sa.URL | sa.Engine, **options: Any) -> SQLAnswer:
    """Answer ``question`` from ``db`` (see :class:`SQLPipeline` for ``options``)."""
    return SQLPipeline(router, db, **options).ask(question)
