"""Evaluation sets shared by the benchmarks: BFCL v4 (from the ``bfcl-eval`` package) and Spider dev.

Both are evaluation data only; nothing here is ever used for training.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from toolrouter.registry import TableItem, ToolItem, load_tools
from training.items import spider_tables

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# BFCL splits whose queries pick among several functions; their tools form the global pool.
BFCL_SPLITS = ("multiple", "parallel_multiple", "live_multiple", "live_parallel_multiple")
BFCL_IRRELEVANT_SPLITS = ("irrelevance", "live_irrelevance")


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    gold: frozenset[str]
    pool: tuple[str, ...] = ()  # the query's own candidates (its BFCL functions, its Spider DB's tables)


def bfcl_dir() -> Path:
    try:
        import bfcl_eval
    except ImportError as exc:
        raise SystemExit("BFCL data comes from the bfcl-eval package: pip install --no-deps bfcl-eval") from exc
    return Path(bfcl_eval.__file__).parent / "data"


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _question_text(question: list) -> str:
    """All user messages of the first turn, joined."""
    turn = question[0] if question and isinstance(question[0], list) else question
    return "\n".join(m["content"] for m in turn if m.get("role") == "user" and isinstance(m.get("content"), str))


def bfcl(splits: tuple[str, ...] = BFCL_SPLITS) -> tuple[list[Query], dict[str, ToolItem]]:
    """BFCL queries (gold = function names in the possible answer) and the pool of distinct tools."""
    data = bfcl_dir()
    pool: dict[str, ToolItem] = {}
    queries = []
    for split in splits:
        answers = {}
        answer_file = data / "possible_answer" / f"BFCL_v4_{split}.json"
        if answer_file.exists():
            answers = {row["id"]: row["ground_truth"] for row in _read_jsonl(answer_file)}
        for row in _read_jsonl(data / f"BFCL_v4_{split}.json"):
            tools = [t for t in load_tools(row["function"]) if isinstance(t, ToolItem)]
            for tool in tools:
                pool.setdefault(tool.name, tool)
            gold = frozenset(name for call in answers.get(row["id"], []) for name in call)
            queries.append(Query(row["id"], _question_text(row["question"]), gold, tuple(t.name for t in tools)))
    return queries, pool


def spider_dev() -> tuple[list[Query], dict[str, dict[str, TableItem]]]:
    """Spider dev questions and each dev database's tables (names as in the schema)."""
    spider = SHARED_DATA / "spider"
    rows = _read_jsonl(spider / "dev.jsonl")
    dev_ids = {row["db_id"] for row in rows}
    schemas = {s["db_id"]: s for s in json.loads((spider / "tables.json").read_text()) if s["db_id"] in dev_ids}
    databases = {db_id: spider_tables(schema) for db_id, schema in schemas.items()}
    queries = [Query(row["id"], row["question"], frozenset(f"{row['db_id']}.{t}" for t in row["gold_tables"]),
                     tuple(f"{row['db_id']}.{t}" for t in databases[row["db_id"]]))
               for row in rows]
    return queries, databases


def xquad_cross_lingual(languages: tuple[str, ...] = ("de", "es", "zh", "ru", "ar", "hi"),
                        articles: frozenset[str] = frozenset({"Civil_disobedience", "Martin_Luther"})
                        ) -> tuple[list[Query], dict[str, str]]:
    """Questions in other languages against the English paragraphs of held-out XQuAD articles.

    The articles are held out of training by ``training/data.py``.
    """
    english = json.loads((SHARED_DATA / "xquad" / "xquad.en.json").read_text())["data"]
    paragraphs: dict[str, str] = {}
    owner: dict[str, str] = {}
    for article in english:
        if article["title"] not in articles:
            continue
        for index, paragraph in enumerate(article["paragraphs"]):
            key = f"{article['title']}#{index}"
            paragraphs[key] = paragraph["context"]
            for qa in paragraph["qas"]:
                owner[qa["id"]] = key
    queries = []
    for language in languages:
        data = json.loads((SHARED_DATA / "xquad" / f"xquad.{language}.json").read_text())["data"]
        for article in data:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    if qa["id"] in owner:
                        queries.append(Query(f"{language}:{qa['id']}", qa["question"], frozenset({owner[qa["id"]]})))
    return queries, paragraphs


def shared_tools() -> list[ToolItem]:
    """The tool catalogs under ``../shared/data`` (seal_tools, apibench, api_bank, ToolAlpaca), named by source.

    They pad the large registries of the speed benchmark; no BFCL query has its answer among them.
    """
    from training.items import api_bank_tool, apibench_tool, seal_tool, toolalpaca_tool

    readers = {"seal_tools": seal_tool, "apibench": apibench_tool, "api_bank": api_bank_tool,
               "toolalpaca_eval": toolalpaca_tool}
    tools: dict[str, ToolItem] = {}
    for folder, read in readers.items():
        for row in _read_jsonl(SHARED_DATA / folder / "normalized" / "tools.jsonl"):
            if row.get("function") == "components":  # ToolAlpaca's output-type docs, not functions
                continue
            tool = read(row)
            tools.setdefault(f"{folder}.{tool.name}", tool)
    return [replace(tool, name=name) for name, tool in tools.items()]


def tool_specs(size: int, first: Sequence[str], bfcl_pool: dict[str, ToolItem], seed: int = 0) -> list[dict]:
    """``size`` distinct tool specs (BFCL's ``dict`` format) for a registry of that size.

    The order is fixed: the ``first`` names (e.g. the gold tools of the sampled queries), the rest
    of the BFCL pool, the ``../shared/data`` catalogs, then renamed copies of those catalogs
    (``mirrorN.name``: near-duplicate servers) until ``size`` is reached.
    """
    bfcl_rest = sorted(set(bfcl_pool) - set(first))
    random.Random(seed).shuffle(bfcl_rest)
    padding = shared_tools()
    random.Random(seed + 1).shuffle(padding)  # its own generator: the same padding whatever ``first`` is
    chosen = [bfcl_pool[name] for name in dict.fromkeys(first) if name in bfcl_pool]
    chosen += [bfcl_pool[name] for name in bfcl_rest] + padding
    copy = 0
    while len(chosen) < size:
        copy += 1
        chosen += [replace(tool, name=f"mirror{copy}.{tool.name}") for tool in padding]
    return [{"name": t.name, "description": t.description, "parameters": t.parameters} for t in chosen[:size]]
