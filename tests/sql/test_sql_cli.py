"""``toolrouter sql``: the pruned prompt without a model, the answer with one."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from toolrouter.cli import app

QUESTION = "customer first name and total price of each transaction"


@pytest.fixture()
def run(tiny_model_dir, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(app, ["sql", *args, "--reranker", str(tiny_model_dir)], env={"COLUMNS": "200"})

    return invoke


def test_prompt_only_prints_prompt_and_savings(run, retail_db):
    result = run("--db", str(retail_db), QUESTION, "--prompt-only", "--dialect", "postgres", "-k", "2")
    assert result.exit_code == 0, result.output
    assert "PostgreSQL" in result.output
    assert "CREATE TABLE" in result.output
    assert f"Question: {QUESTION}" in result.output
    assert "schema tokens:" in result.output and "saved" in result.output
    assert "no model configured" not in result.output


def test_without_a_model_the_prompt_is_printed_with_a_hint(run, retail_db):
    result = run("--db", f"sqlite:///{retail_db}", QUESTION, "--prune-columns")
    assert result.exit_code == 0, result.output
    assert "schema tokens:" in result.output
    assert "no model configured" in result.output


def test_with_a_model_the_answer_is_printed(run, retail_db, upstream):
    result = run("--db", str(retail_db), QUESTION, "--base-url", upstream[0], "--model", "valid")
    assert result.exit_code == 0, result.output
    assert "LIMIT 1000" in result.output
    assert "first_name" in result.output and "600 rows" in result.output


def test_refused_sql_exits_with_the_reason(run, retail_db, upstream):
    result = run("--db", str(retail_db), QUESTION, "--base-url", upstream[0], "--model", "write")
    assert result.exit_code == 2
    assert "only read-only queries" in result.output


def test_bad_dialect_lists_valid_ones(run, retail_db):
    result = run("--db", str(retail_db), QUESTION, "--prompt-only", "--dialect", "postgresql")
    assert result.exit_code == 2
    assert "unknown SQL dialect 'postgresql'" in result.output
