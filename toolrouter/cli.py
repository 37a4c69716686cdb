"""The ``toolrouter`` command line (typer + rich).

::

    toolrouter tools  --tools tools.json "query" [-k 5] [--json] [--quiet]
    toolrouter tables --ddl schema.sql [--dialect postgres] "question" [-k 3] [--json]
    toolrouter tables --db sqlite:///shop.db "question"
    toolrouter serve  --upstream https://api.openai.com/v1 [--port 8000] [-k 8] [--mode allowed_tools]
    toolrouter sql    --db sqlite:///shop.db "question" [--prompt-only] [--base-url URL --model NAME]
    toolrouter demo   [--model DIR]
    toolrouter export-model DIR
    toolrouter explain --tools tools.json "query" [--ddl schema.sql | --db URL] [--json]
    toolrouter mcp    --config servers.json [--registry tools.json] [--expose 3] [-k 5]
"""

from __future__ import annotations

import json
import math
import unicodedata
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from toolrouter.errors import SpecError, ToolrouterError
from toolrouter.registry import Registry
from toolrouter.registry.canonical import valid_text
from toolrouter.registry.openapi import openapi_yaml
from toolrouter.rerank import load_reranker
from toolrouter.router import FULL_RERANK_LIMIT, Explanation, Router, Selection
from toolrouter.sql.execute import QueryResult
from toolrouter.sql.pipeline import DEFAULT_LLM
from toolrouter.sql.prompt import SQLPrompt

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Pick the tools and tables an LLM should see for a request.")
console = Console()
errors = Console(stderr=True)

ModelOption = Annotated[str | None, typer.Option(
    "--model", "-m", help="Model directory, cached hub id or rerank URL; the bundled model when omitted.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the selection as JSON.")]
RegistryOption = Annotated[Path | None, typer.Option(
    "--registry", help="A registry file saved by toolrouter (see schemas/registry.schema.json).")]
QuietOption = Annotated[bool, typer.Option(
    "--quiet", "-q", help="No progress bar while a large registry is embedded.")]


def plain(text: str) -> Text:
    """``text`` to print as it is: no rich markup, lone surrogates as ``?``, control characters as spaces.

    Queries, names and values come from users' files and databases; ``[/]`` must not be read as
    markup, and escape sequences must not reach the terminal.
    """
    return Text("".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in valid_text(text)))


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error and return the exit to raise (status 2)."""
    errors.print(Text("error:", style="bold red") + " " + plain(message), highlight=False)
    return typer.Exit(2)


def read_text(path: Path) -> str:
    """The file's UTF-8 text (a byte-order mark is skipped); unreadable or binary files fail cleanly."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise fail(f"{path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc


def read_tools(path: Path) -> Any:
    """A tools file's specs: any JSON :meth:`Registry.add_tools` reads, or an OpenAPI document's YAML."""
    text = read_text(path)
    try:
        return json.loads(text)
    except ValueError as exc:
        invalid_json = exc
    except RecursionError:
        raise fail(f"{path} is not valid JSON: it nests too deeply") from None
    try:
        document = openapi_yaml(text)
    except SpecError as exc:
        raise fail(f"{path}: {exc.problem}") from exc
    if document is None:
        raise fail(f"{path} is not valid JSON: {invalid_json}") from invalid_json
    return document


def selection_json(selection: Selection) -> dict[str, Any]:
    return {
        "rank": selection.rank,
        "name": selection.name,
        "kind": selection.item.kind,
        "score": None if math.isnan(selection.score) else round(selection.score, 6),
        "reason": selection.reason,
        "note": selection.note,
    }


def show(selections: list[Selection], title: str, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps([selection_json(s) for s in selections]))
        return
    console.print(selection_table(selections, title))


