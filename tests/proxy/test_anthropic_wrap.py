"""toolrouter.anthropic.wrap: the official anthropic client, sync and async, against a recording Messages API.

The upstream answers ``POST /v1/messages`` like the Messages API (a JSON message, or the SSE events
message_start, content_block_start/delta/stop, message_delta, message_stop) and
``/v1/messages/count_tokens``, recording each body. The model ``searcher`` answers with a ``tool_use``
of the custom search tool.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from anthropic.types import ToolUseBlock
from proxy_support import TOPICS, BrokenReranker, serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from toolrouter.anthropic import (
    SEARCH_TOOL_NAME,
    answer_tool_search,
    loaded_tools,
    route_messages,
    search_tool,
    search_tools,
    wrap,
)
from toolrouter.router import Router


def anthropic_tool(topic: str) -> dict[str, Any]:
    """An Anthropic custom tool about ``topic``."""
    return {"name": f"get_{topic}", "description": f"Get the {topic} information.",
            "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}


TOOLS = [anthropic_tool(topic) for topic in TOPICS]
MESSAGES = [{"role": "user", "content": "book a hotel and a flight, and check the weather"}]
ROUTED = ["get_weather", "get_flight", "get_hotel"]
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
BASH = {"type": "bash_20250124", "name": "bash"}


def message(model: str, content: list[dict[str, Any]], stop_reason: str = "end_turn") -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stop_reason, "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 2}}


def sse(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def stream_events(model: str) -> list[bytes]:
    """The Messages API's streamed events for the text "Hello!"."""
    events = [{"type": "message_start", "message": message(model, [], None)},
              {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
              *({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
                for piece in ("Hel", "lo!")),
              {"type": "content_block_stop", "index": 0},
              {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
               "usage": {"output_tokens": 2}},
              {"type": "message_stop"}]
    return [sse(event) for event in events]


class MessagesUpstream:
    """A recording Messages API on loopback."""

    def __init__(self) -> None:
        self.url = ""
        self.received: list[dict[str, Any]] = []

    @property
    def last(self) -> dict[str, Any]:
        return self.received[-1]

    def sent_names(self) -> list[str]:
        return [tool["name"] for tool in self.last["tools"]]

    def app(self) -> Starlette:
        async def messages(request: Request) -> Response:
            body = json.loads(await request.body())
            self.received.append(body)
            model = body["model"]
            if body.get("stream"):
                return StreamingResponse(iter(stream_events(model)), media_type="text/event-stream")
            if model == "searcher":
                call = {"type": "tool_use", "id": "toolu_s1", "name": SEARCH_TOOL_NAME,
                        "input": {"query": "currency exchange rate"}}
                return JSONResponse(message(model, [call], "tool_use"))
            return JSONResponse(message(model, [{"type": "text", "text": "Hello!"}]))

        async def count_tokens(request: Request) -> Response:
            self.received.append(json.loads(await request.body()))
            return JSONResponse({"input_tokens": 42})

        return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"]),
                                 Route("/v1/messages/count_tokens", count_tokens, methods=["POST"])])


@pytest.fixture(scope="module")
def messages_api() -> Iterator[MessagesUpstream]:
    upstream = MessagesUpstream()
    with serve(upstream.app()) as url:
        upstream.url = url
        yield upstream


@pytest.fixture()
def sync_client(messages_api):
    messages_api.received.clear()
    return anthropic.Anthropic(base_url=messages_api.url, api_key="test", max_retries=0)


@pytest.fixture()
def async_client(messages_api):
    messages_api.received.clear()
    return anthropic.AsyncAnthropic(base_url=messages_api.url, api_key="test", max_retries=0)


