"""Table-selection groups: Spider (train.jsonl only), BIRD train and Advising.

Every table is a :class:`TableItem` rendered as canonical ``CREATE TABLE`` text. Negatives are the
same database's other tables (hardest by BM25 first) plus random tables of other databases.
Held out for dev: a few Spider and BIRD databases. Spider's dev databases are an evaluation set:
their tables never reach training, nor do training databases that duplicate an evaluation schema.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from toolrouter.registry.canonical import squash
from toolrouter.registry.items import TableItem
from training.groups import Group, Inputs, SourceSplit, seeded
from training.items import advising_tables, informative_comments, spider_tables
from training.mining import Bm25Index, sample_texts

MAX_DATABASE_NEGATIVES = 30  # same-database tables (all of them unless the database is huge)
MIN_TABLE_NEGATIVES = 15  # other databases' tables fill a group up to this many negatives
MIN_FOREIGN_TABLES = 3
ADVISING_QUERIES_PER_TEMPLATE = 4
BIRD_EVIDENCE_RATE = 0.2  # train questions that get BIRD's evidence hint appended
HELD_OUT_SPIDER_DBS = 8
HELD_OUT_BIRD_DBS = 4
SPIDER_HELD_OUT_QUESTIONS = (20, 80)
BIRD_HELD_OUT_QUESTIONS = (50, 250)
BIRD_HELD_OUT_MAX_TABLES = 12

# Two databases whose ``table.column`` sets overlap this much (Jaccard) are the same schema.
TWIN_SIMILARITY = 0.7
# Spider train databases that are the schema of a hidden BIRD dev database (not in shared/data,
# so not detectable by comparison): training on them would leak into that evaluation.
BIRD_DEV_TWINS = {
    "formula_1": "BIRD dev formula_1 (the same Ergast F1 schema)",
    "soccer_1": "BIRD dev european_football_2 (the same Kaggle European Soccer schema)",
}


class Database:
    """One database's tables (by original name), their texts and a BM25 index over them."""

    def __init__(self, source: str, db_id: str, tables: dict[str, TableItem]) -> None:
        self.source = source
        self.db_id = db_id
        self.texts = {name: table.text for name, table in tables.items()}
        self._by_lower = {name.lower(): name for name in tables}
        self._ordered = list(self.texts.values())
        self.index = Bm25Index(self._ordered)
        self.signature = frozenset(
            f"{name.lower()}.{column.name.lower()}"
            for name, table in tables.items()
            for column in table.columns
        )

    @property
    def key(self) -> str:
        """``source:db_id``, unique across sources."""
        return f"{self.source}:{self.db_id}"

    def text(self, table: str) -> str | None:
        """The canonical text of ``table`` (case-insensitive), or None when it is not in the schema."""
        name = self._by_lower.get(table.lower())
        return self.texts[name] if name else None

    def ranked_others(self, query: str, gold: Sequence[str]) -> list[str]:
        """The database's non-gold tables, BM25-closest to the query first."""
        ranked = self.index.rank(query, limit=len(self._ordered))
        order = ranked + [index for index in range(len(self._ordered)) if index not in ranked]
        return [self._ordered[index] for index in order if self._ordered[index] not in gold]


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """Jaccard similarity of two schema signatures."""
    return len(first & second) / len(first | second) if first | second else 0.0


def twins(database: Database, others: Iterable[Database]) -> list[str]:
    """Keys of the other databases with (nearly) the same schema."""
    return [
        other.key
        for other in others
        if other.key != database.key and similarity(database.signature, other.signature) >= TWIN_SIMILARITY
    ]


@dataclass
class TableContext:
    """All training databases and which of them are held out for dev."""

    databases: dict[str, Database]
    held_out: set[str]

    def train_pool(self) -> list[str]:
        """Texts of every table a training group may show (held-out databases excluded)."""
        return [
            text
            for key, database in self.databases.items()
            if key not in self.held_out
            for text in database.texts.values()
        ]


