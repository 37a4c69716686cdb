"""RemoteReranker against a loopback server that speaks each service's rerank API."""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, get_args

import numpy as np
import pytest

from toolrouter import Router
from toolrouter.errors import RerankerError
from toolrouter.rerank import load_reranker
from toolrouter.rerank.remote import APIS, MAX_RETRY_AFTER, Api, RemoteReranker, retry_delay

KEY = "sk-test-0123456789abcdef"
QUERY = "weather in paris"
DOCUMENTS = ["paris weather today", "stock prices", "weather", "", "paris museums"]


def relevance(query: str, document: str) -> float:
    """The fake model: the share of query words in the document, kept inside (0, 1)."""
    words = set(query.split())
    return 0.05 + 0.9 * len(words & set(document.split())) / len(words)


class FakeService:
    """One loopback server for every API; records requests and plays scripted failures first."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failures: list[tuple[int, dict[str, str], Any]] = []
        self.delay = 0.0
        self.logits = False
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def reset(self) -> None:
        """Forget earlier tests (a handler still sleeping from one keeps its in-flight count)."""
        with self.lock:
            self.requests, self.failures = [], []
            self.delay, self.logits, self.max_in_flight = 0.0, False, 0

    def answer(self, path: str, body: dict[str, Any]) -> Any:
        query = body.get("query", body.get("text_1"))
        texts = body.get("documents", body.get("texts", body.get("text_2")))
        scores = [relevance(query, text) for text in texts]
        if self.logits:
            scores = [math.log(s / (1 - s)) for s in scores]
        best_first = sorted(range(len(texts)), key=lambda i: -scores[i])  # services answer in rank order
        if path == "/score":  # vLLM
            return {"id": "score-1", "object": "list", "model": body.get("model"), "usage": {"prompt_tokens": 9},
                    "data": [{"index": i, "object": "score", "score": scores[i]} for i in range(len(texts))]}
        if "texts" in body:  # TEI: a bare array
            return [{"index": i, "score": scores[i]} for i in best_first]
        results = [{"index": i, "relevance_score": scores[i]} for i in best_first]
        if path == "/v2/rerank":  # Cohere
            return {"id": "c-1", "results": results, "meta": {"billed_units": {"search_units": 1}}}
        return {"model": body.get("model"), "usage": {"total_tokens": 9}, "results": results}


@pytest.fixture(scope="module")
def server():
    service = FakeService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with service.lock:
                service.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                service.in_flight += 1
                service.max_in_flight = max(service.max_in_flight, service.in_flight)
                planned = service.failures.pop(0) if service.failures else None
            try:
                time.sleep(service.delay)
                status, headers, payload = planned or (200, {}, service.answer(self.path, body))
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            finally:
                with service.lock:
                    service.in_flight -= 1

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that timed out has hung up; nothing to report

    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, service
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def service(server) -> FakeService:
    server[1].reset()
    return server[1]


@pytest.fixture()
def base_url(server) -> str:
    return f"http://127.0.0.1:{server[0].server_address[1]}"


def expected(query: str, documents: list[str]) -> np.ndarray:
    return np.array([relevance(query, d) for d in documents], dtype=np.float32)


@pytest.mark.parametrize(("api", "path", "body"), [
    ("jina", "/v1/rerank", {"model": "jina-reranker-v2-base-multilingual", "query": QUERY, "documents": DOCUMENTS,
                            "top_n": 5, "return_documents": False}),
    ("cohere", "/v2/rerank", {"model": "rerank-v3.5", "query": QUERY, "documents": DOCUMENTS, "top_n": 5}),
    ("tei", "/rerank", {"query": QUERY, "texts": DOCUMENTS, "raw_scores": False, "return_text": False,
                        "truncate": True}),
    ("infinity", "/rerank", {"model": "bge", "query": QUERY, "documents": DOCUMENTS, "return_documents": False}),
    ("vllm", "/v1/rerank", {"model": "BAAI/bge-reranker-v2-m3", "query": QUERY, "documents": DOCUMENTS, "top_n": 5}),
    ("vllm-score", "/score", {"model": "BAAI/bge-reranker-v2-m3", "text_1": QUERY, "text_2": DOCUMENTS}),
])
def test_each_api_request_and_answer(service, base_url, api, path, body):
    reranker = RemoteReranker(base_url, api=api, model=body.get("model", "ignored-by-tei"), api_key=KEY)
    np.testing.assert_allclose(reranker.score(QUERY, DOCUMENTS), expected(QUERY, DOCUMENTS), rtol=1e-6)
    [sent] = service.requests
    assert sent["path"] == path and sent["body"] == body
    assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
    assert sent["headers"]["Content-Type"] == "application/json"


def test_every_api_has_a_shape():
    assert set(APIS) == set(get_args(Api))


def test_batches_follow_the_service_limit_per_query(service, base_url):
    documents = [f"doc {i} weather" for i in range(70)]
    tei = RemoteReranker(base_url, api="tei")
    np.testing.assert_allclose(tei.score(QUERY, documents), expected(QUERY, documents), rtol=1e-6)
    assert sorted(len(r["body"]["texts"]) for r in service.requests) == [6, 32, 32]
    assert all("Authorization" not in r["headers"] for r in service.requests)
    service.reset()
    jina = RemoteReranker(f"{base_url}/v1/rerank", batch_size=4)
    pairs = [("paris", d) for d in DOCUMENTS] + [("stock", d) for d in DOCUMENTS[:3]]
    np.testing.assert_allclose(jina.predict(pairs), [relevance(q, d) for q, d in pairs], rtol=1e-6)
    sent = sorted((r["body"]["query"], len(r["body"]["documents"])) for r in service.requests)
    assert sent == [("paris", 1), ("paris", 4), ("stock", 3)]


def test_requests_run_concurrently_but_bounded(service, base_url):
    service.delay = 0.2
    reranker = RemoteReranker(base_url, api="tei", batch_size=2, max_concurrency=3)
    documents = [f"weather {i}" for i in range(12)]
    np.testing.assert_allclose(reranker.score(QUERY, documents), expected(QUERY, documents), rtol=1e-6)
    assert len(service.requests) == 6 and 2 <= service.max_in_flight <= 3
    service.reset()
    service.delay = 0.1
    callers = [threading.Thread(target=reranker.score, args=(f"query {n}", documents)) for n in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert len(service.requests) == 18 and service.max_in_flight <= 3  # the bound holds across callers


def test_retries_on_429_and_503_then_succeeds(service, base_url, caplog):
    service.failures = [(429, {"Retry-After": "0"}, {"detail": "slow down"}),
                        (503, {}, {"error": "model is loading", "error_type": "Overloaded"})]
    reranker = RemoteReranker(base_url, api="tei", backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="toolrouter.rerank.remote"):
        np.testing.assert_allclose(reranker.score(QUERY, DOCUMENTS), expected(QUERY, DOCUMENTS), rtol=1e-6)
    assert len(service.requests) == 3
    assert "status 429: slow down" in caplog.text and "status 503: model is loading" in caplog.text


def test_gives_up_after_the_last_retry(service, base_url):
    service.failures = [(503, {}, {"message": "overloaded"})] * 3
    reranker = RemoteReranker(base_url, api="cohere", model="rerank-v3.5", max_retries=2, backoff=0.01)
    with pytest.raises(RerankerError, match=r"status 503: overloaded \(gave up after 3 attempts\)"):
        reranker.score(QUERY, DOCUMENTS)
    assert len(service.requests) == 3


def test_client_errors_are_not_retried_and_quote_the_service(service, base_url):
    service.failures = [(400, {}, {"message": "model 'nope' not found"})]
    reranker = RemoteReranker(base_url, api="cohere", model="nope", backoff=0.01)
    with pytest.raises(RerankerError) as error:
        reranker.score(QUERY, DOCUMENTS)
    assert str(error.value) == f"rerank service {base_url}/v2/rerank (cohere): status 400: model 'nope' not found"
    assert len(service.requests) == 1
    service.failures = [(422, {}, {"detail": [{"loc": ["body", "query"], "msg": "field required"}]})]
    with pytest.raises(RerankerError, match="status 422: field required"):
        RemoteReranker(base_url, api="infinity").score("other", ["x"])


def test_timeouts_and_unreachable_services(service, base_url):
    service.delay = 1.0
    slow = RemoteReranker(base_url, api="tei", timeout=0.2, max_retries=1, backoff=0.01)
    with pytest.raises(RerankerError, match=r"no answer within 0.2 s \(gave up after 2 attempts\)"):
        slow.score(QUERY, DOCUMENTS)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = RemoteReranker(f"http://127.0.0.1:{port}", api="tei", max_retries=1, backoff=0.01)
    with pytest.raises(RerankerError, match=r"cannot reach it \(ConnectError\)"):
        closed.score(QUERY, DOCUMENTS)


def test_the_api_key_is_never_logged_shown_or_echoed(service, base_url, caplog):
    service.failures = [(503, {"Retry-After": "0"}, {"detail": "busy"}),
                        (401, {}, {"detail": f"invalid key {KEY}"})]
    reranker = RemoteReranker(f"https://user:pw@127.0.0.1:1/v1/rerank?key={KEY}", api_key=KEY)
    assert KEY not in repr(reranker) and "pw" not in repr(reranker) and KEY not in reranker.name
    reranker = RemoteReranker(base_url, api_key=KEY, backoff=0.01)
    with caplog.at_level(logging.DEBUG), pytest.raises(RerankerError) as error:
        reranker.score(QUERY, DOCUMENTS)
    assert "invalid key [redacted]" in str(error.value) and KEY not in str(error.value)
    assert caplog.records and KEY not in caplog.text
    assert service.requests[-1]["headers"]["Authorization"] == f"Bearer {KEY}"


def test_logits_need_saying_so(service, base_url):
    service.logits = True
    documents = ["weather in paris", "stock prices"]
    with pytest.raises(RerankerError, match=r"outside \[0, 1\].*logits=True"):
        RemoteReranker(base_url, api="vllm-score").score(QUERY, documents)
    scores = RemoteReranker(base_url, api="vllm-score", logits=True).score(QUERY, documents)
    np.testing.assert_allclose(scores, expected(QUERY, documents), rtol=1e-5)


def test_malformed_answers_are_errors(service, base_url):
    service.failures = [(200, {}, {"results": [{"index": 0, "relevance_score": 0.5}]})]
    with pytest.raises(RerankerError, match="left 1 of 2 documents unscored"):
        RemoteReranker(base_url).score(QUERY, ["a", "b"])
    service.failures = [(200, {}, {"data": []})]
    with pytest.raises(RerankerError, match="not a 'results' list"):
        RemoteReranker(base_url).score(QUERY, ["c"])


def test_retry_delay_backs_off_with_jitter_and_honours_retry_after():
    for attempt in range(4):
        assert 0.5 * 2**attempt * 0.5 <= retry_delay(attempt, 0.5) <= 0.5 * 2**attempt
    assert retry_delay(20, 0.5) <= 30.0
    assert retry_delay(0, 0.01, "7") == 7.0
    assert retry_delay(0, 0.01, "86400") == MAX_RETRY_AFTER
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    assert 15 < retry_delay(0, 0.01, later) <= 20
    assert retry_delay(0, 0.01, "soon") <= 0.01


def test_urls_route_to_remote_rerankers_and_bad_options_say_what_is_valid(service, base_url):
    reranker = load_reranker(base_url, api="tei")
    assert isinstance(reranker, RemoteReranker) and reranker.endpoint == f"{base_url}/rerank"
    with pytest.raises(ValueError, match="'jina', 'cohere', 'tei', 'infinity', 'vllm', 'vllm-score'"):
        RemoteReranker(base_url, api="openai")
    with pytest.raises(ValueError, match="needs model="):
        RemoteReranker(base_url, api="cohere")
    with pytest.raises(ValueError, match="http"):
        RemoteReranker("tei:8080")


def test_a_router_scores_through_the_service(service, base_url):
    router = Router(model=RemoteReranker(base_url, api="tei"))
    router.add_tools([{"type": "function", "function": {"name": name, "description": text,
                                                         "parameters": {"type": "object", "properties": {}}}}
                      for name, text in [("get_weather", "weather in a city such as paris"),
                                         ("get_stock", "stock prices")]])
    assert [s.name for s in router.select_tools(QUERY, k=1)] == ["get_weather"]
    assert service.requests and all(r["path"] == "/rerank" for r in service.requests)
