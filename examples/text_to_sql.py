"""Text-to-SQL with table pruning: the model sees only the tables a question needs.

On the retail database that ships with toolrouter (34 tables), this example

1. ranks the tables for a question and adds the tables that join them through foreign keys;
2. builds the prompt an LLM would get: the selected CREATE TABLE statements, columns pruned to the
   keys and the question's columns, written by sqlglot for PostgreSQL, and the tokens it saves;
3. checks three answers the way the pipeline checks a model's reply (a write, an unknown column,
   a good query) and runs the good one on a read-only connection.

With an OpenAI-compatible model, ``toolrouter.sql.ask(question, router, db, model=...)`` does all of
it in one call. This example stays offline. Run::

    python examples/text_to_sql.py
"""

from __future__ import annotations

from toolrouter import Router
from toolrouter.demo import DEMO_DB
from toolrouter.errors import SQLValidationError
from toolrouter.sql import build_prompt, execute, prune_columns, validate_sql

QUESTION = "How much did each customer spend in total?"
# Replies a model might give; only the last one is acceptable.
REPLIES = [
    "DELETE FROM transactions WHERE quantity = 0",
    "SELECT nickname, SUM(total_price) FROM customer_personal_info GROUP BY nickname",
    """SELECT c.first_name, c.last_name, ROUND(SUM(t.total_price), 2) AS spent
       FROM transactions AS t
       JOIN customer_personal_info AS c ON c.customer_id = t.customer_id
       GROUP BY c.customer_id
       ORDER BY spent DESC""",
]


def main() -> None:
    router = Router()
    router.add_database(f"sqlite:///{DEMO_DB}")
    print(f"{len(router.registry.tables)} tables in {DEMO_DB.name}\n\nQuestion: {QUESTION}")

    selections = router.select_tables(QUESTION, k=3)
    for s in selections:
        detail = f"  ({s.note})" if s.note else ""
        print(f"  {s.rank}. {s.name:24s} {s.reason:7s} score {s.score:.3f}{detail}")

    prompt = build_prompt(QUESTION, [prune_columns(s.item, QUESTION) for s in selections], "postgres",
                          all_tables=router.registry.tables, selections=selections)
    print(f"\nPrompt for the model (PostgreSQL, pruned columns):\n{prompt.user}\n")
    print(f"schema tokens: {prompt.schema_tokens} of {prompt.full_schema_tokens} ({prompt.saved_share:.0%} saved)\n")

    for reply in REPLIES:
        try:
            checked = validate_sql(reply, router, "sqlite")
        except SQLValidationError as error:
            print(f"refused: {error}")
            continue
        result = execute(checked, DEMO_DB, max_rows=5)
        print(f"accepted and run read-only:\n{checked}\n")
        print(" | ".join(result.columns))
        for row in result.rows:
            print(" | ".join(map(str, row)))


if __name__ == "__main__":
    main()
