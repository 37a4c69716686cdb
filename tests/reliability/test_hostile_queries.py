"""Hostile queries give a result or a ``QueryError``, never a crash, on every reranker path.

Queries are cleaned (control characters and lone surrogates become harmless) and cut to
``MAX_QUERY_CHARS`` before any tokenizer sees them; items with lone surrogates in their text are
rendered as valid Unicode. Covered: the word-overlap reranker, a tiny BERT cross-encoder (a real
Hugging Face tokenizer) and, once per module, the bundled default model.
"""

from __future__ import annotations

import math

import pytest

from tests.conftest import WordOverlapReranker
from toolrouter import Router
from toolrouter.router import QueryError

UNUSABLE = {
    "empty": "",
    "whitespace": " \n\t\u3000\u2003 ",
    "control characters only": "\x00\x1b\x7f\x08",
    "1 MB of NUL": "\x00" * 1_000_000,
}
HOSTILE = {
    "1 MB": "what is the weather " * 52_429,
    "mixed scripts": "weather in 東京 الطقس في القاهرة Wetter 🌦️🚗 погода carbon footprint",
    "control characters": "calculate\x00 the\x1b[31m carbon\x07 footprint\r\n\x0c",
    "lone surrogates": "\ud800 carbon \udfff footprint \udbff\udc00",
    "only a surrogate": "\ud800",
    "zero-width and bidi": "\u200b\u200d\ufeff\u202ecarbon footprint\u202c",
    "combining marks": "e\u0301" * 5_000,
    "private use and noncharacters": "\ue000\U0010fffd\ufffe\uffff customers",
}


def hostile_router(model) -> Router:
    router = Router(model)
    router.add_tools([
        {"name": "getWeather", "description": "Get the weather \ud800 for a city", "parameters": {
            "type": "object", "properties": {"city\udfff": {"type": "string", "description": "a city \x00"}}}},
        {"name": "calculateCarbonFootprint", "description": "Carbon footprint of a trip"},
        {"name": "findProduct", "description": "Search the product catalogue"},
    ])
    router.add_tables("CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(80) COMMENT 'full \ud800 name');"
                      "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT REFERENCES customers(id))")
    return router


@pytest.fixture(scope="module", params=["word-overlap", "tiny-bert"])
def router(request, tiny_model_dir) -> Router:
    return hostile_router(WordOverlapReranker() if request.param == "word-overlap" else str(tiny_model_dir))


def assert_routes(router: Router, query) -> None:
    tools = router.select_tools(query, k=2)
    tables = router.select_tables(query, k=1)
    ranked = router.rank(query, "table")
    assert len(tools) == 2 and tables and len(ranked) == 2
    assert all(math.isfinite(s.score) for s in [*tools, *ranked])


@pytest.mark.parametrize("query", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_queries_are_routed(router, query):
    assert_routes(router, query)


@pytest.mark.parametrize("query", [*UNUSABLE.values(), None, 42, b"weather"], ids=[*UNUSABLE, "None", "int", "bytes"])
def test_unusable_queries_raise_query_error(router, query):
    for call in (router.select_tools, router.select_tables, router.rank):
        with pytest.raises(QueryError, match="query"):
            call(query)


@pytest.fixture(scope="module")
def bundled_router() -> Router:
    """The default model with its own tokenizer: loaded once for the module (a few seconds)."""
    from toolrouter import load_reranker

    return hostile_router(load_reranker())


@pytest.mark.parametrize("name", ["1 MB", "mixed scripts", "control characters", "lone surrogates", "only a surrogate"])
def test_bundled_model_routes_hostile_queries(bundled_router, name):
    assert_routes(bundled_router, HOSTILE[name])


def test_bundled_model_refuses_empty_queries(bundled_router):
    with pytest.raises(QueryError):
        bundled_router.select_tools(UNUSABLE["control characters only"])