def selection_table(selections: list[Selection], title: str) -> Table:
    """A rich table of selections: rank, name, score and why each is there."""
    table = Table(title=plain(title), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("name", style="bold")
    table.add_column("score", justify="right")
    table.add_column("why")
    for s in selections:
        score = "" if math.isnan(s.score) else f"{s.score:.3f}"
        why = s.reason + (f": {s.note}" if s.note else "")
        table.add_row(str(s.rank), plain(s.name), score, plain(why))
    return table


def load_registry(path: Path | None) -> Registry:
    return Registry.load(path) if path is not None else Registry()


def build_router(model: str | None, registry: Path | None, tools_files: list[Path] | None = None,
                 ddl: list[Path] | None = None, dialect: str | None = None, db: str | None = None,
                 rerank: str = "auto") -> Router:
    """A router over the registry file (if any) plus the tools, DDL files and database given."""
    router = Router(model, registry=load_registry(registry), rerank=rerank)  # type: ignore[arg-type]
    for path in tools_files or []:
        router.registry.add_tools(read_tools(path))
    for path in ddl or []:
        router.registry.add_tables(read_text(path), dialect=dialect)
    if db:
        router.registry.add_database(db)
    return router


ToolsOption = Annotated[list[Path] | None, typer.Option(
    "--tools", "-t", help="JSON file of tool specs (any supported format) or an OpenAPI document (JSON or YAML); "
                          "repeatable.")]
DdlOption = Annotated[list[Path] | None, typer.Option(help="SQL file of CREATE TABLE statements; repeatable.")]
DialectOption = Annotated[str | None, typer.Option(help="sqlglot dialect of the DDL (mysql, postgres...).")]
DbOption = Annotated[str | None, typer.Option(help="SQLAlchemy URL of a live database to reflect.")]
ThresholdOption = Annotated[float | None, typer.Option(help="Minimum score to keep an item.")]
RerankOption = Annotated[str, typer.Option(
    help="auto: what the model's measurements favour per kind (the bundled model: none for tools, "
         "cross-encoder for tables); cross-encoder: score candidates with the model; none: e5 + BM25 only (fast).")]


@app.command()
def tools(
    query: Annotated[str, typer.Argument(help="The user's request.")],
    tools_files: ToolsOption = None,
    registry: RegistryOption = None,
    k: Annotated[int, typer.Option("-k", help="How many tools to select.")] = 5,
    threshold: ThresholdOption = None,
    model: ModelOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    rerank: RerankOption = "auto",
) -> None:
    """Rank tools for a request."""
    try:
        router = build_router(model, registry, tools_files, rerank=rerank)
        if not router.registry.tools:
            raise fail("no tools given: pass --tools FILE or --registry FILE")
        router.embed("tool", progress=False if quiet else None)
        show(router.select_tools(query, k=k, threshold=threshold), f"tools for: {query}", as_json)
    except (ToolrouterError, ValueError) as exc:
        raise fail(str(exc)) from exc


@app.command()
def tables(
    question: Annotated[str, typer.Argument(help="The natural-language question.")],
    ddl: DdlOption = None,
    dialect: DialectOption = None,
    db: DbOption = None,
    registry: RegistryOption = None,
    k: Annotated[int, typer.Option("-k", help="How many tables to select.")] = 3,
    threshold: ThresholdOption = None,
    model: ModelOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    rerank: RerankOption = "auto",
) -> None:
    """Rank tables for a question."""
    try:
        router = build_router(model, registry, ddl=ddl, dialect=dialect, db=db, rerank=rerank)
        if not router.registry.tables:
            raise fail("no tables given: pass --ddl FILE, --db URL or --registry FILE")
        router.embed("table", progress=False if quiet else None)
        show(router.select_tables(question, k=k, threshold=threshold), f"tables for: {question}", as_json)
    except (ToolrouterError, ValueError) as exc:
        raise fail(str(exc)) from exc


def optional_score(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def explanation_rows(explanation: Explanation) -> list[dict[str, Any]]:
    """One row per scored candidate (best first), then selected items that were not scored."""
    selected = {s.name: s for s in explanation.selections}
    rows = []
    for scored in explanation.ranking:
        name = scored.item.name
        choice = selected.get(name)
        if choice is not None:
            why = choice.reason + (f": {choice.note}" if choice.note else "")
        elif explanation.rerank == "cross-encoder" and math.isnan(scored.model_score):
            why = f"beyond k={explanation.k}, not reranked (could not reach it)"
        elif explanation.threshold is not None and scored.score < explanation.threshold:
            why = "below threshold"
        else:
            why = f"beyond k={explanation.k}"
        rows.append({"rank": scored.rank, "name": name, "selected": choice is not None, "why": why,
                     "first_stage_rank": scored.first_stage_rank,
                     "first_stage_score": optional_score(scored.first_stage_score, 5),
                     "model_score": optional_score(scored.model_score), "e5": optional_score(scored.bi_encoder),
                     "bm25": optional_score(scored.lexical), "group": scored.group,
                     "group_score": optional_score(scored.group_score), "group_named": scored.group_named,
                     "name_penalty": optional_score(scored.name_penalty),
                     "score": optional_score(scored.score)})
    ranked = {row["name"] for row in rows}
    for choice in explanation.selections:
        if choice.name not in ranked:
            rows.append({"rank": None, "name": choice.name, "selected": True,
                         "why": choice.reason + (f": {choice.note}" if choice.note else ""),
                         "first_stage_rank": None, "first_stage_score": None, "model_score": None, "e5": None,
                         "bm25": None, "group": None, "group_score": None, "group_named": False,
                         "name_penalty": None, "score": None})
    return rows


def explanation_summary(explanation: Explanation) -> str:
    kind = f"{explanation.kind}s"
    if explanation.first_stage is None:
        how = f"all reranked (no first stage at or below {FULL_RERANK_LIMIT} {kind})"
    else:
        how = f"the {explanation.first_stage} first stage passed {len(explanation.ranking)} candidates to the reranker"
    if explanation.rerank == "none":
        how += " (rerank none: e5 and BM25 alone)"
    else:
        scored = sum(not math.isnan(s.model_score) for s in explanation.ranking)
        if scored < len(explanation.ranking):
            how += f", whose model scored {scored} (the rest could not reach the top k)"
    threshold = "none" if explanation.threshold is None else f"{explanation.threshold:.3f}"
    return f"{explanation.pool} {kind}; {how}; k={explanation.k}; threshold: {threshold}"


@app.command("explain")
def explain(
    query: Annotated[str, typer.Argument(help="The request or question.")],
    tools_files: ToolsOption = None,
    ddl: DdlOption = None,
    dialect: DialectOption = None,
    db: DbOption = None,
    registry: RegistryOption = None,
    kind: Annotated[str | None, typer.Option(
        help="'tool' or 'table'; tables by default when only --ddl/--db are given or there are no tools.")] = None,
    k: Annotated[int | None, typer.Option("-k", help="Items to select (default 5 tools, 3 tables).")] = None,
    threshold: ThresholdOption = None,
    rows: Annotated[int, typer.Option("--rows", help="Candidates shown in the table (--json shows all).")] = 20,
    model: ModelOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    rerank: RerankOption = "auto",
) -> None:
    """Show why a ranking came out as it did: first-stage, reranker and blended scores side by side."""
    try:
        router = build_router(model, registry, tools_files, ddl, dialect, db, rerank)
        if kind is None:
            kind = "table" if ((ddl or db) and not tools_files) or not router.registry.tools else "tool"
        if kind not in ("tool", "table"):
            raise fail(f"unknown kind {kind!r}; valid: 'tool', 'table'")
        if not router.registry.tools and not router.registry.tables:
            raise fail("nothing to rank: pass --tools FILE, --ddl FILE, --db URL or --registry FILE")
        router.embed(kind, progress=False if quiet else None)
        explanation = router.explain(query, kind, k=k, threshold=threshold)
    except (ToolrouterError, ValueError) as exc:
        raise fail(str(exc)) from exc
    table_rows = explanation_rows(explanation)
    if as_json:
        console.print_json(json.dumps({"query": explanation.query, "routed_text": explanation.routed_text,
                                       "kind": explanation.kind,
                                       "pool": explanation.pool, "first_stage": explanation.first_stage,
                                       "k": explanation.k, "threshold": explanation.threshold,
                                       "selected": [selection_json(s) for s in explanation.selections],
                                       "candidates": table_rows}))
        return
    routed = "" if explanation.routed_text == explanation.query else f" (routed on: {explanation.routed_text})"
    table = Table(title=plain(f"{kind}s for: {explanation.query}{routed}"), title_justify="left",
                  caption=plain(explanation_summary(explanation)), caption_justify="left")
    grouped = any(row["group"] for row in table_rows)
    columns = [("#", "right"), ("name", "left"), ("first stage", "right"), ("model", "right"), ("e5", "right"),
               ("bm25", "right"), *([("group", "left")] if grouped else []), ("score", "right"), ("why", "left")]
    for column, justify in columns:
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    shown = [row for row in table_rows if row["selected"] or row["rank"] is None or row["rank"] <= rows]
    for row in shown:
        stage = "" if row["first_stage_rank"] is None else f"{row['first_stage_rank']} ({row['first_stage_score']:.4f})"
        cells = ["" if row[key] is None else f"{row[key]:.3f}" for key in ("model_score", "e5", "bm25")]
        if grouped:
            group = "" if row["group"] is None else f"{row['group']} ({row['group_score']:.3f}"
            if group and row["group_named"]:
                group += ", named"
            if group and row["name_penalty"]:
                group += f", name −{row['name_penalty']:.3f}"
            cells.append(group + ")" if group else "")
        cells.append("" if row["score"] is None else f"{row['score']:.3f}")
        table.add_row("" if row["rank"] is None else str(row["rank"]), plain(row["name"]), stage, *cells,
                      plain(row["why"]), style="bold" if row["selected"] else "dim")
    console.print(table)


@app.command("export-model")
def export_model(
    directory: Annotated[Path, typer.Argument(help="Where to write the Hugging Face model directory.")],
    dtype: Annotated[str, typer.Option(help="Weight precision: float32, float16 or bfloat16.")] = "float32",
) -> None:
    """Write the bundled model as a standard Hugging Face directory (CrossEncoder, TEI, vLLM)."""
    from toolrouter.rerank.bundled import export_bundled

    try:
        export_bundled(directory, dtype=dtype)
    except (ToolrouterError, ValueError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"wrote {directory}")


@app.command()
def schema(name: Annotated[str, typer.Argument(help="Which file format: 'registry'.")] = "registry") -> None:
    """Print the JSON Schema of a file format toolrouter reads."""
    from toolrouter.registry.store import json_schema

    if name != "registry":
        raise fail(f"unknown schema {name!r}; valid: 'registry'")
    console.print_json(json.dumps(json_schema()))


@app.command()
def serve(
    upstream: Annotated[str, typer.Option(
        help="Base URL of the OpenAI-compatible API, e.g. https://api.openai.com/v1.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    k: Annotated[int, typer.Option("--k", "-k", help="Ranked function tools kept per request.")] = 8,
    mode: Annotated[str, typer.Option(
        help="filter: drop the other tool definitions; allowed_tools: keep them and restrict tool_choice.")] = "filter",
    api_key: Annotated[str | None, typer.Option(
        envvar="TOOLROUTER_API_KEY",
        help="Key clients must send (x-toolrouter-key, or Authorization: Bearer). Open when omitted.")] = None,
    upstream_api_key: Annotated[str | None, typer.Option(
        envvar="TOOLROUTER_UPSTREAM_API_KEY",
        help="Upstream key used when a client sends none of its own.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for upstream reads.")] = 600.0,
    model: ModelOption = None,
    inspect_size: Annotated[int, typer.Option(
        "--inspect-size", help="Recent requests shown at /inspect (0 turns the inspector off).")] = 200,
    inspect_redact: Annotated[bool, typer.Option(
        "--inspect-redact", help="Keep no request text in the inspector (tool names and scores stay).")] = False,
    tool_search: Annotated[bool, typer.Option(
        "--tool-search", help="Responses: hide unrouted tools behind a tool search the proxy answers.")] = False,
    rerank: RerankOption = "auto",
    allow_hidden: Annotated[bool, typer.Option(
        "--allow-hidden", help="Pass calls of tools routing held back to the client (else refused).")] = False,
) -> None:
    """Run the OpenAI-compatible proxy that routes each request's tools (inspect them at /inspect)."""
    try:
        import uvicorn

        from toolrouter.proxy.app import create_app

        application = create_app(upstream, Router(model, rerank=rerank), k=k, mode=mode,  # type: ignore[arg-type]
                                 api_key=api_key, upstream_api_key=upstream_api_key, timeout=timeout,
                                 inspect_size=inspect_size, inspect_redact=inspect_redact,
                                 tool_search=tool_search, allow_hidden=allow_hidden)
        load_reranker(model)  # loaded once per process: a bad --model fails here, with a clear message
    except (ToolrouterError, ImportError, ValueError) as exc:
        raise fail(str(exc)) from exc
    uvicorn.run(application, host=host, port=port)


@app.command()
def sql(
    question: Annotated[str, typer.Argument(help="The natural-language question.")],
    db: Annotated[str, typer.Option(help="SQLAlchemy URL (or SQLite file) of the database; opened read-only.")],
    prompt_only: Annotated[bool, typer.Option("--prompt-only", help="Print the prompt; call no model.")] = False,
    dialect: Annotated[str | None, typer.Option(help="sqlglot dialect; the database's by default.")] = None,
    k: Annotated[int, typer.Option("-k", help="How many tables to rank (joining tables are added).")] = 3,
    prune: Annotated[bool, typer.Option("--prune-columns", help="Show only key and mentioned columns.")] = False,
    base_url: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible API.")] = None,
    model: Annotated[str, typer.Option("--model", help="Chat model that writes the SQL.")] = DEFAULT_LLM,
    reranker: Annotated[str | None, typer.Option(
        "--reranker", help="Reranker model directory or cached hub id; the bundled model when omitted.")] = None,
) -> None:
    """Answer a question with SQL; without a model configured, print the pruned prompt."""
    import os

    from toolrouter.sql import SQLPipeline
    from toolrouter.sql.pipeline import openai_client

    has_model = not prompt_only and bool(base_url or os.environ.get("OPENAI_API_KEY"))
    try:
        client = openai_client(base_url) if has_model else None
        pipeline = SQLPipeline(Router(reranker), db, client=client, model=model, dialect=dialect, k=k, prune=prune)
        if not has_model:
            prompt = pipeline.prompt(question)
            console.print(selection_table(list(prompt.selections), f"tables for: {question}"))
            console.print(Syntax(f"-- system: {prompt.system}\n\n{prompt.user}", "sql", word_wrap=True))
            console.print(savings_text(prompt))
            if not prompt_only:
                console.print("no model configured: pass --base-url URL or set OPENAI_API_KEY to run the SQL",
                              style="dim")
            return
        answer = pipeline.ask(question)
        console.print(selection_table(list(answer.selections), f"tables for: {question}"))
        console.print(Syntax(answer.sql, "sql", word_wrap=True))
        console.print(result_table(answer.result))
    except (ToolrouterError, ValueError) as exc:
        raise fail(str(exc)) from exc


def savings_text(prompt: SQLPrompt) -> str:
    """``schema tokens: 338 of 2,250 (85% saved)``."""
    return (f"schema tokens: {prompt.schema_tokens:,} of {prompt.full_schema_tokens:,} "
            f"({prompt.saved_share:.0%} saved)")


def result_table(result: QueryResult, title: str | None = None) -> Table:
    """A rich table of query rows, noting when the row cap cut them."""
    caption = "more rows not fetched (row cap)" if result.truncated else f"{len(result.rows)} rows"
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for column in result.columns:
        table.add_column(plain(column))
    for row in result.rows:
        table.add_row(*("NULL" if value is None else plain(str(value)) for value in row))
    return table


@app.command()
def demo(model: ModelOption = None) -> None:
    """The announcement's examples offline: tools in three languages, tables, a safe SQL answer."""
    from toolrouter.demo import run_demo

    try:
        run_demo(model, console)
    except ToolrouterError as exc:
        raise fail(str(exc)) from exc


@app.command("mcp")
def mcp_gateway(
    config: Annotated[Path, typer.Option(
        "--config", "-c", help='JSON file of the upstream MCP servers: {"mcpServers": {"name": {...}}}.')],
    registry: Annotated[Path | None, typer.Option(
        "--registry", help="Registry file: written after discovery; keeps unreachable servers' tools known.")] = None,
    expose: Annotated[int, typer.Option(
        "--expose", help="Also list the last search's top K tools directly (0: only search_tools and call_tool).")] = 0,
    k: Annotated[int, typer.Option("-k", help="Tools search_tools returns when the model does not say.")] = 5,
    model: ModelOption = None,
) -> None:
    """Serve many MCP servers' tools over stdio as one: search_tools and call_tool, routed by the reranker."""
    try:
        from toolrouter.gateway import load_config, run

        servers = load_config(config)
        router = Router(model)
        router.reranker  # noqa: B018 - loaded before the client connects: a bad --model fails here, clearly
        run(servers, router, k=k, expose=expose, registry=registry)
    except (ToolrouterError, ValueError) as exc:
        raise fail(str(exc)) from exc
