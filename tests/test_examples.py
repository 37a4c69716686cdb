"""The runnable scripts in examples/ run offline on the bundled model and do what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from toolrouter.rerank.bundled import MODEL_DIR

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

pytestmark = pytest.mark.skipif(not (MODEL_DIR / "model.safetensors").exists(), reason="bundled model not built")


def run_example(name: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {"agent_loop.py", "text_to_sql.py", "langchain_agent.py",
                                                       "llamaindex_rerank.py", "haystack_pipeline.py",
                                                       "litellm_hook.py", "anthropic_agent.py", "mcp_gateway.py",
                                                       "pydantic_ai_agent.py", "openai_agents_mcp.py",
                                                       "fastmcp_search.py", "service_catalog.py",
                                                       "openapi_catalog.py"}


def test_openapi_catalog_routes_to_each_apis_operation_and_shows_the_call():
    out = run_example("openapi_catalog.py")
    assert out.startswith("groups: Tasks (To-do lists and the tasks on them.), Weather (Forecasts")
    blocks = out.split("request: ")[1:]
    assert len(blocks) == 3
    assert "createTask: POST https://tasks.example.com/v2/lists/{listId}/tasks" in blocks[0]
    assert "arguments: listId, title, due, done" in blocks[0]  # the body's properties; read-only id left out
    assert "getForecast: GET https://api.weather.example/v1/forecast" in blocks[1]
    assert "updateTask: PATCH" in blocks[2]  # a German request


def test_service_catalog_finds_each_requests_tool_and_shows_its_service():
    out = run_example("service_catalog.py")
    blocks = out.split("request: ")[1:]
    wanted = ["Gmail_GmailUsersMessagesSend", "Slack_ChatPostMessage", "GoogleCalendar_CalendarEventsInsert",
              "Jira_DoTransition"]
    assert len(blocks) == len(wanted)
    for block, tool in zip(blocks, wanted):
        assert tool in block  # among the top two
    assert "named in the request" in blocks[1] and "service GoogleCalendar" in blocks[2]


def test_agent_loop_routes_each_turn_and_keeps_called_tools():
    out = run_example("agent_loop.py")
    turns = out.split("turn ")[1:]
    assert len(turns) == 3
    assert "get_weather" in turns[0].splitlines()[1]  # ranked first on the first turn
    assert "convert_currency" in turns[1] and "called" in turns[1]  # a German request; get_weather kept
    assert "book_hotel" in turns[2] and "create_calendar_event" in turns[2]


def test_text_to_sql_prunes_checks_and_runs():
    out = run_example("text_to_sql.py")
    assert "34 tables in retail.db" in out and "saved)" in out
    assert "refused: only read-only queries" in out
    assert "refused: unknown column 'nickname' in table 'customer_personal_info'" in out
    assert "accepted and run read-only:" in out and "LIMIT 1000" in out
    assert "customer_personal_info" in out.split("Prompt for the model")[0]  # joined in as a bridge
    assert "first_name | last_name | spent" in out


def test_langchain_agent_model_sees_routed_tools_and_compressor_reranks():
    out = run_example("langchain_agent.py")
    first, second = (line for line in out.splitlines() if line.startswith("model call"))
    assert first.startswith("model call 1 sees 3 of 10 tools: get_weather")
    assert second.startswith("model call 2 sees 4 of 10 tools: get_weather")  # ranked 3, plus the called tool
    assert "answer: Sunny" in out
    assert out.strip().splitlines()[-2].endswith("Lisbon has mild winters and warm, dry summers.")


def test_llamaindex_reranks_nodes_and_retrieves_tools():
    out = run_example("llamaindex_rerank.py")
    assert out.splitlines()[1].endswith("Mediterranean: about 300 sunny days a year.")
    assert "'How much is 250 dollars in euros?' -> tools: convert_currency, " in out
    assert "'Find me a flight from Lisbon to Porto on Friday' -> tools: search_flights, " in out


def test_haystack_pipeline_reranks_and_round_trips():
    out = run_example("haystack_pipeline.py")
    assert out.splitlines()[1].endswith("Lisbon has mild winters and warm, dry summers.")
    assert "saved and loaded back: ranker top_k=2" in out


def test_litellm_hook_forwards_routed_tools():
    out = run_example("litellm_hook.py")
    assert "11 tools in, 4 forwarded:" in out
    forwarded = out.split("forwarded:")[1]
    assert "book_hotel" in forwarded and "send_email" in forwarded and "web_search" in forwarded
    assert "tool_choice: auto" in out


def test_anthropic_agent_defers_tools_and_loads_them_by_search():
    out = run_example("anthropic_agent.py")
    assert "model sees web_search, get_weather, search_tools" in out.split("turn 2")[0]
    assert "-> loaded convert_currency" in out and "loaded by search: convert_currency" in out
    assert "answer: Sunny" in out


def test_mcp_gateway_searches_and_forwards_calls_to_the_owning_server():
    out = run_example("mcp_gateway.py")
    assert "the client sees: search_tools, call_tool" in out
    assert "call_tool(mail__send_email) -> email to anna@example.com sent" in out
    assert "call_tool(calendar__create_event) -> event 'Dentist' added" in out
    assert "call_tool(weather__get_forecast) -> Lisbon" in out


def test_pydantic_ai_agent_finds_deferred_tools_and_routes_each_step():
    out = run_example("pydantic_ai_agent.py")
    search, routing = out.split("per-step routing")
    steps = [line for line in search.splitlines() if "step sees" in line]
    assert steps[0].endswith("step sees 1 tools: search_tools")
    assert "search found: convert_currency" in search  # a German request, best match first
    assert "convert_currency" in steps[1] and "search_tools" in steps[1]
    assert "answer: 250 USD are 230 EUR." in search
    first, second = (line for line in routing.splitlines() if "step sees" in line)
    assert "step sees 3 tools: get_weather" in first
    assert "step sees 4 tools: get_weather" in second  # ranked 3, plus the called tool
    assert "answer: Sunny" in routing


def test_openai_agents_filter_narrows_mcp_tools_and_answers_tool_search():
    out = run_example("openai_agents_mcp.py")
    first, second = (line for line in out.splitlines() if line.startswith("model sees"))
    assert first.startswith("model sees 3 of 10 tools: book_hotel") and second == first
    assert "answer: Booked: two nights in Porto." in out
    assert "request tools: 10 deferred + tool_search (execution=client)" in out
    assert "tool_search_call('Mail an Anna schicken') -> tool_search_output loading send_email" in out


def test_fastmcp_search_transform_finds_tools_across_languages():
    out = run_example("fastmcp_search.py")
    assert "the client sees: search_tools, call_tool" in out
    assert "search_tools('Schreib Anna per Mail, dass ich später komme') -> send_email" in out
    assert "call_tool(send_email) -> email to anna@example.com sent" in out
    assert "-> get_weather" in out and "call_tool(get_weather) -> 21 °C and sunny in Lisbon" in out