def table_group(
    pool: Sequence[str],
    database: Database,
    query: str,
    gold_tables: Sequence[str],
    rng: random.Random,
    source: str,
) -> Group | None:
    """A table group: the same database's other tables (hardest first), then random tables of
    other databases up to ``MIN_TABLE_NEGATIVES``. None when a gold table is not in the schema."""
    found = [database.text(name) for name in gold_tables]
    gold = [text for text in found if text is not None]
    if not gold or len(gold) < len(found):
        return None
    same_db = database.ranked_others(query, gold)[:MAX_DATABASE_NEGATIVES]
    count = max(MIN_FOREIGN_TABLES, MIN_TABLE_NEGATIVES - len(same_db))
    foreign = sample_texts(rng, pool, count, set(database.texts.values()))
    return Group(query=query, positives=gold, negatives=same_db + foreign, source=source, kind="table")


def plain_question(row: dict, rng: random.Random) -> str:
    """The question as asked."""
    return row["question"]


def question_groups(
    context: TableContext,
    source: str,
    rows: Iterable[dict],
    rng: random.Random,
    query_of: Callable[[dict, random.Random], str] = plain_question,
) -> SourceSplit:
    """Table groups for ``rows`` of one source: held-out databases -> dev (question alone).
    Rows of databases that are not in training (evaluation twins) are skipped."""
    split = SourceSplit()
    train_pool = context.train_pool()
    all_pool = [text for database in context.databases.values() for text in database.texts.values()]
    skipped = 0
    for row in rows:
        key = f"{source}:{row['db_id']}"
        database = context.databases.get(key)
        if database is None:
            continue
        is_dev = key in context.held_out
        group = table_group(
            all_pool if is_dev else train_pool,
            database,
            row["question"] if is_dev else query_of(row, rng),
            row["gold_tables"],
            rng,
            source,
        )
        if group is None:
            skipped += 1
            continue
        split.add(group, is_dev)
    split.excluded = {f"{source}_questions_with_unknown_gold": skipped} if skipped else {}
    return split


def bird_query(row: dict, rng: random.Random) -> str:
    """The BIRD question, sometimes with its evidence hint appended (augmentation)."""
    evidence = squash(row.get("evidence") or "")
    if evidence and rng.random() < BIRD_EVIDENCE_RATE:
        return f"{row['question']} {evidence}"
    return row["question"]


def capped_per_template(rows: Sequence[dict], rng: random.Random) -> list[dict]:
    """Advising rows, distinct questions only and at most a few per SQL template."""
    by_template: dict[str, list[dict]] = defaultdict(list)
    seen: set[str] = set()
    for row in rows:
        if row["question"] not in seen:
            seen.add(row["question"])
            by_template[row["id"].rsplit("_", 1)[0]].append(row)
    return [
        row
        for template in sorted(by_template)
        for row in rng.sample(
            by_template[template], min(len(by_template[template]), ADVISING_QUERIES_PER_TEMPLATE)
        )
    ]


def load_databases(inputs: Inputs) -> tuple[dict[str, Database], dict[str, Database], dict[str, list[dict]]]:
    """(training databases, Spider's evaluation databases, question rows per source)."""
    questions = {
        "spider": inputs.jsonl("spider/train.jsonl"),
        "bird": inputs.jsonl("bird_train/train.jsonl"),
        "advising": inputs.jsonl("text2sql_advising/advising.jsonl"),
    }
    eval_ids = {row["db_id"] for row in inputs.jsonl("spider/dev.jsonl")}
    spider_train_ids = {row["db_id"] for row in questions["spider"]}
    spider = {schema["db_id"]: schema for schema in inputs.json("spider/tables.json")}
    descriptions = inputs.json("bird_train/train_column_descriptions.json")
    databases = [
        Database("spider", db_id, spider_tables(spider[db_id])) for db_id in sorted(spider_train_ids)
    ]
    databases += [
        Database(
            "bird",
            schema["db_id"],
            spider_tables(schema, informative_comments(descriptions.get(schema["db_id"], {}))),
        )
        for schema in sorted(inputs.json("bird_train/train_tables.json"), key=lambda s: s["db_id"])
    ]
    databases.append(
        Database(
            "advising", "advising", advising_tables(inputs.text("text2sql_advising/advising-schema.csv"))
        )
    )
    evaluation = {
        db_id: Database("spider", db_id, spider_tables(spider[db_id])) for db_id in sorted(eval_ids)
    }
    return {database.key: database for database in databases}, evaluation, questions


