"""``toolrouter demo``: the Jina Reranker v2 announcement's examples, offline, in a few seconds.

1. Function calling: the announcement's three tools and its road-trip request, in English,
   German and Japanese.
2. Tables: the retail database shipped with the package (``data/retail.db``: the announcement's
   four tables among 30 distractors); the router ranks tables and adds the ones that join them.
3. The pruned SQL prompt and the tokens it saves against sending the whole schema.
4. A hand-written answer to the question, validated and run on a read-only connection.

"The past 7 days" means the 7 days up to the newest transaction in the database (``DEMO_SQL``),
so the answer does not depend on today's date.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table

from toolrouter.router import Router

DATA = Path(__file__).resolve().parent / "data"
# The announcement's tool specs (a copy of schemas/examples/announcement_tools.json).
TOOLS_FILE = DATA / "announcement_tools.json"
# The demo's SQLite database, built by scripts/make_demo_db.py.
DEMO_DB = DATA / "retail.db"
# The announcement's function-calling request, and the same request in German and Japanese.
TOOL_REQUESTS = {
    "English": "I am planning a road trip from Berlin to Munich in my Volkswagen VII. "
               "Can you calculate the carbon footprint of this trip?",
    "German": "Ich plane einen Roadtrip von Berlin nach München mit meinem Volkswagen VII. "
              "Kannst du den CO2-Fußabdruck dieser Reise berechnen?",
    "Japanese": "フォルクスワーゲンVIIでベルリンからミュンヘンまでドライブ旅行を計画しています。"
                "この旅行のカーボンフットプリントを計算してもらえますか？",
}
# The announcement's text-to-SQL question.
TABLE_QUESTION = "which customers bought a summer outfit in the past 7 days?"
# A question whose best tables do not join directly, so bridging tables are added.
BRIDGE_QUESTION = "which suppliers make the products that customers from Berlin bought?"
# Ranked tables per question.
TABLE_K = 3
# A hand-written answer to TABLE_QUESTION; "today" is the newest transaction date.
DEMO_SQL = """\
SELECT DISTINCT c.first_name, c.last_name, c.city, p.product_name, t.transaction_date
FROM transactions AS t
JOIN customer_personal_info AS c ON c.customer_id = t.customer_id
JOIN products AS p ON p.product_id = t.product_id
WHERE p.category = 'Summer Apparel'
  AND t.transaction_date > DATE((SELECT MAX(transaction_date) FROM transactions), '-7 days')
ORDER BY t.transaction_date DESC, c.last_name"""
# Answer rows shown.
DEMO_ROWS = 10


def run_demo(model: str | None = None, console: Console | None = None) -> None:
    """Print the demo.

    Args:
        model: Reranker model directory or cached hub id; None for the bundled model. Defaults to None.
        console: Where to print. Defaults to a new rich console on stdout.
    """
    from toolrouter.cli import result_table, savings_text, selection_table
    from toolrouter.sql import build_prompt, execute, prune_columns, reflect_read_only, validate_sql

    console = console or Console()
    router = Router(model)
    router.add_tools(json.loads(TOOLS_FILE.read_text(encoding="utf-8")))
    router.registry.add(reflect_read_only(DEMO_DB))
    console.print(f"[bold]toolrouter demo[/] · reranker: {router.reranker.name} · offline")

    console.print(Rule("1 · function calling: the announcement's tools, one request in three languages"))
    tools = Table(show_lines=True)
    tools.add_column("language")
    tools.add_column("request", ratio=3, overflow="fold")
    tools.add_column("ranking (score)", ratio=2)
    for language, request in TOOL_REQUESTS.items():
        ranking = router.select_tools(request, k=len(router.registry.tools))
        tools.add_row(language, request, "\n".join(f"{s.rank}. [bold]{s.name}[/] ({s.score:.3f})" for s in ranking))
    console.print(tools)

    console.print(Rule(f"2 · tables: {len(router.registry.tables)} in the retail database, top {TABLE_K} "
                       "plus the tables that join them"))
    selections = router.select_tables(TABLE_QUESTION, k=TABLE_K)
    console.print(selection_table(selections, f"tables for: {TABLE_QUESTION}"))
    console.print(selection_table(router.select_tables(BRIDGE_QUESTION, k=TABLE_K), f"tables for: {BRIDGE_QUESTION}"))

    console.print(Rule("3 · the pruned SQL prompt (SQLite; key columns and the question's columns)"))
    prompt = build_prompt(TABLE_QUESTION, [prune_columns(s.item, TABLE_QUESTION) for s in selections], "sqlite",
                          all_tables=router.registry.tables, selections=selections)
    console.print(Syntax(prompt.user, "sql", word_wrap=True))
    console.print(savings_text(prompt), style="bold green")

    console.print(Rule("4 · a hand-written answer, validated and run read-only"))
    console.print(Syntax(DEMO_SQL, "sql", word_wrap=True))
    checked = validate_sql(DEMO_SQL, router, "sqlite")
    console.print(f"validate_sql accepted it (read-only, known tables and columns) and added a limit:\n{checked}",
                  style="dim", highlight=False)
    result = execute(checked, DEMO_DB, max_rows=DEMO_ROWS)
    console.print(result_table(result, "summer apparel bought in the 7 days up to the newest sale"))
