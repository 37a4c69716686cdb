"""Tool-selection groups: Seal-Tools, APIBench, API-Bank and ToolAlpaca.

Each folder's tools become :class:`ToolItem` s (canonical text); hard negatives are BM25-mined in
the query's own folder, never from tools too alike to the gold one (same description; for
APIBench the same task), and a few random tools of other folders are added as easy negatives.
Held out for dev: Seal-Tools' out-of-domain tool set and a few ToolAlpaca APIs.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from toolrouter.registry.canonical import clip_tokens, squash
from toolrouter.registry.items import ToolItem
from training.groups import Group, Inputs, SourceSplit, seeded
from training.items import api_bank_tool, apibench_tool, seal_tool, toolalpaca_tool
from training.mining import Bm25Index, distinct_negatives, sample_texts

TOOL_BM25_NEGATIVES = 20  # hard tool negatives mined with BM25 from the query's own folder
FOREIGN_TOOL_NEGATIVES = 4  # random tools from the other folders
MIN_TOOL_NEGATIVES = 15  # random same-folder tools fill in when BM25 finds few matches
APIBENCH_QUERIES_PER_API = 2
API_BANK_CONTEXT_LINES = (0, 2, 4)  # dialogue lines kept before the last user turn
API_BANK_LINE_TOKENS = 40
HELD_OUT_TOOLALPACA_APIS = 5


class ToolCatalog:
    """One tool folder: items by the dataset's tool name, their texts and a BM25 index.

    Tools sharing a conflict key (same description; for APIBench also the same task) are too
    alike to call one irrelevant when the other is gold, so they are never each other's negative.
    """

    def __init__(
        self,
        items: dict[str, ToolItem],
        conflict_keys: dict[str, set[str]],
        held_out: Iterable[str] = (),
    ) -> None:
        self.names = list(items)
        self.texts = [items[name].text for name in self.names]
        self.position = {name: index for index, name in enumerate(self.names)}
        self.held_out = frozenset(held_out)
        self.index = Bm25Index(self.texts)
        self._keys = conflict_keys
        self._by_key: dict[str, set[int]] = defaultdict(set)
        for name, keys in conflict_keys.items():
            for key in keys:
                self._by_key[key].add(self.position[name])

    def text(self, name: str) -> str:
        """The canonical text of the tool the dataset calls ``name``."""
        return self.texts[self.position[name]]

    def conflicting(self, names: Iterable[str]) -> set[int]:
        """Positions of ``names`` and of every tool sharing a conflict key with one of them."""
        positions = {self.position[name] for name in names}
        for name in names:
            for key in self._keys.get(name, ()):
                positions |= self._by_key[key]
        return positions

    def held_out_texts(self) -> set[str]:
        """Texts only dev groups may show."""
        return {self.text(name) for name in self.held_out}

    def train_texts(self) -> list[str]:
        """Texts train groups may show, in catalog order."""
        return [self.text(name) for name in self.names if name not in self.held_out]


def description_key(description: str) -> set[str]:
    """Conflict key of a tool's description (none for an empty one, which says nothing)."""
    text = squash(description).lower()
    return {f"description:{text}"} if text else set()


def apibench_task_key(domain: str) -> str:
    """The task an APIBench domain names, by its last word (``Computer Vision Image
    Classification`` and TF-Hub's ``Image classification`` both -> ``classification``)."""
    words = re.findall(r"[a-z0-9]+", domain.lower())
    return "task:" + re.sub(r"ing$", "", words[-1]) if words else "task:"


class ToolContext:
    """What every tool source needs: all catalogs, the seed, and per folder the pool of random
    easy negatives (the train texts of every other folder)."""

    def __init__(self, catalogs: dict[str, ToolCatalog], seed: int) -> None:
        self.catalogs = catalogs
        self.seed = seed
        self.foreign_pools = {
            source: [
                text for name, catalog in catalogs.items() if name != source for text in catalog.train_texts()
            ]
            for source in catalogs
        }


