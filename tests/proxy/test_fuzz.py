"""Generated requests against the proxy over real HTTP: toolrouter never answers 500.

The proxy publishes no OpenAPI document (its routes read raw bodies, so one would describe no
request bodies), so the request shapes are built here with hypothesis: Chat Completions and
Responses bodies with valid, mangled and hosted tools, tool choices and conversations; wrong
types; huge and unusual Unicode text (lone surrogates, NUL, emoji); bytes that are not JSON,
not UTF-8 or nested too deep; odd header bytes; escaped paths and other methods.

The upstream is the loopback recorder, which answers every request it can parse and a 400 to
the rest, so any 5xx would come from toolrouter: none may be a 500, and a 502/504 must be one
of the proxy's OpenAI-shaped upstream errors.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from proxy_support import FAULT_MODELS, TOPICS, chat_tool, responses_tool, run_proxy

PROXY_KEY = "fuzz-proxy-key"
# Every test runs the same examples (derandomize), well under a minute on two loaded cores.
FUZZ = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text: any code point, lone surrogates included (sent as JSON escapes), sometimes very long.
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
long_text = st.builds(lambda char, size: char * size, st.sampled_from(["a", "\u00e9", "\u6771", "\U0001f600", "\ud800",
                                                                       "\x00", " "]),
                      st.sampled_from([1_000, 100_000, 1_500_000]))
texts = st.one_of(st.sampled_from(["weather in Paris", "book a flight and a hotel", "", " "]), any_text, long_text)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), any_text)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(any_text, inner, max_size=4)),
                           max_leaves=12)
models = st.one_of(st.sampled_from(["m", "gpt-4o"]), any_text.filter(lambda name: name not in FAULT_MODELS),
                   st.none(), st.integers(), st.lists(st.integers(), max_size=2))


def mangled(tool: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``tool`` with one field replaced by an arbitrary value, or a field dropped."""
    keys = sorted(tool)
    return st.one_of(
        st.builds(lambda key, value: {**tool, key: value}, st.sampled_from(keys), json_values),
        st.builds(lambda key: {k: v for k, v in tool.items() if k != key}, st.sampled_from(keys)),
    )


names = st.one_of(st.sampled_from([f"get_{topic}" for topic in TOPICS]), any_text)
chat_tools = st.one_of(
    st.sampled_from([chat_tool(topic) for topic in TOPICS]),
    st.builds(lambda name, description: {"type": "function", "function": {
        "name": name, "description": description, "parameters": {"type": "object", "properties": {}}}},
        names, texts),
    st.sampled_from([chat_tool(topic) for topic in TOPICS]).flatmap(mangled),
    st.sampled_from([{"type": "custom", "custom": {"name": "grammar"}}, {"type": "web_search"}]),
    json_values,
)
responses_tools = st.one_of(
    st.sampled_from([responses_tool(topic) for topic in TOPICS]),
    st.sampled_from([responses_tool(topic) for topic in TOPICS]).flatmap(mangled),
    st.sampled_from([{"type": "web_search"}, {"type": "file_search", "vector_store_ids": ["vs_1"]},
                     {"type": "mcp", "server_label": "deepwiki", "server_url": "https://mcp.example"}]),
    json_values,
)
tool_choices = st.one_of(
    st.sampled_from(["auto", "required", "none", None]),
    st.builds(lambda name: {"type": "function", "function": {"name": name}}, names),
    st.builds(lambda name: {"type": "function", "name": name}, names),
    st.builds(lambda name, mode: {"type": "allowed_tools", "allowed_tools": {"mode": mode, "tools": [
        {"type": "function", "function": {"name": name}}]}}, names, json_values),
    json_values,
)
contents = st.one_of(texts, st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": texts}), max_size=3),
                     json_values)
messages = st.one_of(
    st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "tool", "developer"]),
                                    "content": contents},
                                   optional={"tool_calls": json_values, "tool_call_id": any_text}),
             max_size=5),
    json_values,
)
responses_input = st.one_of(texts, messages, st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["function_call_output", "function_call", "message"]),
    "call_id": any_text, "output": texts, "name": names}), max_size=3))
extras = st.dictionaries(st.sampled_from(["stream", "temperature", "functions", "function_call", "n", "user",
                                          "previous_response_id", "parallel_tool_calls", "metadata"]),
                         json_values, max_size=3)


