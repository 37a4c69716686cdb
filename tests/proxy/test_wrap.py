"""toolrouter.openai.wrap: sync and async clients calling the recording upstream directly."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import openai
import pytest
from openai.types.responses import ResponseFunctionToolCall
from proxy_support import TOPICS, BrokenReranker, chat_tool, responses_tool

from toolrouter.openai import wrap
from toolrouter.router import Router

CHAT_TOOLS = [chat_tool(topic) for topic in TOPICS]
RESPONSES_TOOLS = [responses_tool(topic) for topic in TOPICS]
MESSAGES = [{"role": "user", "content": "book a hotel and a flight, and check the weather"}]
ROUTED = ["get_weather", "get_flight", "get_hotel"]


def sent_names(upstream) -> list[str]:
    return [t["function"]["name"] if "function" in t else t["name"] for t in upstream.last["body"]["tools"]]


def test_sync_chat_and_streaming(upstream, overlap_router):
    client = wrap(openai.OpenAI(base_url=upstream.url, api_key="sk-x", max_retries=0), overlap_router, k=3)
    assert client.chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS).choices[0].message.content
    assert sent_names(upstream) == ROUTED
    stream = client.chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS, stream=True)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream) == "Hello!"
    assert sent_names(upstream) == ROUTED and upstream.last["body"]["stream"] is True


def test_sync_responses_keep_called_sdk_items(upstream, overlap_router):
    client = wrap(openai.OpenAI(base_url=upstream.url, api_key="sk-x", max_retries=0), overlap_router, k=1)
    call = ResponseFunctionToolCall(type="function_call", call_id="c1", name="get_news", arguments="{}")
    client.responses.create(model="m", tools=RESPONSES_TOOLS, input=[
        {"role": "user", "content": "weather in Paris"}, call,
        {"type": "function_call_output", "call_id": "c1", "output": "ok"}])
    assert sent_names(upstream) == ["get_weather", "get_news"]


def test_async_chat_responses_and_streaming(upstream, overlap_router):
    async def run() -> str:
        client = wrap(openai.AsyncOpenAI(base_url=upstream.url, api_key="sk-x", max_retries=0), overlap_router, k=3)
        await client.chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
        chat = sent_names(upstream)
        await client.responses.create(model="m", input=MESSAGES, tools=RESPONSES_TOOLS)
        assert sent_names(upstream) == chat == ROUTED
        stream = await client.chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS, stream=True)
        return "".join([chunk.choices[0].delta.content or "" async for chunk in stream])

    assert asyncio.run(run()) == "Hello!"
    assert sent_names(upstream) == ROUTED


def test_allowed_tools_mode_and_with_options(upstream, overlap_router):
    client = wrap(openai.OpenAI(base_url=upstream.url, api_key="sk-x", max_retries=0), overlap_router, k=1,
                  mode="allowed_tools")
    client.with_options(timeout=5).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "weather"}], tools=CHAT_TOOLS, tool_choice=openai.omit)
    body = upstream.last["body"]
    assert body["tools"] == CHAT_TOOLS
    assert body["tool_choice"]["allowed_tools"]["tools"] == [{"type": "function", "function": {"name": "get_weather"}}]


def test_routing_failure_sends_the_request_unchanged(upstream):
    client = wrap(openai.OpenAI(base_url=upstream.url, api_key="sk-x", max_retries=0), Router(BrokenReranker()), k=1)
    client.chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
    assert upstream.last["body"]["tools"] == CHAT_TOOLS


def test_other_attributes_are_the_clients(overlap_router):
    inner = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-x")
    client = wrap(inner, overlap_router)
    assert client.models is inner.models and client.api_key == "sk-x"
    assert client.chat.completions.create.__name__ == "create"
    with pytest.raises(ValueError, match="mode must be one of"):
        wrap(inner, overlap_router, mode="drop")  # type: ignore[arg-type]


def test_importing_toolrouter_stays_light():
    code = ("import sys, toolrouter, toolrouter.proxy, toolrouter.openai; "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'httpx', 'openai', 'torch') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