def tool_group(
    context: ToolContext,
    source: str,
    query: str,
    gold: Sequence[str],
    *,
    is_dev: bool,
    rng: random.Random,
    first: Sequence[str] = (),
    lang: str = "en",
) -> Group:
    """A tool group: ``first`` (the dataset's own candidates), then BM25 hard negatives from the
    same folder (topped up with random same-folder tools when BM25 matches few), then a few random
    tools from other folders. Train groups never see held-out tools."""
    catalog = context.catalogs[source]
    excluded = catalog.conflicting(gold)
    if not is_dev:
        excluded |= {catalog.position[name] for name in catalog.held_out}
    candidates = [name for name in first if catalog.position[name] not in excluded]
    ranked = catalog.index.rank(query, excluded, limit=TOOL_BM25_NEGATIVES + len(candidates))
    positives = [catalog.text(name) for name in gold]
    hard = distinct_negatives(
        [catalog.text(name) for name in candidates] + [catalog.texts[i] for i in ranked],
        positives,
        (),
        limit=TOOL_BM25_NEGATIVES + len(candidates),
    )
    missing = MIN_TOOL_NEGATIVES - FOREIGN_TOOL_NEGATIVES - len(hard)
    if missing > 0:
        allowed = [text for index, text in enumerate(catalog.texts) if index not in excluded]
        hard += sample_texts(rng, allowed, missing, set(hard))
    easy = sample_texts(
        rng, context.foreign_pools[source], FOREIGN_TOOL_NEGATIVES, set(positives) | set(hard)
    )
    return Group(
        query=query, positives=positives, negatives=hard + easy, source=source, kind="tool", lang=lang
    )


def load_tool_catalogs(inputs: Inputs, seed: int) -> tuple[dict[str, ToolCatalog], dict[str, list[dict]]]:
    """Every tool folder's catalog (held-out tools marked) and its query rows."""
    queries = {
        "seal_tools": inputs.jsonl("seal_tools/normalized/queries.jsonl"),
        "apibench": inputs.jsonl("apibench/normalized/queries.jsonl"),
        "api_bank": inputs.jsonl("api_bank/normalized/queries.jsonl"),
        "toolalpaca": inputs.jsonl("toolalpaca_eval/normalized/queries.jsonl"),
    }
    seal = {row["name"]: row for row in inputs.jsonl("seal_tools/normalized/tools.jsonl")}
    apibench = {row["name"]: row for row in inputs.jsonl("apibench/normalized/tools.jsonl")}
    api_bank = {row["name"]: row for row in inputs.jsonl("api_bank/normalized/tools.jsonl")}
    # ToolAlpaca's "components" entries document output types, they are not callable functions.
    alpaca = {
        row["name"]: row
        for row in inputs.jsonl("toolalpaca_eval/normalized/tools.jsonl")
        if row["function"] != "components"
    }
    alpaca_apis = sorted({row["api"] for row in alpaca.values()})
    held_apis = set(seeded(seed, "toolalpaca-apis").sample(alpaca_apis, HELD_OUT_TOOLALPACA_APIS))
    catalogs = {
        "seal_tools": ToolCatalog(
            {name: seal_tool(row) for name, row in seal.items()},
            {name: description_key(row["description"]) for name, row in seal.items()},
            held_out=seal_held_out_tools(queries["seal_tools"]),
        ),
        "apibench": ToolCatalog(
            {name: apibench_tool(row) for name, row in apibench.items()},
            {
                name: description_key(row["description"]) | {apibench_task_key(row["domain"])}
                for name, row in apibench.items()
            },
        ),
        "api_bank": ToolCatalog(
            {name: api_bank_tool(row) for name, row in api_bank.items()},
            {name: description_key(row["description"]) for name, row in api_bank.items()},
        ),
        "toolalpaca": ToolCatalog(
            {name: toolalpaca_tool(row) for name, row in alpaca.items()},
            {name: description_key(row["description"]) for name, row in alpaca.items()},
            held_out=[name for name, row in alpaca.items() if row["api"] in held_apis],
        ),
    }
    return catalogs, queries


def seal_held_out_tools(queries: Sequence[dict]) -> set[str]:
    """Seal-Tools' held-out tool set: the gold tools of ``test_out_domain`` queries whose every
    gold tool is used by no ``dev``/``test_in_domain`` query (tools of unseen fields)."""
    in_domain = {name for row in queries if row["split"] != "test_out_domain" for name in row["gold"]}
    return {
        name
        for row in queries
        if row["split"] == "test_out_domain" and not set(row["gold"]) & in_domain
        for name in row["gold"]
    }


def seal_tools_groups(context: ToolContext, rows: Sequence[dict]) -> SourceSplit:
    """Seal-Tools: queries on held-out tools go to dev; queries mixing held-out and other tools
    are dropped (their text describes a held-out tool's task)."""
    catalog = context.catalogs["seal_tools"]
    rng = seeded(context.seed, "seal_tools")
    split = SourceSplit(blocked=catalog.held_out_texts())
    dev_ids, dropped = [], 0
    for row in rows:
        gold = list(dict.fromkeys(row["gold"]))
        held = [name for name in gold if name in catalog.held_out]
        if held and len(held) < len(gold):
            dropped += 1
            continue
        split.add(
            tool_group(context, "seal_tools", row["query"], gold, is_dev=bool(held), rng=rng), bool(held)
        )
        if held:
            dev_ids.append(row["id"])
    split.held_out = {"seal_tools_tools": sorted(catalog.held_out), "seal_tools_queries": dev_ids}
    split.excluded = {"seal_tools_mixed_queries_dropped": dropped}
    return split


