"""Responses client tool search answered by the router, and hidden tools kept hidden (official openai client)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from proxy_support import TOPICS, chat_tool, responses_tool, run_proxy, serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from toolrouter.openai import wrap
from toolrouter.proxy.tool_search import answer_tool_search, continuation, defer_request, search_definitions

TOOLS = [responses_tool(topic) for topic in TOPICS]
CRM = {"type": "namespace", "name": "crm", "description": "Customer records.", "tools": [
    {"type": "function", "name": "find_customer", "description": "Find a customer by email.", "defer_loading": True,
     "parameters": {"type": "object", "properties": {"email": {"type": "string"}}}},
    {"type": "function", "name": "update_customer", "description": "Update a customer's address.",
     "defer_loading": True, "parameters": {"type": "object", "properties": {"address": {"type": "string"}}}}]}
DEFERRED = {**responses_tool("invoice"), "defer_loading": True}


def response(output: list[dict[str, Any]], number: int) -> dict[str, Any]:
    return {"id": f"resp_{number}", "object": "response", "created_at": 0, "status": "completed", "model": "m",
            "output": output, "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}


class ScriptedModel:
    """An OpenAI-compatible Responses upstream whose model follows a script per request ``model``:

    ``searcher`` searches for ``metadata.search`` (client tool search), then calls the first tool the
    search loaded, then answers; ``guesser`` calls ``metadata.guess`` (a tool it was not shown), then
    answers with what the tool output said.
    """

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.url = ""

    def app(self) -> Starlette:
        async def responses(request: Request) -> JSONResponse:
            body = await request.json()
            self.received.append(body)
            items = body["input"] if isinstance(body["input"], list) else []
            number = len(self.received)
            last = items[-1] if items else {}
            if body["model"] == "searcher":
                if last.get("type") == "tool_search_output":
                    loaded = last["tools"][0]
                    name = loaded["tools"][0]["name"] if loaded["type"] == "namespace" else loaded["name"]
                    call = {"type": "function_call", "id": f"fc_{number}", "call_id": "call_2", "name": name,
                            "arguments": "{}", "status": "completed"}
                    if loaded["type"] == "namespace":
                        call["namespace"] = loaded["name"]
                    return JSONResponse(response([call], number))
                if last.get("type") == "function_call_output":
                    return JSONResponse(response([message("done")], number))
                search = {"type": "tool_search_call", "id": f"ts_{number}", "call_id": "call_1", "execution": "client",
                          "status": "completed", "arguments": {"query": body["metadata"]["search"]}}
                return JSONResponse(response([search], number))
            if last.get("type") == "function_call_output":
                return JSONResponse(response([message(last["output"])], number))
            call = {"type": "function_call", "id": f"fc_{number}", "call_id": "call_9",
                    "name": body["metadata"]["guess"], "arguments": "{}", "status": "completed"}
            return JSONResponse(response([call], number))

        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            self.received.append(body)
            last = body["messages"][-1]
            if last["role"] == "tool":
                message = {"role": "assistant", "content": last["content"]}
            else:
                message = {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_9", "type": "function", "function": {"name": body["metadata"]["guess"],
                                                                       "arguments": "{}"}}]}
            return JSONResponse({"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
                                 "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})

        return Starlette(routes=[Route("/v1/responses", responses, methods=["POST"]),
                                 Route("/v1/chat/completions", chat, methods=["POST"])])


def message(text: str) -> dict[str, Any]:
    return {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    with serve(model.app()) as url:
        model.url = f"{url}/v1"
        yield model


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [t.get("name") or t["type"] for t in tools]


def test_deferred_and_unrouted_tools_are_held_back_behind_a_client_search(overlap_router):
    body = {"model": "m", "input": "weather in Paris", "tools": [*TOOLS, CRM, DEFERRED, {"type": "web_search"}]}
    routed = defer_request(body, overlap_router, k=2)
    sent = routed.body["tools"]
    assert tool_names(sent) == ["get_weather", "get_stock", "web_search", "tool_search"]
    assert sent[-1] == {"type": "tool_search", "execution": "client", "description": sent[-1]["description"],
                        "parameters": sent[-1]["parameters"]}
    assert routed.tools_in == 15 and routed.changed
    # A small request with nothing deferred goes as it came.
    small = {"model": "m", "input": "weather", "tools": TOOLS[:2]}
    assert defer_request(small, overlap_router, k=2).body is small


def test_search_returns_functions_and_namespace_members_in_their_namespace(overlap_router):
    found = search_definitions("find customer by email and update address", [*TOOLS, CRM], overlap_router, k=2)
    assert found == [{"type": "namespace", "name": "crm", "description": "Customer records.",
                      "tools": [{k: v for k, v in member.items() if k != "defer_loading"} for member in CRM["tools"]]}]
    answer = answer_tool_search({"type": "tool_search_call", "call_id": "c1", "execution": "client",
                                 "arguments": json.dumps({"query": "invoice"})}, [*TOOLS, DEFERRED], overlap_router, 1)
    assert answer == {"type": "tool_search_output", "call_id": "c1", "execution": "client", "status": "completed",
                      "tools": [{k: v for k, v in DEFERRED.items() if k != "defer_loading"}]}
    empty = answer_tool_search({"type": "tool_search_call", "call_id": "c2", "arguments": {}}, TOOLS, overlap_router)
    assert empty["tools"] == []
    with pytest.raises(ValueError, match="tool_search_call"):
        answer_tool_search({"type": "function_call"}, TOOLS, overlap_router)


def test_wrapper_answers_the_search_and_continues_so_the_caller_sees_one_call(scripted, overlap_router):
    scripted.received.clear()
    client = wrap(openai.OpenAI(base_url=scripted.url, api_key="sk-x", max_retries=0), overlap_router, k=2,
                  tool_search=True)
    result = client.responses.create(model="searcher", input="look up this invoice for me",
                                     tools=[*TOOLS, DEFERRED], metadata={"search": "invoice"})
    # The model searched, got get_invoice, called it: that call is the caller's to run.
    assert [item.type for item in result.output] == ["function_call"] and result.output[0].name == "get_invoice"
    first, second = scripted.received
    assert "get_invoice" not in tool_names(first["tools"]) and tool_names(first["tools"])[-1] == "tool_search"
    # Chained on the stored response, the search answer as input, the same routed tools.
    assert second["previous_response_id"] == "resp_1" and second["tools"] == first["tools"]
    assert second["input"][0]["type"] == "tool_search_output" and second["input"][0]["call_id"] == "call_1"
    loaded = tool_names(second["input"][0]["tools"])
    assert loaded[0] == "get_invoice" and not set(loaded) & set(tool_names(first["tools"]))  # nothing it had


def test_stateless_requests_replay_the_conversation_and_namespaces_come_back(scripted, overlap_router):
    scripted.received.clear()
    client = wrap(openai.OpenAI(base_url=scripted.url, api_key="sk-x", max_retries=0), overlap_router, k=1,
                  tool_search=True)
    result = client.responses.create(model="searcher", input=[{"role": "user", "content": "change an address"}],
                                     tools=[*TOOLS, CRM], store=False, metadata={"search": "update customer address"})
    assert result.output[0].name == "update_customer" and result.output[0].namespace == "crm"
    replayed = scripted.received[1]["input"]
    assert [item.get("type", item.get("role")) for item in replayed] == ["user", "tool_search_call",
                                                                         "tool_search_output"]
    assert "previous_response_id" not in scripted.received[1]


def test_a_hidden_tool_the_model_calls_anyway_is_refused_unless_allowed(scripted, overlap_router):
    scripted.received.clear()
    client = wrap(openai.OpenAI(base_url=scripted.url, api_key="sk-x", max_retries=0), overlap_router, k=1,
                  tool_search=True)
    result = client.responses.create(model="guesser", input="weather in Paris", tools=TOOLS,
                                     metadata={"guess": "get_recipe"})
    assert "'get_recipe' is not available" in result.output_text and "tool_search" in result.output_text
    assert scripted.received[1]["input"][0]["type"] == "function_call_output"
    # A tool the model was shown, and an unknown name, are the caller's.
    for guess in ("get_weather", "no_such_tool"):
        result = client.responses.create(model="guesser", input="weather in Paris", tools=TOOLS,
                                         metadata={"guess": guess})
        assert result.output[0].type == "function_call" and result.output[0].name == guess
    allowing = wrap(openai.OpenAI(base_url=scripted.url, api_key="sk-x", max_retries=0), overlap_router, k=1,
                    tool_search=True, allow_hidden=True)
    result = allowing.responses.create(model="guesser", input="weather in Paris", tools=TOOLS,
                                       metadata={"guess": "get_recipe"})
    assert result.output[0].name == "get_recipe"


def test_async_wrapper_and_argument_checks(scripted, overlap_router):
    client = wrap(openai.AsyncOpenAI(base_url=scripted.url, api_key="sk-x", max_retries=0), overlap_router, k=2,
                  tool_search=True)
    result = asyncio.run(client.responses.create(model="searcher", input="find this invoice", tools=[*TOOLS, DEFERRED],
                                                 metadata={"search": "invoice"}))
    assert result.output[0].name == "get_invoice"
    with pytest.raises(ValueError, match="tool_search holds tools back"):
        wrap(openai.OpenAI(base_url=scripted.url, api_key="sk-x"), overlap_router, mode="allowed_tools",
             tool_search=True)


def test_continuation_stops_when_the_caller_has_work(overlap_router):
    request = {"model": "m", "input": "weather", "tools": TOOLS[:1]}
    call = {"type": "function_call", "call_id": "c", "name": "get_weather", "arguments": "{}"}
    assert continuation(request, response([call], 1), TOOLS, overlap_router) is None
    assert continuation(request, response([message("hi")], 1), TOOLS, overlap_router) is None


def test_the_proxy_answers_searches_itself_and_refuses_hidden_calls(scripted, overlap_router):
    scripted.received.clear()
    with run_proxy(scripted.url, overlap_router, k=2, tool_search=True) as url:
        client = openai.OpenAI(base_url=url, api_key="sk-x", max_retries=0)
        raw = client.responses.with_raw_response.create(model="searcher", input="look up this invoice",
                                                        tools=[*TOOLS, DEFERRED], metadata={"search": "invoice"})
        assert raw.headers["x-toolrouter-searches"] == "1"
        result = raw.parse()
        assert [item.type for item in result.output] == ["function_call"] and result.output[0].name == "get_invoice"
        assert tool_names(scripted.received[0]["tools"])[-1] == "tool_search" and len(scripted.received) == 2
        guessed = client.responses.create(model="guesser", input="weather", tools=TOOLS, metadata={"guess": "get_news"})
        assert "'get_news' is not available" in guessed.output_text
    with run_proxy(scripted.url, overlap_router, k=2, tool_search=True, allow_hidden=True) as url:
        client = openai.OpenAI(base_url=url, api_key="sk-x", max_retries=0)
        guessed = client.responses.create(model="guesser", input="weather", tools=TOOLS, metadata={"guess": "get_news"})
        assert guessed.output[0].name == "get_news"
    with pytest.raises(ValueError, match="needs mode='filter'"), run_proxy(scripted.url, overlap_router,
                                                                          mode="allowed_tools", tool_search=True):
        pass


@pytest.mark.parametrize("through_proxy", [False, True])
def test_hidden_chat_and_responses_calls_are_refused_in_plain_filter_mode(scripted, overlap_router, through_proxy):
    """A filtered-out tool the model calls anyway (seen earlier, or guessed) is refused, not returned."""
    chat_tools = [chat_tool(topic) for topic in TOPICS]
    with run_proxy(scripted.url, overlap_router, k=1) as url:
        base = url if through_proxy else scripted.url
        client = openai.OpenAI(base_url=base, api_key="sk-x", max_retries=0)
        client = client if through_proxy else wrap(client, overlap_router, k=1)
        messages = [{"role": "user", "content": "weather in Paris"}]
        scripted.received.clear()
        answer = client.chat.completions.create(model="guesser", messages=messages, tools=chat_tools,
                                                metadata={"guess": "get_recipe"})
        assert "'get_recipe' is not available in this request; use one of the tools you were given" in (
            answer.choices[0].message.content)
        retry = scripted.received[-1]["messages"]
        assert [m["role"] for m in retry] == ["user", "assistant", "tool"] and retry[2]["tool_call_id"] == "call_9"
        shown = client.chat.completions.create(model="guesser", messages=messages, tools=chat_tools,
                                               metadata={"guess": "get_weather"})
        assert shown.choices[0].message.tool_calls[0].function.name == "get_weather"
        answer = client.responses.create(model="guesser", input="weather in Paris", tools=TOOLS,
                                         metadata={"guess": "get_news"})
        assert "'get_news' is not available in this request; use one of the tools you were given" in (
            answer.output_text)
