"""Anthropic mid-conversation tool changes: tools stay as given, a system message adds and removes tools."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from proxy_support import TOPICS, serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from toolrouter.anthropic import (
    TOOL_CHANGES_BETA,
    offered_tools,
    route_messages,
    tool_change_message,
    with_tool_changes,
    wrap,
)

TOOLS = [{"name": f"get_{topic}", "description": f"Get the {topic} information.",
          "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}} for topic in TOPICS]
NAMES = [tool["name"] for tool in TOOLS]


def addition(name: str) -> dict[str, Any]:
    return {"type": "tool_addition", "tool": {"type": "tool_reference", "name": name}}


def removal(name: str) -> dict[str, Any]:
    return {"type": "tool_removal", "tool": {"type": "tool_reference", "name": name}}


class RecordingMessagesApi:
    def __init__(self) -> None:
        self.url = ""
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []

    def app(self) -> Starlette:
        async def messages(request: Request) -> JSONResponse:
            body = json.loads(await request.body())
            self.received.append((dict(request.headers), body))
            content = [{"type": "text", "text": "ok"}]
            last = body["messages"][-1]["content"]
            if isinstance(last, list) and last[0].get("type") == "tool_result":
                content = [{"type": "text", "text": last[0]["content"]}]
            elif body["model"].startswith("guess-"):  # the model calls the tool its name says
                content = [{"type": "tool_use", "id": "toolu_1", "name": body["model"][6:], "input": {}}]
            return JSONResponse({"id": "msg_1", "type": "message", "role": "assistant", "model": body["model"],
                                 "content": content, "stop_reason": "end_turn",
                                 "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}})

        return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])


@pytest.fixture(scope="module")
def messages_api() -> Iterator[RecordingMessagesApi]:
    api = RecordingMessagesApi()
    with serve(api.app()) as url:
        api.url = url
        yield api


def test_offered_tools_follow_the_changes_in_order():
    messages = [{"role": "user", "content": "hi"},
                {"role": "system", "content": [removal("get_stock"), removal("get_email")]},
                {"role": "assistant", "content": "hello"},
                {"role": "system", "content": [addition("get_email")]}]
    assert offered_tools(messages, NAMES[:3]) == ["get_weather", "get_email"]
    assert tool_change_message(["a", "b"], ["b", "a"]) is None
    assert tool_change_message(["a", "b"], ["c", "a"]) == {"role": "system", "content": [addition("c"), removal("b")]}


def test_first_turn_removes_what_routing_left_out_before_the_user_turn(overlap_router):
    body = {"model": "m", "messages": [{"role": "user", "content": "weather and flight"}], "tools": TOOLS}
    routed = route_messages(body, overlap_router, k=2, tool_changes=True)
    assert routed.body["tools"] is TOOLS  # the prompt's start is untouched
    change, user = routed.body["messages"]
    assert change == {"role": "system", "content": [removal(name) for name in NAMES
                                                    if name not in ("get_weather", "get_flight")]}
    assert user == body["messages"][0] and set(routed.tools) == {"get_weather", "get_flight"}


def test_a_kept_conversation_gets_deltas_and_called_tools_stay(overlap_router):
    first = with_tool_changes([{"role": "user", "content": "weather and flight"}], TOOLS, overlap_router, k=2)
    assert len(first) == 2 and first[0]["role"] == "system"
    # Same intent next turn, conversation kept as sent: nothing to change.
    kept = [*first, {"role": "assistant", "content": "sure"}, {"role": "user", "content": "weather and flight"}]
    assert with_tool_changes(kept, TOOLS, overlap_router, k=2) == kept
    # New intent: one tool in, one out; the tool already called stays.
    called = [*kept, {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "get_flight",
                                                        "input": {}}]},
              {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]},
              {"role": "user", "content": "now the news please"}]
    changed = with_tool_changes(called, TOOLS, overlap_router, k=1)
    assert changed[-2] == {"role": "system", "content": [addition("get_news"), removal("get_weather")]}
    # After a tool result, the change goes last: a tool_result must follow its tool_use.
    in_a_tool_loop = [*kept[:-1], {"role": "user", "content": "now the news please"}, *called[-3:-1]]
    after_result = with_tool_changes(in_a_tool_loop, TOOLS, overlap_router, k=1)
    assert after_result[:-1] == in_a_tool_loop
    assert after_result[-1] == {"role": "system", "content": [addition("get_news"), removal("get_weather")]}


def test_wrapped_client_sends_the_beta_and_keeps_tools(messages_api, overlap_router):
    client = wrap(anthropic.Anthropic(base_url=messages_api.url, api_key="k", max_retries=0), overlap_router, k=2,
                  tool_changes=True)
    client.messages.create(model="m", max_tokens=8, tools=TOOLS, messages=[{"role": "user", "content": "weather"}],
                           extra_headers={"anthropic-beta": "files-api-2025-04-14"})
    headers, body = messages_api.received[-1]
    assert headers["anthropic-beta"] == f"files-api-2025-04-14,{TOOL_CHANGES_BETA}"
    assert [tool["name"] for tool in body["tools"]] == NAMES
    assert body["messages"][0]["role"] == "system" and body["messages"][-1]["content"] == "weather"
    client.beta.messages.create(model="m", max_tokens=8, tools=TOOLS[:2], messages=[{"role": "user", "content": "x"}])
    headers, body = messages_api.received[-1]
    assert "anthropic-beta" not in headers and body["messages"] == [{"role": "user", "content": "x"}]
    with pytest.raises(ValueError, match="pick one"):
        wrap(anthropic.Anthropic(api_key="k"), overlap_router, tool_search=True, tool_changes=True)


def test_a_hidden_tool_the_model_calls_anyway_is_refused_unless_allowed(messages_api, overlap_router):
    client = wrap(anthropic.Anthropic(base_url=messages_api.url, api_key="k", max_retries=0), overlap_router, k=1)
    messages = [{"role": "user", "content": "weather in Paris"}]
    answer = client.messages.create(model="guess-get_recipe", max_tokens=8, tools=TOOLS, messages=messages)
    assert answer.content[0].text == "tool 'get_recipe' is not available in this request; use one of the tools " \
                                     "you were given"
    retry = messages_api.received[-1][1]["messages"]
    assert [m["role"] for m in retry] == ["user", "assistant", "user"] and retry[2]["content"][0]["is_error"] is True
    for shown_or_unknown in ("get_weather", "no_such_tool"):
        answer = client.messages.create(model=f"guess-{shown_or_unknown}", max_tokens=8, tools=TOOLS, messages=messages)
        assert answer.content[0].name == shown_or_unknown
    allowing = wrap(anthropic.Anthropic(base_url=messages_api.url, api_key="k", max_retries=0), overlap_router, k=1,
                    allow_hidden=True)
    answer = allowing.messages.create(model="guess-get_recipe", max_tokens=8, tools=TOOLS, messages=messages)
    assert answer.content[0].name == "get_recipe"
