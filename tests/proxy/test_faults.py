"""Upstream and model faults over real HTTP: OpenAI-shaped errors, counted, and a proxy that stays up.

Each fault is played by the loopback upstream (see ``proxy_support``): the client, always OpenAI's
own, gets the status and ``error.code`` below (streams that break off raise ``openai.APIError``
from the SSE error event the proxy appends); afterwards ``/healthz`` answers and a normal request
goes through; ``toolrouter_upstream_errors_total`` counts the fault by its reason.
"""

from __future__ import annotations

import socket

import httpx
import openai
import pytest
from proxy_support import HUGE_BYTES, TOPICS, BrokenReranker, chat_tool, run_proxy, serve

from toolrouter.router import Router

CHAT_TOOLS = [chat_tool(topic) for topic in TOPICS]
MESSAGES = [{"role": "user", "content": "weather in Paris"}]
# The faulty proxy's upstream timeout; the upstream's slow models take SLOW_SECONDS (longer).
TIMEOUT = 0.4
# The faulty proxy's limit on buffered upstream answers (HUGE_BYTES is larger).
MAX_RESPONSE_BYTES = 2**20


@pytest.fixture(scope="module")
def faulty_proxy(upstream):
    """A proxy with a short upstream timeout and a 1 MiB answer limit."""
    with run_proxy(upstream.url, k=3, timeout=TIMEOUT, max_response_bytes=MAX_RESPONSE_BYTES) as url:
        yield url


def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0)


def metrics(base_url: str) -> dict[str, float]:
    """Every sample of the proxy's ``/metrics``, by name with labels."""
    text = httpx.get(base_url.removesuffix("/v1") + "/metrics").text
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line and not line.startswith("#")}


def growth(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """The samples that changed, by how much."""
    return {name: value - before.get(name, 0.0) for name, value in after.items() if value != before.get(name, 0.0)}


def assert_healthy(base_url: str) -> None:
    """The proxy answers its health check and forwards a normal request."""
    assert httpx.get(base_url.removesuffix("/v1") + "/healthz").json() == {"status": "ok"}
    answer = client(base_url).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
    assert answer.choices[0].message.content == "ok"


def upstream_error(reason: str) -> str:
    return f'toolrouter_upstream_errors_total{{reason="{reason}"}}'


def chat_requests(status: int) -> str:
    return f'toolrouter_requests_total{{endpoint="/v1/chat/completions",status="{status}"}}'


@pytest.mark.parametrize(("model", "status", "code", "reason"), [
    ("slow", 504, "upstream_timeout", "timeout"),
    ("garbage", 502, "upstream_invalid_response", "invalid"),
    ("garbage-500", 502, "upstream_invalid_response", "invalid"),
    ("huge", 502, "upstream_response_too_large", "too_large"),
])
def test_upstream_faults_get_openai_errors(faulty_proxy, upstream, model, status, code, reason):
    before = metrics(faulty_proxy)
    with pytest.raises(openai.APIStatusError) as caught:
        client(faulty_proxy).chat.completions.create(model=model, messages=MESSAGES, tools=CHAT_TOOLS)
    assert caught.value.status_code == status
    assert caught.value.body["code"] == code and caught.value.body["type"] == "server_error"
    assert set(caught.value.body) == {"message", "type", "param", "code"}
    assert growth(before, metrics(faulty_proxy))[upstream_error(reason)] == 1
    assert growth(before, metrics(faulty_proxy))[chat_requests(status)] == 1
    assert_healthy(faulty_proxy)


@pytest.mark.parametrize(("model", "code", "reason"), [
    ("cut", "upstream_invalid_response", "invalid"),  # the connection drops mid-stream
    ("stall", "upstream_timeout", "timeout"),  # the stream stops past the proxy's read timeout
])
@pytest.mark.parametrize("api", ["chat", "responses"])
def test_broken_streams_end_with_an_error_event(faulty_proxy, upstream, model, code, reason, api):
    """The client has the chunks sent before the fault, then OpenAI's client raises: nothing hangs."""
    before = metrics(faulty_proxy)
    openai_client = client(faulty_proxy)
    if api == "chat":
        stream = openai_client.chat.completions.create(model=model, messages=MESSAGES, tools=CHAT_TOOLS,
                                                       stream=True)
    else:
        stream = openai_client.responses.create(model=model, input="weather in Paris", stream=True)
    received = []
    with pytest.raises(openai.APIError) as caught:
        for event in stream:
            received.append(event)
    assert len(received) == 1
    assert caught.value.body["code"] == code
    assert growth(before, metrics(faulty_proxy))[upstream_error(reason)] == 1
    assert_healthy(faulty_proxy)


def test_large_answers_within_the_limit_pass_intact(proxy, upstream):
    answer = client(proxy).chat.completions.create(model="huge", messages=MESSAGES)
    assert answer.choices[0].message.content == "x" * HUGE_BYTES


def test_raw_header_bytes_pass_through(faulty_proxy, upstream):
    response = httpx.post(f"{faulty_proxy}/chat/completions", json={"model": "odd-header", "messages": MESSAGES})
    assert response.status_code == 200
    assert (b"x-odd", "caf\u00e9 \u2192 \u6771\u4eac".encode()) in response.headers.raw


def test_upstream_down_then_back(upstream):
    """A closed port answers 502; once a server listens there, the same proxy forwards again."""
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with run_proxy(f"http://127.0.0.1:{port}/v1", k=3) as url:
        with pytest.raises(openai.APIStatusError) as caught:
            client(url).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
        assert caught.value.status_code == 502 and caught.value.body["code"] == "upstream_unreachable"
        assert metrics(url)[upstream_error("unreachable")] == 1
        assert httpx.get(url.removesuffix("/v1") + "/healthz").json() == {"status": "ok"}
        with serve(upstream.app(), port=port):
            assert_healthy(url)


@pytest.fixture()
def unloadable_model(tmp_path) -> str:
    """A model directory whose config is not JSON: loading it fails."""
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    return str(tmp_path)


@pytest.mark.parametrize("fault", ["load", "score"])
def test_reranker_faults_fail_open_visibly(upstream, unloadable_model, fault):
    """Routing forwards every tool, says so in a header and a metric; /v1/rerank answers 503."""
    router = Router(unloadable_model) if fault == "load" else Router(BrokenReranker())
    with run_proxy(upstream.url, router, k=2) as url:
        raw = client(url).chat.completions.with_raw_response.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
        rerank = httpx.post(f"{url}/rerank", json={"query": "weather", "documents": ["a", "b"]})
        counted = metrics(url)
        assert httpx.get(url.removesuffix("/v1") + "/healthz").status_code == 200
    assert raw.status_code == 200 and raw.headers["x-toolrouter-fail-open"] == "1"
    assert raw.headers["x-toolrouter-count"] == "12->12" and "x-toolrouter-tools" not in raw.headers
    assert upstream.last["body"]["tools"] == CHAT_TOOLS
    assert counted["toolrouter_fail_open_total"] == 1
    assert rerank.status_code == 503 and rerank.json()["error"]["code"] == "reranker_unavailable"
