"""The proxy over real HTTP: the openai client → proxy → recording upstream, all on loopback."""

from __future__ import annotations

import json
import logging
import threading

import httpx
import openai
import pytest
from proxy_support import (
    TOPICS,
    chat_stream_chunks,
    chat_tool,
    responses_stream_chunks,
    responses_tool,
)

CHAT_TOOLS = [chat_tool(topic) for topic in TOPICS]
RESPONSES_TOOLS = [responses_tool(topic) for topic in TOPICS]
SECRET = "sk-client-secret-0123456789"
MESSAGES = [{"role": "user", "content": "book a hotel and a flight, and check the weather"}]


def client(base_url: str, **options) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=SECRET, max_retries=0, **options)


def forwarded_names(upstream) -> list[str]:
    tools = upstream.last["body"]["tools"]
    return [t["function"]["name"] if "function" in t else t.get("name", t["type"]) for t in tools]


def metric(text: str, name: str) -> float:
    """The value of the sample called exactly ``name`` (labels included) in Prometheus text."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.rsplit(" ", 1)[0] == name)


def test_chat_tools_are_routed_with_headers(proxy, upstream):
    raw = client(proxy).chat.completions.with_raw_response.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
    assert raw.parse().choices[0].message.content == "ok"
    assert forwarded_names(upstream) == ["get_weather", "get_flight", "get_hotel"]
    assert raw.headers["x-toolrouter-tools"] == "get_weather,get_flight,get_hotel"
    assert raw.headers["x-toolrouter-count"] == "12->3"
    assert float(raw.headers["x-toolrouter-ms"]) >= 0
    assert "x-toolrouter-fail-open" not in raw.headers


def test_responses_flat_tools_are_routed(proxy, upstream):
    answer = client(proxy).responses.create(model="m", input="what is the stock price and the news", tools=[
        {"type": "web_search"}, *RESPONSES_TOOLS])
    assert answer.output_text == "ok"
    assert forwarded_names(upstream) == ["web_search", "get_weather", "get_stock", "get_news"]  # request order


def test_other_fields_and_unrouted_requests_go_unchanged(proxy, upstream):
    body = {"model": "m", "messages": MESSAGES, "tools": CHAT_TOOLS[:2], "temperature": 0.25, "user": "u1"}
    raw = json.dumps(body).encode()
    response = httpx.post(f"{proxy}/chat/completions", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.headers["x-toolrouter-count"] == "2->2"
    assert upstream.last["raw"] == raw  # nothing to route: the very bytes go upstream
    client(proxy).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS, temperature=0.25)
    assert upstream.last["body"]["temperature"] == 0.25 and upstream.last["body"]["messages"] == MESSAGES


@pytest.mark.parametrize("path", ["/chat/completions", "/responses"])
@pytest.mark.parametrize(("raw", "message"), [
    (b"{not json", "not valid JSON"),
    (b"[" * 100_000, "nested too deeply"),
    (b"[1, 2]", "must be a JSON object, got list"),
])
def test_malformed_body_is_400_without_contacting_upstream(proxy, upstream, path, raw, message):
    seen = len(upstream.received)
    response = httpx.post(f"{proxy}{path}", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "invalid_json"
    assert message in error["message"]
    assert len(upstream.received) == seen


@pytest.mark.parametrize(("path", "body", "expected"), [
    ("/chat/completions", {"model": "m", "messages": MESSAGES, "tools": CHAT_TOOLS}, chat_stream_chunks("m")),
    ("/responses", {"model": "m", "input": "weather", "tools": RESPONSES_TOOLS}, responses_stream_chunks("m")),
])
def test_streams_are_byte_identical(proxy, upstream, path, body, expected):
    with httpx.stream("POST", proxy + path, json={**body, "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-toolrouter-count"] == "12->3"
        received = b"".join(response.iter_raw())
    assert received == b"".join(expected)


def test_streams_pass_chunk_by_chunk(proxy, upstream):
    """The upstream holds its second chunk until the client has the first: no buffering."""
    body = {"model": "gated", "messages": MESSAGES, "tools": CHAT_TOOLS, "stream": True}
    got_first = threading.Event()
    with httpx.stream("POST", f"{proxy}/chat/completions", json=body, timeout=10) as response:
        chunks = response.iter_raw()
        first = next(chunks)
        got_first.set()
        upstream.gate.set()
        rest = b"".join(chunks)
    assert got_first.is_set() and first + rest == b"".join(chat_stream_chunks("gated"))


def test_openai_client_streams_through_the_proxy(proxy, upstream):
    stream = client(proxy).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS, stream=True)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream) == "Hello!"
    assert len(upstream.last["body"]["tools"]) == 3


def test_upstream_failure_mid_stream_ends_with_an_error_event(proxy, upstream):
    stream = client(proxy).chat.completions.create(model="cut", messages=MESSAGES, stream=True)
    with pytest.raises(openai.APIError, match="upstream answered with an invalid response"):
        for _chunk in stream:
            pass


def test_models_pass_through(proxy, upstream):
    assert [model.id for model in client(proxy).models.list()] == ["m1"]
    assert upstream.last["path"] == "/v1/models"


def test_authorization_goes_upstream_and_never_into_logs(proxy, upstream, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    client(proxy).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
    assert upstream.last["headers"]["authorization"] == f"Bearer {SECRET}"
    assert "x-toolrouter-key" not in upstream.last["headers"]
    assert caplog.records  # the proxy, uvicorn and httpx did log
    captured = capfd.readouterr()
    assert SECRET not in caplog.text and SECRET not in captured.out + captured.err


def test_upstream_errors_pass_through(proxy, upstream):
    with pytest.raises(openai.BadRequestError) as caught:
        client(proxy).chat.completions.create(model="bad-request", messages=MESSAGES, tools=CHAT_TOOLS)
    assert caught.value.status_code == 400
    assert caught.value.body == {"message": "bad tools", "type": "invalid_request_error", "param": "tools",
                                 "code": None}
    assert caught.value.response.headers["x-upstream"] == "yes"


def test_invalid_upstream_answer_is_502(proxy, upstream):
    with pytest.raises(openai.APIStatusError) as caught:
        client(proxy).chat.completions.create(model="garbage", messages=MESSAGES)
    assert caught.value.status_code == 502
    assert caught.value.body["code"] == "upstream_invalid_response"
    assert caught.value.body["type"] == "server_error"


def test_rerank_endpoint(proxy):
    answer = httpx.post(f"{proxy}/rerank", json={
        "model": "any", "query": "weather in Paris", "top_n": 2,
        "documents": ["stock prices", {"text": "the weather today"}, "weather in Paris"]}).json()
    assert [r["index"] for r in answer["results"]] == [2, 1]
    assert answer["results"][0]["document"] == {"text": "weather in Paris"}
    assert answer["results"][0]["relevance_score"] == pytest.approx(1.0)
    assert answer["model"] == "word-overlap" and answer["usage"]["total_tokens"] > 0
    bare = httpx.post(f"{proxy}/rerank", json={"query": "weather", "documents": ["a", "b"],
                                               "return_documents": False}).json()
    assert [set(r) for r in bare["results"]] == [{"index", "relevance_score"}] * 2


@pytest.mark.parametrize(("body", "param"), [
    ({"query": "", "documents": ["a"]}, "query"),
    ({"query": "q", "documents": "a"}, "documents"),
    ({"query": "q", "documents": [1]}, "documents[0]"),
    ({"query": "q", "documents": ["a"], "top_n": 0}, "top_n"),
])
def test_rerank_validation(proxy, body, param):
    response = httpx.post(f"{proxy}/rerank", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_metrics_count_requests_and_tools(proxy, upstream):
    before = httpx.get(proxy.removesuffix("/v1") + "/metrics").text
    client(proxy).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
    response = httpx.get(proxy.removesuffix("/v1") + "/metrics")
    after = response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    requests = 'toolrouter_requests_total{endpoint="/v1/chat/completions",status="200"}'
    assert metric(after, requests) - metric(before, requests) == 1
    assert metric(after, "toolrouter_tools_in_total") - metric(before, "toolrouter_tools_in_total") == 12
    assert metric(after, "toolrouter_tools_out_total") - metric(before, "toolrouter_tools_out_total") == 3
    count = "toolrouter_routing_seconds_count"
    assert metric(after, count) - metric(before, count) == 1
    assert metric(after, 'toolrouter_routing_seconds_bucket{le="+Inf"}') == metric(after, count)
    assert "# TYPE toolrouter_routing_seconds histogram" in after


def test_unknown_paths_and_health(proxy):
    root = proxy.removesuffix("/v1")
    assert httpx.get(f"{root}/healthz").json() == {"status": "ok"}
    missing = httpx.get(f"{root}/nope")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "invalid_request_error"