def apibench_groups(context: ToolContext, rows: Sequence[dict]) -> SourceSplit:
    """APIBench, subsampled to a few queries per API (some APIs have hundreds)."""
    rng = seeded(context.seed, "apibench")
    by_api: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_api[row["gold"][0]].append(row)
    split = SourceSplit()
    for api in sorted(by_api):
        for row in rng.sample(by_api[api], min(len(by_api[api]), APIBENCH_QUERIES_PER_API)):
            split.add(
                tool_group(context, "apibench", row["query"], row["gold"], is_dev=False, rng=rng), False
            )
    split.excluded = {"apibench_queries_subsampled_away": len(rows) - len(split.train)}
    return split


def api_bank_query(row: dict, rng: random.Random) -> str:
    """The last user turn, sometimes after the few dialogue lines before it (clipped short).

    Lines after the last user turn are the assistant's answer and would leak it, so they go.
    """
    last = f"User: {row['query']}"
    lines = [line.strip() for line in row["dialogue"].splitlines() if line.strip()]
    end = max((index for index, line in enumerate(lines) if line == last.strip()), default=len(lines))
    keep = rng.choice(API_BANK_CONTEXT_LINES)
    context = [clip_tokens(line, API_BANK_LINE_TOKENS) for line in lines[max(0, end - keep) : end]]
    return "\n".join([*context, last]) if context else row["query"]


def api_bank_groups(context: ToolContext, rows: Sequence[dict]) -> SourceSplit:
    """API-Bank level-1: the item's own candidate APIs come first among the negatives."""
    rng = seeded(context.seed, "api_bank")
    split = SourceSplit()
    for row in rows:
        others = [name for name in row.get("candidates", []) if name not in row["gold"]]
        split.add(
            tool_group(
                context,
                "api_bank",
                api_bank_query(row, rng),
                row["gold"],
                is_dev=False,
                rng=rng,
                first=others,
            ),
            False,
        )
    return split


def toolalpaca_gold(names: Iterable[str], catalog: ToolCatalog) -> list[str]:
    """Gold functions that exist: ``[Optional]`` prefixes are stripped, and actions the API does
    not document (ToolAlpaca's ``getDetails`` helper, a few undocumented endpoints) are dropped."""
    gold = [name.replace("::[Optional]", "::") for name in names]
    return [name for name in dict.fromkeys(gold) if name in catalog.position]


def toolalpaca_groups(context: ToolContext, rows: Sequence[dict]) -> SourceSplit:
    """ToolAlpaca: the API's other functions come first among the negatives; held-out APIs -> dev."""
    catalog = context.catalogs["toolalpaca"]
    rng = seeded(context.seed, "toolalpaca")
    split = SourceSplit(blocked=catalog.held_out_texts())
    unusable = undocumented = 0
    for row in rows:
        gold = toolalpaca_gold(row["gold"], catalog)
        undocumented += len(set(row["gold"])) - len(gold)
        if not gold:
            unusable += 1
            continue
        siblings = [name for name in catalog.names if name.startswith(row["candidates_api"] + "::")]
        split.add(
            tool_group(
                context,
                "toolalpaca",
                row["query"],
                gold,
                is_dev=gold[0] in catalog.held_out,
                rng=rng,
                first=siblings,
            ),
            gold[0] in catalog.held_out,
        )
    split.held_out = {"toolalpaca_apis": sorted({name.split("::")[0] for name in catalog.held_out})}
    split.excluded = {
        "toolalpaca_gold_actions_undocumented": undocumented,
        "toolalpaca_queries_without_documented_gold": unusable,
    }
    return split


def tool_sources(inputs: Inputs, seed: int) -> list[SourceSplit]:
    """The groups of every tool folder."""
    catalogs, queries = load_tool_catalogs(inputs, seed)
    context = ToolContext(catalogs, seed)
    return [
        seal_tools_groups(context, queries["seal_tools"]),
        apibench_groups(context, queries["apibench"]),
        api_bank_groups(context, queries["api_bank"]),
        toolalpaca_groups(context, queries["toolalpaca"]),
    ]