def test_sync_create_streaming_stream_helper_and_count_tokens(sync_client, messages_api, overlap_router):
    client = wrap(sync_client, overlap_router, k=3)
    answer = client.messages.create(model="m", max_tokens=64, messages=MESSAGES, tools=TOOLS)
    assert answer.content[0].text == "Hello!" and messages_api.sent_names() == ROUTED
    events = client.messages.create(model="m", max_tokens=64, messages=MESSAGES, tools=TOOLS, stream=True)
    assert "".join(e.delta.text for e in events if e.type == "content_block_delta") == "Hello!"
    assert messages_api.sent_names() == ROUTED and messages_api.last["stream"] is True
    with client.messages.stream(model="m", max_tokens=64, messages=MESSAGES, tools=TOOLS) as stream:
        assert "".join(stream.text_stream) == "Hello!"
    assert messages_api.sent_names() == ROUTED
    assert client.messages.count_tokens(model="m", messages=MESSAGES, tools=TOOLS).input_tokens == 42
    assert messages_api.sent_names() == ROUTED


def test_async_create_streaming_stream_helper_and_beta(async_client, messages_api, overlap_router):
    client = wrap(async_client, overlap_router, k=3)

    async def run() -> list[str]:
        texts = []
        answer = await client.messages.create(model="m", max_tokens=64, messages=MESSAGES, tools=TOOLS)
        texts.append(answer.content[0].text)
        events = await client.messages.create(model="m", max_tokens=64, messages=MESSAGES, tools=TOOLS, stream=True)
        texts.append("".join([e.delta.text async for e in events if e.type == "content_block_delta"]))
        async with client.messages.stream(model="m", max_tokens=64, messages=MESSAGES, tools=TOOLS) as stream:
            texts.append("".join([text async for text in stream.text_stream]))
        beta = await client.beta.messages.create(model="m", max_tokens=64, messages=MESSAGES, tools=TOOLS)
        texts.append(beta.content[0].text)
        return texts

    assert asyncio.run(run()) == ["Hello!"] * 4
    assert len(messages_api.received) == 4
    assert all([tool["name"] for tool in body["tools"]] == ROUTED for body in messages_api.received)


def test_choice_used_tools_server_and_deferred_tools_are_kept(sync_client, messages_api, overlap_router):
    client = wrap(sync_client, overlap_router, k=1)
    deferred = {**anthropic_tool("lyrics"), "defer_loading": True}
    tools = [WEB_SEARCH, *TOOLS, BASH, deferred]
    conversation = [
        {"role": "user", "content": [{"type": "text", "text": "what is the weather in Paris"}]},
        {"role": "assistant", "content": [  # SDK blocks, as in content=response.content
            ToolUseBlock(type="tool_use", id="toolu_1", name="get_news", input={"query": "Paris"})]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]},
    ]
    client.messages.create(model="m", max_tokens=64, messages=conversation, tools=tools,
                           tool_choice={"type": "tool", "name": "get_music"})
    assert messages_api.last["tools"] == [WEB_SEARCH, anthropic_tool("weather"), anthropic_tool("music"),
                                          anthropic_tool("news"), BASH, deferred]
    assert messages_api.last["tool_choice"] == {"type": "tool", "name": "get_music"}


def test_few_tools_or_no_user_text_change_nothing(sync_client, messages_api, overlap_router):
    client = wrap(sync_client, overlap_router, k=3)
    client.messages.create(model="m", max_tokens=64, messages=MESSAGES, tools=[WEB_SEARCH, *TOOLS[:3]])
    assert messages_api.last["tools"] == [WEB_SEARCH, *TOOLS[:3]]
    only_results = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]}]
    client.messages.create(model="m", max_tokens=64, messages=only_results, tools=TOOLS)
    assert messages_api.last["tools"] == TOOLS


def test_routing_failure_sends_the_request_unchanged(sync_client, messages_api, caplog):
    client = wrap(sync_client, Router(BrokenReranker()), k=1)
    with caplog.at_level(logging.WARNING, logger="toolrouter.proxy"):
        client.messages.create(model="m", max_tokens=64, messages=MESSAGES, tools=TOOLS)
    assert messages_api.last["tools"] == TOOLS
    assert "routing failed" in caplog.text and "model exploded" in caplog.text


