"""The command line ranks the announcement's examples with a model directory."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import EXAMPLES
from toolrouter.cli import app

runner = CliRunner()


def test_tools_json(tiny_model_dir):
    result = runner.invoke(app, ["tools", "--tools", str(EXAMPLES / "announcement_tools.json"), "-m",
                                 str(tiny_model_dir), "-k", "2", "--json",
                                 "calculate the carbon footprint of my road trip"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 2 and {r["name"] for r in rows} <= {"getWeather", "calculateDistance",
                                                            "calculateCarbonFootprint"}
    assert rows[0]["score"] >= rows[1]["score"] and rows[0]["rank"] == 1


def test_tables_from_ddl_and_database(tiny_model_dir, tmp_path):
    result = runner.invoke(app, ["tables", "--ddl", str(EXAMPLES / "announcement_tables.sql"), "--dialect", "mysql",
                                 "-m", str(tiny_model_dir), "which customers bought a summer outfit?"])
    assert result.exit_code == 0, result.output
    assert "transactions" in result.stdout or "products" in result.stdout
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
    result = runner.invoke(app, ["tables", "--db", f"sqlite:///{db}", "-m", str(tiny_model_dir), "--json", "orders"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["name"] == "orders"


def test_errors_are_clear_and_exit_2(tmp_path, tiny_model_dir):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "f", "parameters": {"type": "array"}}]))
    result = runner.invoke(app, ["tools", "--tools", str(bad), "-m", str(tiny_model_dir), "q"])
    assert result.exit_code == 2 and "tool 'f'" in result.stderr
    result = runner.invoke(app, ["tools", "q"])
    assert result.exit_code == 2 and "no tools given" in result.stderr
    result = runner.invoke(app, ["tables", "--ddl", str(tmp_path / "missing.sql"), "q"])
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_tools_from_an_openapi_yaml_file(tmp_path):
    petstore = Path(__file__).parent / "registry" / "data" / "petstore.yaml"
    result = runner.invoke(app, ["explain", "--tools", str(petstore), "--rerank", "none", "--json", "-k", "1",
                                 "show me the pet with id 7"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["candidates"][0]["name"] == "showPetById"
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.0\npaths: [unclosed\n")
    result = runner.invoke(app, ["tools", "--tools", str(broken), "q"])
    assert result.exit_code == 2
    assert "broken.yaml: not valid YAML: expected ',' or ']', but got '<stream end>' at line 3, column 1" in (
        " ".join(result.stderr.split()))


def test_schema_command_prints_registry_schema():
    result = runner.invoke(app, ["schema", "registry"])
    assert result.exit_code == 0 and json.loads(result.stdout)["title"] == "toolrouter registry file"


def test_explain_tools_and_tables(tiny_model_dir, tmp_path):
    result = runner.invoke(app, ["explain", "--tools", str(EXAMPLES / "announcement_tools.json"), "-m",
                                 str(tiny_model_dir), "-k", "1", "--json", "carbon footprint of my trip"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "tool" and data["pool"] == 3 and data["first_stage"] is None and data["k"] == 1
    assert [row["rank"] for row in data["candidates"]] == [1, 2, 3]
    assert [row["selected"] for row in data["candidates"]] == [True, False, False]
    assert data["candidates"][1]["why"] == "beyond k=1"
    assert data["selected"][0]["name"] == data["candidates"][0]["name"]
    assert data["query"] == data["routed_text"] == "carbon footprint of my trip"

    result = runner.invoke(app, ["explain", "--tools", str(EXAMPLES / "announcement_tools.json"), "-m",
                                 str(tiny_model_dir), "work out the carbon footprint: 300 km by car"])
    assert result.exit_code == 0, result.output
    assert "tools for: work out the carbon footprint: 300 km by car (routed on: work out the carbon footprint)" in (
        " ".join(result.output.split()))

    result = runner.invoke(app, ["explain", "--ddl", str(EXAMPLES / "announcement_tables.sql"), "--dialect", "mysql",
                                 "-m", str(tiny_model_dir), "which customers bought products"])
    assert result.exit_code == 0, result.output
    assert "tables for: which customers bought products" in result.output
    assert "4 tables; all reranked" in result.output and "first stage" in result.output

    grouped = tmp_path / "services.json"
    grouped.write_text(json.dumps([{"name": f"{service}_{action}Message", "description": f"{action} a message",
                                    "parameters": {"type": "object"}}
                                   for service in ("Slack", "Telegram") for action in ("Send", "Delete")]))
    result = runner.invoke(app, ["explain", "--tools", str(grouped), "-m", str(tiny_model_dir), "--json",
                                 "tell the team on Slack that we ship today"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["candidates"]
    assert {(row["group"], row["group_named"]) for row in rows} == {("Slack", True), ("Telegram", False)}
    assert all(0.0 <= row["group_score"] <= 1.0 for row in rows)
    assert all(row["name_penalty"] is None for row in rows)  # groups of two tools: no name-length prior

    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps([{"name": f"Jira_{action}{thing}", "description": f"{action} {thing.lower()}s",
                                    "parameters": {"type": "object"}}
                                   for action in ("Create", "Delete") for thing in ("Issue", "Comment", "Worklog",
                                                                                    "IssueLinkType", "ProjectRole")]
                                  + json.loads(grouped.read_text())))
    result = runner.invoke(app, ["explain", "--tools", str(catalog), "-m", str(tiny_model_dir), "--json", "-k", "10",
                                 "create an issue in Jira"])
    assert result.exit_code == 0, result.output
    penalties = {row["name"]: row["name_penalty"] for row in json.loads(result.output)["candidates"]}
    assert penalties["Jira_CreateIssueLinkType"] > penalties["Jira_CreateIssue"] > 0
    assert penalties["Slack_SendMessage"] is None  # Slack's two tools are too few for the prior
    result = runner.invoke(app, ["explain", "--tools", str(catalog), "-m", str(tiny_model_dir), "-k", "10",
                                 "create an issue in Jira"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert "Jira (" in result.output and f"name −{penalties['Jira_CreateIssue']:.3f})" in result.output

    result = runner.invoke(app, ["explain", "--tools", str(EXAMPLES / "announcement_tools.json"), "--kind", "column",
                                 "-m", str(tiny_model_dir), "q"])
    assert result.exit_code == 2 and "unknown kind 'column'" in result.output
