"""Proxies with non-default settings: keys, limits, timeouts, allowed_tools (faults: ``test_faults``)."""

from __future__ import annotations

import httpx
import openai
import pytest
from proxy_support import TOPICS, chat_tool, run_proxy

CHAT_TOOLS = [chat_tool(topic) for topic in TOPICS]
MESSAGES = [{"role": "user", "content": "weather in Paris"}]
PROXY_KEY = "proxy-key-abc"
UPSTREAM_KEY = "sk-upstream-server-side"
CLIENT_KEY = "sk-client-own"


@pytest.fixture(scope="module")
def strict_proxy(upstream):
    """A proxy with a key, a server-side upstream key, a 4 KiB body limit and a short timeout."""
    with run_proxy(upstream.url, k=3, api_key=PROXY_KEY, upstream_api_key=UPSTREAM_KEY, max_body_bytes=4096,
                   timeout=0.4) as url:
        yield url


def call(base_url: str, api_key: str = CLIENT_KEY, model: str = "m", **options):
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, **options)
    return client.chat.completions.create(model=model, messages=MESSAGES, tools=CHAT_TOOLS[:2])


def test_proxy_key_is_required(strict_proxy):
    for key in (CLIENT_KEY, "proxy-key-abd"):
        with pytest.raises(openai.AuthenticationError) as caught:
            call(strict_proxy, api_key=key)
        assert caught.value.status_code == 401 and caught.value.body["code"] == "invalid_api_key"
    metrics = httpx.get(strict_proxy.removesuffix("/v1") + "/metrics")
    assert metrics.status_code == 401
    assert httpx.get(strict_proxy.removesuffix("/v1") + "/healthz").status_code == 200


def test_proxy_key_header_keeps_the_clients_upstream_key(strict_proxy, upstream):
    call(strict_proxy, default_headers={"x-toolrouter-key": PROXY_KEY})
    headers = upstream.last["headers"]
    assert headers["authorization"] == f"Bearer {CLIENT_KEY}" and "x-toolrouter-key" not in headers


def test_proxy_key_as_bearer_is_swapped_for_the_upstream_key(strict_proxy, upstream):
    call(strict_proxy, api_key=PROXY_KEY)
    assert upstream.last["headers"]["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert PROXY_KEY not in str(upstream.last["headers"])


def test_body_size_limit(strict_proxy, upstream):
    body = {"model": "m", "messages": [{"role": "user", "content": "x" * 5000}]}
    response = httpx.post(f"{strict_proxy}/chat/completions", json=body, headers={"x-toolrouter-key": PROXY_KEY})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    chunked = httpx.post(f"{strict_proxy}/chat/completions", content=iter([b"{" * 3000, b"}" * 3000]),
                         headers={"x-toolrouter-key": PROXY_KEY})  # no Content-Length: counted as it arrives
    assert chunked.status_code == 413
    assert upstream.received == []


def test_upstream_timeout_is_504(strict_proxy):
    with pytest.raises(openai.APIStatusError) as caught:
        call(strict_proxy, api_key=PROXY_KEY, model="slow")
    assert caught.value.status_code == 504
    assert caught.value.body == {"message": "upstream timed out (ReadTimeout)", "type": "server_error",
                                 "param": None, "code": "upstream_timeout"}


def test_allowed_tools_mode_over_http(upstream):
    with run_proxy(upstream.url, k=1, mode="allowed_tools") as url:
        client = openai.OpenAI(base_url=url, api_key=CLIENT_KEY, max_retries=0)
        client.chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS, tool_choice="required")
        chat = upstream.last["body"]
        client.responses.create(model="m", input="weather in Paris", tools=[
            {"type": "function", "name": f"get_{topic}", "parameters": {"type": "object", "properties": {}}}
            for topic in TOPICS])
        responses = upstream.last["body"]
    assert chat["tools"] == CHAT_TOOLS
    assert chat["tool_choice"] == {"type": "allowed_tools", "allowed_tools": {
        "mode": "required", "tools": [{"type": "function", "function": {"name": "get_weather"}}]}}
    assert len(responses["tools"]) == len(TOPICS)
    assert responses["tool_choice"] == {"type": "allowed_tools", "mode": "auto",
                                        "tools": [{"type": "function", "name": "get_weather"}]}


def test_invalid_settings_are_refused(upstream):
    from toolrouter.proxy.app import create_app

    with pytest.raises(ValueError, match="mode must be one of 'filter', 'allowed_tools'"):
        create_app(upstream.url, mode="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="upstream must be an http"):
        create_app("api.openai.com/v1")
