"""The training-data builder's core functions on tiny in-memory samples (no files, no mocks)."""

from __future__ import annotations

import random

from toolrouter.registry.items import Column, TableItem
from training.data import KIND_SHARES, balance_weights
from training.groups import Group
from training.items import (
    advising_tables,
    informative_comments,
    normalize_parameters,
    seal_tool,
    spider_tables,
    toolalpaca_tool,
)
from training.mining import Bm25Index
from training.table_groups import Database, TableContext, question_groups, twins
from training.tool_groups import ToolCatalog, ToolContext, api_bank_query, description_key, tool_group

# Two tables: enrollment has a composite key (student_id, course_id) and references student.
SPIDER_SCHEMA = {
    "db_id": "school",
    "table_names_original": ["student", "enrollment"],
    "column_names_original": [
        [-1, "*"],
        [0, "student_id"],
        [0, "name"],
        [1, "student_id"],
        [1, "course_id"],
        [1, "grade"],
    ],
    "column_types": ["text", "number", "text", "number", "number", "time"],
    "primary_keys": [1, [3, 4]],
    "foreign_keys": [[3, 1]],
}


def test_spider_tables_render_keys_and_types() -> None:
    tables = spider_tables(SPIDER_SCHEMA, {("student", "name"): "full name"})
    enrollment = tables["enrollment"].text
    assert "PRIMARY KEY (student_id, course_id)" in enrollment
    assert "FOREIGN KEY (student_id) REFERENCES student(student_id)" in enrollment
    assert "grade DATETIME" in enrollment
    assert tables["student"].text == (
        "CREATE TABLE student (student_id DECIMAL PRIMARY KEY, name TEXT COMMENT 'full name')"
    )


def test_pairs_to_a_composite_primary_key_make_one_foreign_key() -> None:
    schema = {
        "table_names_original": ["enrollment", "grade_report"],
        "column_names_original": [[-1, "*"], [0, "student_id"], [0, "course_id"], [1, "sid"], [1, "cid"]],
        "column_types": ["text", "number", "number", "number", "number"],
        "primary_keys": [[1, 2]],
        "foreign_keys": [[3, 1], [4, 2]],
    }
    (foreign_key,) = spider_tables(schema)["grade_report"].foreign_keys
    assert foreign_key.columns == ("sid", "cid")
    assert foreign_key.ref_columns == ("student_id", "course_id")


def test_advising_schema_rows_with_commas_in_types() -> None:
    csv = (
        "Table Name, Field Name, Type, Is Foreign Key, Is Primary Key\n"
        "GSI, course_offering_id,  int(11),  NO,    PRI,  0,        -\n"
        "GSI, student_id,          int(11),  NO,    PRI,  NULL,     -\n"
        "-, -, -, -, -, -, -\n"
        "STUDENT, total_gpa,       float(3,2),    YES,   -,  NULL,       -\n"
    )
    tables = advising_tables(csv)
    assert tables["GSI"].primary_key == ("course_offering_id", "student_id")
    assert "course_offering_id INT(11) NOT NULL" in tables["GSI"].text
    assert tables["STUDENT"].columns == (Column("total_gpa", "FLOAT(3, 2)"),)


def test_column_descriptions_that_repeat_the_name_are_dropped() -> None:
    comments = informative_comments(
        {"lists ": {"list_url": "list url ", "list_id ": "ID of the list on Mubi "}}
    )
    assert comments == {("lists", "list_id"): "ID of the list on Mubi"}


def test_dataset_types_become_json_schema() -> None:
    schema = normalize_parameters(
        {
            "properties": {
                "tags": {"type": "list(str)"},
                "n": {"type": "int", "choices": [1, 2], "unit": "m"},
            },
            "required": ["n", "missing"],
        }
    )
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert schema["properties"]["n"] == {"type": "integer", "enum": [1, 2], "description": "(unit: m)"}
    assert schema["required"] == ["n"]
    tool = seal_tool(
        {
            "name": "getWeather",
            "description": "Weather now",
            "parameters": {"type": "object", "properties": {"city": {"type": "str"}}, "required": ["city"]},
        }
    )
    assert tool.text == "tool: getWeather\ndescription: Weather now\nparameters: city (string, required)"