def test_tool_search_defers_the_rest_and_answers_searches(sync_client, messages_api, overlap_router):
    client = wrap(sync_client, overlap_router, k=2, tool_search=True)
    conversation: list[dict[str, Any]] = [
        {"role": "user", "content": "check the weather and the traffic"}]
    reply = client.messages.create(model="searcher", max_tokens=64, messages=conversation, tools=TOOLS)
    sent = messages_api.last["tools"]
    assert [tool["name"] for tool in sent] == [*(t["name"] for t in TOOLS), SEARCH_TOOL_NAME]
    assert [t["name"] for t in sent if not t.get("defer_loading")] == ["get_weather", "get_traffic", SEARCH_TOOL_NAME]
    assert sent[-1] == search_tool() and {key for t in sent for key in t} <= {*TOOLS[0], "defer_loading"}

    call = reply.content[0]
    answer = answer_tool_search(call, TOOLS, overlap_router, k=1)
    assert answer == {"type": "tool_result", "tool_use_id": "toolu_s1",
                      "content": [{"type": "tool_reference", "tool_name": "get_currency"}]}
    conversation += [{"role": "assistant", "content": reply.content}, {"role": "user", "content": [answer]}]
    assert loaded_tools(conversation) == ["get_currency"]
    client.messages.create(model="m", max_tokens=64, messages=conversation, tools=TOOLS)
    currency = next(t for t in messages_api.last["tools"] if t["name"] == "get_currency")
    assert currency["defer_loading"] is True  # a loaded tool's definition stays deferred, as the API requires


def test_route_messages_reports_the_tools_seen_up_front(overlap_router):
    routed = route_messages({"messages": MESSAGES, "tools": [WEB_SEARCH, *TOOLS]}, overlap_router, k=3,
                            tool_search=True)
    assert routed.changed and routed.tools == ("web_search", *ROUTED, SEARCH_TOOL_NAME)
    assert (routed.tools_in, routed.tools_out) == (13, 5)
    unchanged = route_messages({"messages": MESSAGES, "tools": TOOLS}, overlap_router, k=len(TOOLS))
    assert unchanged.body["tools"] is TOOLS and not unchanged.changed


def test_search_helpers(overlap_router):
    assert search_tools("translate this text", [WEB_SEARCH, *TOOLS], overlap_router, k=1) == [
        {"type": "tool_reference", "tool_name": "get_translate"}]
    call = {"type": "tool_use", "id": "toolu_2", "name": SEARCH_TOOL_NAME, "input": {}}
    assert answer_tool_search(call, TOOLS, overlap_router)["is_error"] is True
    nothing = answer_tool_search({**call, "input": {"query": "zzz"}}, [search_tool()], overlap_router)
    assert nothing["content"][0]["type"] == "text"  # the search tool never finds itself
    server_search = [{"role": "assistant", "content": [{"type": "tool_search_tool_result", "tool_use_id": "srv",
                      "content": {"type": "tool_search_tool_search_result",
                                  "tool_references": [{"type": "tool_reference", "tool_name": "get_stock"}]}}]}]
    assert loaded_tools(server_search) == ["get_stock"]
    with pytest.raises(ValueError, match="tool_use block"):
        answer_tool_search({"type": "text", "text": "hi"}, TOOLS, overlap_router)


def test_with_options_and_other_attributes(sync_client, messages_api, overlap_router):
    client = wrap(sync_client, overlap_router, k=3)
    client.with_options(timeout=5).messages.create(model="m", max_tokens=64, messages=MESSAGES, tools=TOOLS)
    assert messages_api.sent_names() == ROUTED
    assert client.models is sync_client.models and client.api_key == "test"
    assert client.messages.create.__name__ == "create"
    with pytest.raises(ValueError, match="k must be a positive integer"):
        wrap(sync_client, overlap_router, k=0)


def test_importing_toolrouter_anthropic_stays_light():
    code = ("import sys, toolrouter, toolrouter.anthropic; "
            "print(sorted(m for m in ('anthropic', 'httpx', 'torch') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