def choose_held_out_databases(
    databases: dict[str, Database], questions: dict[str, list[dict]], seed: int
) -> set[str]:
    """A few Spider and BIRD databases of moderate size, without a twin schema anywhere in
    training (a held-out database whose copy is trained on would measure nothing)."""
    counts = Counter(f"{source}:{row['db_id']}" for source, rows in questions.items() for row in rows)
    families = Counter(
        re.sub(r"_\d+$", "", database.db_id) for database in databases.values() if database.source == "spider"
    )

    def eligible(database: Database, bounds: tuple[int, int]) -> bool:
        return bounds[0] <= counts[database.key] <= bounds[1] and not twins(database, databases.values())

    spider = [
        key
        for key, database in databases.items()
        if database.source == "spider"
        and families[re.sub(r"_\d+$", "", database.db_id)] == 1
        and eligible(database, SPIDER_HELD_OUT_QUESTIONS)
    ]
    bird = [
        key
        for key, database in databases.items()
        if database.source == "bird"
        and len(database.texts) <= BIRD_HELD_OUT_MAX_TABLES
        and eligible(database, BIRD_HELD_OUT_QUESTIONS)
    ]
    rng = seeded(seed, "held-out-databases")
    return set(rng.sample(spider, HELD_OUT_SPIDER_DBS)) | set(rng.sample(bird, HELD_OUT_BIRD_DBS))


def exclude_evaluation_twins(
    databases: dict[str, Database], evaluation: dict[str, Database]
) -> dict[str, str]:
    """Drop training databases that duplicate an evaluation schema; returns key -> reason."""
    excluded = {f"spider:{db_id}": f"twin of {reason}" for db_id, reason in BIRD_DEV_TWINS.items()}
    for key, database in databases.items():
        for twin in twins(database, evaluation.values()):
            excluded[key] = f"twin of Spider dev {twin.split(':', 1)[1]} (an evaluation database)"
    for key in excluded:
        databases.pop(key, None)
    return excluded


def table_sources(inputs: Inputs, seed: int) -> list[SourceSplit]:
    """Spider (train.jsonl only), BIRD train and Advising groups, plus the evaluation guard."""
    databases, evaluation, questions = load_databases(inputs)
    excluded = exclude_evaluation_twins(databases, evaluation)
    held_out = choose_held_out_databases(databases, questions, seed)
    context = TableContext(databases, held_out)
    spider = question_groups(context, "spider", questions["spider"], seeded(seed, "spider"))
    bird = question_groups(context, "bird", questions["bird"], seeded(seed, "bird"), query_of=bird_query)
    advising_rng = seeded(seed, "advising")
    advising = question_groups(
        context, "advising", capped_per_template(questions["advising"], advising_rng), advising_rng
    )
    protected = {text for key in held_out for text in databases[key].texts.values()}
    protected |= {text for database in evaluation.values() for text in database.texts.values()}
    trained = set(context.train_pool())
    guard = SourceSplit(
        held_out={
            "spider_dbs": sorted(key.split(":", 1)[1] for key in held_out if key.startswith("spider:")),
            "bird_dbs": sorted(key.split(":", 1)[1] for key in held_out if key.startswith("bird:")),
        },
        excluded={
            "spider_eval_dbs": sorted(evaluation),
            "twin_dbs": excluded,
            "advising_questions_capped_away": len(questions["advising"]) - len(advising.train),
            "held_out_or_eval_tables_identical_to_a_train_table": len(protected & trained),
        },
        # A table text that a training database has too (Spider repeats generic tables such as
        # ``people``) cannot be kept out; everything else held out must never reach training.
        blocked=protected - trained,
    )
    return [spider, bird, advising, guard]