def body(field: str, conversation: st.SearchStrategy[Any], tools: st.SearchStrategy[Any]) -> st.SearchStrategy:
    return st.builds(lambda model, talk, specs, choice, extra: {"model": model, field: talk, "tools": specs,
                                                                **({"tool_choice": choice} if choice else {}),
                                                                **extra},
                     models, conversation, st.lists(tools, max_size=16), tool_choices, extras)


def encode(value: Any) -> bytes:
    """JSON bytes as a client would send them (lone surrogates become ``\\ud800`` escapes)."""
    return json.dumps(value).encode()


# Bodies that are not JSON objects: garbage, truncated, non-UTF-8, NaN, too deep, scalars.
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"{", b'{"model": "m", "messages": [', b"\xff\xfe{}", b'{"x": NaN}', b"[" * 100_000,
                     b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"null", b"[1, 2]", b'"text"']),
    json_values.map(encode),
)
# Header names that are not about framing or routing, with any byte a header value may hold.
header_names = st.sampled_from(["content-type", "authorization", "openai-organization", "x-custom", "accept",
                                "accept-encoding", "user-agent", "openai-beta", "x-toolrouter-key"])
header_values = st.binary(max_size=30).map(lambda raw: bytes(b for b in raw if b > 0x20 and b != 0x7F))
odd_headers = st.lists(st.tuples(header_names.map(str.encode), header_values), max_size=4)
paths = st.one_of(
    st.sampled_from(["/v1/chat/completions", "/v1/responses", "/v1/rerank", "/v1/models", "/v1/files/a%2Fb",
                     "/v1/x%3Fy%23z", "/v1/%00", "/v1/%ff%fe", "/healthz", "/metrics", "/v1", "/", "/%76%31/models"]),
    st.lists(st.sampled_from(["files", "a b", "%2e%2e", "..", "\u00e9", "%", "?q=1", "batches", ""]), max_size=3)
    .map(lambda parts: "/v1/" + "/".join(parts)),
)
methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])


@pytest.fixture(scope="module")
def fuzz_proxy(upstream):
    """A keyed proxy (k=3) in front of the recorder; clients send the key in x-toolrouter-key."""
    with run_proxy(upstream.url, k=3, api_key=PROXY_KEY) as url, httpx.Client(timeout=60) as client:
        yield url.removesuffix("/v1"), client


def check(response: httpx.Response) -> None:
    """No 500; a 5xx is an OpenAI-shaped upstream error; the proxy's own errors are OpenAI-shaped."""
    assert response.status_code != 500, response.text[:500]
    if response.request.method == "HEAD":  # no body to check
        return
    if response.status_code >= 500:
        assert response.json()["error"]["code"].startswith("upstream_"), response.text[:500]
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        error = response.json()["error"]
        assert isinstance(error["message"], str) and isinstance(error["type"], str)


def send(fuzz_proxy, method: str, path: str, content: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    root, client = fuzz_proxy
    key = [(b"x-toolrouter-key", PROXY_KEY.encode())]
    request = client.build_request(method, root + path, content=content, headers=key + headers)
    check(client.send(request))


# Requests that once got a 500: a header value that is not ASCII; a lone surrogate in a routed body.
ROUTED = {"model": "m", "messages": [{"role": "user", "content": "weather \ud800"}],
          "tools": [chat_tool(topic) for topic in TOPICS]}


@FUZZ
@given(payload=body("messages", messages, chat_tools), headers=odd_headers)
@example(payload=ROUTED, headers=[(b"x-custom", b"caf\xe9")])
@example(payload=ROUTED, headers=[])
def test_chat_bodies(fuzz_proxy, upstream, payload, headers):
    upstream.received.clear()
    send(fuzz_proxy, "POST", "/v1/chat/completions", encode(payload), headers)


@FUZZ
@given(payload=body("input", responses_input, responses_tools), headers=odd_headers)
def test_responses_bodies(fuzz_proxy, upstream, payload, headers):
    upstream.received.clear()
    send(fuzz_proxy, "POST", "/v1/responses", encode(payload), headers)


@FUZZ
@given(method=methods, path=paths, content=raw_bodies, headers=odd_headers)
@example(method="POST", path="/v1/chat/completions", content=b"[" * 100_000, headers=[])  # once a 500
@example(method="GET", path="/v1/files/a%3Fb%00", content=b"", headers=[])  # once a 500 (NUL in the URL)
def test_raw_requests(fuzz_proxy, upstream, method, path, content, headers):
    upstream.received.clear()
    send(fuzz_proxy, method, path, content if method not in ("GET", "HEAD") else b"", headers)