def test_toolalpaca_documentation_is_split_into_schema_and_extra() -> None:
    tool = toolalpaca_tool(
        {
            "api": "Axolotl",
            "function": "searchImages",
            "api_description": "Axolotl pictures",
            "description": 'Search images.\nParameters: {"color": "Required. string. One of: [wild, albino]. '
            'The color."}\nOutput: Successful response.\n - Format: application/json',
        }
    )
    assert tool.description == "Search images."
    assert tool.parameters["properties"]["color"] == {
        "type": "string",
        "description": "The color.",
        "enum": ["wild", "albino"],
    }
    assert tool.parameters["required"] == ["color"]
    assert tool.extra == {"api": "Axolotl", "api_description": "Axolotl pictures"}


def test_api_bank_query_never_shows_the_answer_after_the_last_user_turn() -> None:
    row = {
        "query": "It's 1234.",
        "dialogue": "User: Cancel my timer.\nAI: Which device?\nUser: It's 1234.\n"
        "AI: Done, the timer is cancelled.",
    }
    queries = {api_bank_query(row, random.Random(seed)) for seed in range(20)}
    assert "It's 1234." in queries
    assert "User: Cancel my timer.\nAI: Which device?\nUser: It's 1234." in queries
    assert not any("cancelled" in query for query in queries)


def test_bm25_rank_skips_excluded_and_non_matching_texts() -> None:
    index = Bm25Index(["getWeatherForecast for a city", "book_flight tickets", "weather history"])
    assert index.rank("weather forecast in Paris") == [0, 2]
    assert index.rank("weather forecast in Paris", exclude={0}) == [2]


def _database(source: str, db_id: str, *names: str) -> Database:
    tables = {
        name: TableItem(name=name, columns=(Column(f"{name}_id", "INT"), Column("note"))) for name in names
    }
    return Database(source, db_id, tables)


def test_held_out_databases_reach_dev_only_and_never_train_negatives() -> None:
    databases = {
        db.key: db
        for db in (
            _database("spider", "shop", "orders", "items", "clients"),
            _database("spider", "zoo", "animals", "keepers"),
            _database("spider", "farm", "crops", "fields"),
        )
    }
    context = TableContext(databases, held_out={"spider:zoo"})
    rows = [
        {"db_id": db_id, "question": f"how many {table}?", "gold_tables": [table]}
        for db_id, table in (("shop", "orders"), ("zoo", "animals"), ("farm", "crops"), ("gone", "x"))
    ]
    split = question_groups(context, "spider", rows, random.Random(0))
    zoo_texts = set(databases["spider:zoo"].texts.values())
    assert [group.query for group in split.dev] == ["how many animals?"]
    assert {group.query for group in split.train} == {"how many orders?", "how many crops?"}
    assert not any(zoo_texts & set(group.positives + group.negatives) for group in split.train)
    shop = next(group for group in split.train if group.query == "how many orders?")
    assert set(shop.negatives[:2]) == {databases["spider:shop"].texts[t] for t in ("items", "clients")}


def test_schema_twins_are_detected_across_sources() -> None:
    world = _database("spider", "world_1", "city", "country")
    copy = _database("bird", "world", "city", "country")
    other = _database("bird", "shop", "orders")
    assert twins(world, [world, copy, other]) == ["bird:world"]


def test_train_tool_groups_never_show_held_out_tools() -> None:
    items = {
        name: seal_tool({"name": name, "description": f"{name} weather tool"})
        for name in ("getWeather", "getForecast", "getRain", "getSnow")
    }
    catalog = ToolCatalog(items, {name: description_key(name) for name in items}, held_out={"getSnow"})
    context = ToolContext({"seal_tools": catalog}, seed=0)
    train = tool_group(
        context, "seal_tools", "weather today", ["getWeather"], is_dev=False, rng=random.Random(0)
    )
    dev = tool_group(
        context, "seal_tools", "weather today", ["getWeather"], is_dev=True, rng=random.Random(0)
    )
    assert train.positives == [catalog.text("getWeather")]
    assert catalog.text("getSnow") not in train.negatives
    assert catalog.text("getSnow") in dev.negatives
    assert catalog.text("getWeather") not in train.negatives


def test_weights_give_each_kind_its_share() -> None:
    groups = [
        Group("q", ["p"], [], source, kind)
        for source, kind, count in (
            ("seal_tools", "tool", 3),
            ("apibench", "tool", 5),
            ("spider", "table", 20),
            ("xquad", "text", 7),
        )
        for _ in range(count)
    ]
    balance_weights(groups)
    total = sum(group.weight for group in groups)
    for kind, share in KIND_SHARES.items():
        assert abs(sum(g.weight for g in groups if g.kind == kind) / total - share) < 1e-3
    seal, apibench = (next(g.weight for g in groups if g.source == s) for s in ("seal_tools", "apibench"))
    assert abs(apibench / seal - 0.3) < 1e-3
