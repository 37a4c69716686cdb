"""The pipeline end to end on the demo database, against a scripted OpenAI-compatible server."""

from __future__ import annotations

import hashlib
import socket
import sqlite3

import openai
import pytest

from toolrouter import Router
from toolrouter.errors import SQLGenerationError, SQLValidationError
from toolrouter.sql import SQLPipeline, ask, extract_sql, reflect_read_only

QUESTION = "customer first name and total price of each transaction"


def client_for(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="test", max_retries=0, timeout=10)


@pytest.fixture()
def router(overlap_reranker, retail_db) -> Router:
    router = Router(overlap_reranker)
    router.registry.add(reflect_read_only(retail_db))
    return router


def test_valid_sql_is_checked_limited_and_run(router, retail_db, upstream):
    base_url, received = upstream
    answer = ask(QUESTION, router, retail_db, client=client_for(base_url), model="valid")
    assert answer.sql == ("SELECT c.first_name, t.total_price FROM transactions AS t JOIN customer_personal_info AS c "
                          "ON c.customer_id = t.customer_id ORDER BY t.transaction_id LIMIT 1000")
    assert answer.result.columns == ("first_name", "total_price")
    with sqlite3.connect(retail_db) as db:
        expected = db.execute("SELECT c.first_name, t.total_price FROM transactions t JOIN customer_personal_info c "
                              "ON c.customer_id = t.customer_id ORDER BY t.transaction_id").fetchall()
    db.close()
    assert list(answer.result.rows) == expected[:1000] and not answer.result.truncated
    assert [s.name for s in answer.selections][:2] == ["transactions", "customer_personal_info"]
    assert answer.reply.startswith("Here you go:")
    request = received[-1]
    assert request["model"] == "valid"
    assert "SQLite" in request["messages"][0]["content"]
    assert "CREATE TABLE transactions (" in request["messages"][1]["content"]
    assert request["messages"][1]["content"].endswith(f"Question: {QUESTION}")


def test_unknown_column_is_refused_before_running(router, retail_db, upstream):
    with pytest.raises(SQLValidationError, match="unknown column 'nickname' in table 'customer_personal_info'"):
        ask(QUESTION, router, retail_db, client=client_for(upstream[0]), model="invalid")


def test_write_is_refused_and_the_database_is_unchanged(router, retail_db, upstream):
    before = hashlib.sha256(retail_db.read_bytes()).hexdigest()
    with pytest.raises(SQLValidationError, match=r"only read-only queries .* got DELETE"):
        ask(QUESTION, router, retail_db, client=client_for(upstream[0]), model="write")
    assert hashlib.sha256(retail_db.read_bytes()).hexdigest() == before


def test_empty_reply_is_a_generation_error(router, retail_db, upstream):
    with pytest.raises(SQLGenerationError, match="returned no SQL"):
        ask(QUESTION, router, retail_db, client=client_for(upstream[0]), model="empty")


def test_unreachable_model_is_a_generation_error(router, retail_db):
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SQLGenerationError, match="could not be called"):
        ask(QUESTION, router, retail_db, client=client_for(f"http://127.0.0.1:{port}/v1"), model="valid")


def test_empty_router_reflects_the_database_and_prunes(overlap_reranker, retail_db):
    router = Router(overlap_reranker)
    pipeline = SQLPipeline(router, f"sqlite:///{retail_db}", prune=True)
    prompt = pipeline.prompt(QUESTION)
    assert len(router.registry.tables) == 34
    assert pipeline.dialect == "sqlite"
    transactions = next(t for t in prompt.tables if t.name == "transactions")
    assert [c.name for c in transactions.columns] == [
        "transaction_id", "customer_id", "product_id", "transaction_date", "quantity", "total_price"]
    customers = next(t for t in prompt.tables if t.name == "customer_personal_info")
    assert [c.name for c in customers.columns] == ["customer_id", "first_name", "last_name", "email"]
    assert prompt.full_schema_tokens > 4 * prompt.schema_tokens


def test_no_model_configured(router, retail_db, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(SQLGenerationError, match="no model configured"):
        ask(QUESTION, router, retail_db)


@pytest.mark.parametrize(("reply", "sql"), [
    ("```sql\nSELECT 1\n```", "SELECT 1"),
    ("Sure!\n```SQL\nSELECT 1;\n```\nThis selects one.", "SELECT 1;"),
    ("```\nSELECT 2\n```", "SELECT 2"),
    ("  SELECT 3  ", "SELECT 3"),
])
def test_extract_sql(reply, sql):
    assert extract_sql(reply) == sql
