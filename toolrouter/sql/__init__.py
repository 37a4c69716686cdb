"""Text-to-SQL: pick the tables a question needs, prompt a model, check and run its SQL safely.

One module per stage, each consuming the previous one's output:

- :mod:`~toolrouter.sql.joins`: tables that join the selected ones through foreign keys
  (``Router.select_tables(..., expand="fk")`` uses it);
- :mod:`~toolrouter.sql.prune`: keep a table's key columns and those the question is about;
- :mod:`~toolrouter.sql.prompt`: CREATE TABLE statements in the target dialect (sqlglot);
- :mod:`~toolrouter.sql.validate`: one read-only statement over known tables and columns, LIMITed;
- :mod:`~toolrouter.sql.execute`: run it on a read-only connection with a timeout and a row cap;
- :mod:`~toolrouter.sql.pipeline`: all of it with an OpenAI-compatible chat model.

sqlglot, SQLAlchemy and openai are imported only when a function needs them.
"""

from toolrouter.sql.execute import QueryResult, dialect_of, execute, read_only_engine, reflect_read_only
from toolrouter.sql.joins import Bridge, bridge_tables, fk_graph
from toolrouter.sql.pipeline import SQLAnswer, SQLPipeline, ask, extract_sql
from toolrouter.sql.prompt import SQLPrompt, build_prompt, create_table_sql, schema_sql
from toolrouter.sql.prune import prune_columns
from toolrouter.sql.validate import validate_sql

__all__ = [
    "Bridge",
    "QueryResult",
    "SQLAnswer",
    "SQLPipeline",
    "SQLPrompt",
    "ask",
    "bridge_tables",
    "build_prompt",
    "create_table_sql",
    "dialect_of",
    "execute",
    "extract_sql",
    "fk_graph",
    "prune_columns",
    "read_only_engine",
    "reflect_read_only",
    "schema_sql",
    "validate_sql",
]
