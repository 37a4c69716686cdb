"""Rerank services: scores from Jina's, Cohere's, TEI's, Infinity's or vLLM's HTTP API.

A :class:`RemoteReranker` lets many stateless toolrouter processes share one GPU deployment of the
model (``docs/scaling.md``). Each ``score()`` call groups its documents by query, cuts them into
requests of at most the service's batch size and sends them concurrently (a bounded number in
flight), retrying on 429, 5xx, timeouts and connection errors with jittered exponential backoff
that honours ``Retry-After``. Other failures raise :class:`~toolrouter.errors.RerankerError` with
the status and the service's own message.

The APIs (``api=``), their default path, request → answer, and documents per request:

- ``jina`` ``/v1/rerank``: ``{model, query, documents, top_n, return_documents}`` →
  ``{results: [{index, relevance_score}], usage}``; 512 (no cap is published; toolrouter's own
  ``/v1/rerank`` takes up to 1024).
- ``cohere`` ``/v2/rerank``: ``{model, query, documents, top_n}`` → ``{results: [{index, relevance_score}]}``;
  1000 (Cohere's advice).
- ``tei`` ``/rerank``: ``{query, texts, raw_scores: false, return_text: false, truncate: true}`` →
  ``[{index, score}]``; 32 (TEI's default ``--max-client-batch-size``).
- ``infinity`` ``/rerank``: ``{model, query, documents, return_documents}`` →
  ``{results: [{index, relevance_score}]}``; 128.
- ``vllm`` ``/v1/rerank``: Jina's shape; 128.
- ``vllm-score`` ``/score``: ``{model, text_1: query, text_2: documents}`` → ``{data: [{index, score}]}``; 128.

Services without a per-request cap get 128 documents per request: small enough to spread one call
over several replicas, large enough for the server's own batching.

Scores: Jina, Cohere, TEI (``raw_scores: false``) and Infinity answer relevances in [0, 1]. vLLM
applies the model's activation (sigmoid for one-label cross-encoders) unless the server was started
without it, in which case it answers raw logits: pass ``logits=True`` and toolrouter applies the
sigmoid. A score outside [0, 1] without ``logits=True`` is an error that says so, never silently mixed.

The API key travels only in the ``Authorization: Bearer`` header: it is never logged, never part of
an error message (a service echoing it is redacted) and never in ``repr()``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from toolrouter.errors import RerankerError
from toolrouter.rerank.base import DEFAULT_CACHE_SIZE, BaseReranker

logger = logging.getLogger(__name__)

Api = Literal["jina", "cohere", "tei", "infinity", "vllm", "vllm-score"]

# Seconds to connect, send, and wait for the answer of one request.
DEFAULT_TIMEOUT = 30.0
# Retries after the first attempt (on 429, 5xx, timeouts and connection errors).
DEFAULT_MAX_RETRIES = 3
# Requests in flight at once per reranker (every thread's calls together).
DEFAULT_MAX_CONCURRENCY = 4
# Seconds before the first retry; doubled for each further retry, then jittered down by up to half.
DEFAULT_BACKOFF = 0.5
# Longest backoff between attempts, in seconds.
MAX_BACKOFF = 30.0
# Longest Retry-After honoured, in seconds (a longer ask is waited this long).
MAX_RETRY_AFTER = 60.0
# Statuses worth another attempt: rate limits and transient server trouble.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Scores may overshoot [0, 1] by this much (float rounding) before they count as logits.
SCORE_TOLERANCE = 1e-4
# Characters of a service's error message kept in our error.
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class ApiShape:
    """How one service's rerank endpoint is called and what it answers."""

    path: str  # endpoint path used when the URL has none
    batch_size: int  # documents per request by default
    query_field: str
    documents_field: str
    results_field: str | None  # where the result list sits; None for a bare JSON array
    score_field: str
    sends_model: bool = True
    sends_top_n: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)  # constant fields of every request


APIS: dict[str, ApiShape] = {
    "jina": ApiShape("/v1/rerank", 512, "query", "documents", "results", "relevance_score",
                     sends_top_n=True, extra={"return_documents": False}),
    "cohere": ApiShape("/v2/rerank", 1000, "query", "documents", "results", "relevance_score", sends_top_n=True),
    "tei": ApiShape("/rerank", 32, "query", "texts", None, "score", sends_model=False,
                    extra={"raw_scores": False, "return_text": False, "truncate": True}),
    "infinity": ApiShape("/rerank", 128, "query", "documents", "results", "relevance_score",
                         extra={"return_documents": False}),
    "vllm": ApiShape("/v1/rerank", 128, "query", "documents", "results", "relevance_score", sends_top_n=True),
    "vllm-score": ApiShape("/score", 128, "text_1", "text_2", "data", "score"),
}


class RemoteReranker(BaseReranker):
    """A reranker whose scores come from a rerank service over HTTP.

    Args:
        url: The endpoint, e.g. ``https://api.jina.ai/v1/rerank``; a URL without a path gets the
            API's default path (``http://tei:8080`` → ``http://tei:8080/rerank``).
        api: The service's API: ``"jina"``, ``"cohere"``, ``"tei"``, ``"infinity"``, ``"vllm"``
            (``/v1/rerank``) or ``"vllm-score"`` (``/score``). Defaults to "jina".
        model: The model field of each request (required by Cohere; TEI serves one model and gets
            none). Defaults to None (omitted).
        api_key: Sent as ``Authorization: Bearer <key>``. Defaults to None (no header).
        timeout: Seconds per request. Defaults to ``DEFAULT_TIMEOUT``.
        max_retries: Retries after the first attempt. Defaults to ``DEFAULT_MAX_RETRIES``.
        batch_size: Documents per request. Defaults to the API's limit (see the module docstring).
        max_concurrency: Requests in flight at once, all calls of this reranker together.
            Defaults to ``DEFAULT_MAX_CONCURRENCY``.
        logits: The service answers raw logits; apply a sigmoid. Defaults to False.
        backoff: Seconds before the first retry (doubled per retry, jittered). Defaults to ``DEFAULT_BACKOFF``.
        name: Display and cache name. Defaults to ``model``, else the URL.
        cache_size: LRU cache entries. Defaults to ``DEFAULT_CACHE_SIZE``.
    """

    def __init__(
        self,
        url: str,
        api: Api = "jina",
        *,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        batch_size: int | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        logits: bool = False,
        backoff: float = DEFAULT_BACKOFF,
        name: str | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        if api not in APIS:
            raise ValueError(f"api must be one of {', '.join(map(repr, APIS))}, got {api!r}")
        if api == "cohere" and model is None:
            raise ValueError("Cohere's /v2/rerank needs model=..., e.g. model='rerank-v3.5'")
        shape = APIS[api]
        batch_size = shape.batch_size if batch_size is None else batch_size
        for label, value in (("batch_size", batch_size), ("max_concurrency", max_concurrency)):
            if value < 1:
                raise ValueError(f"{label} must be at least 1, got {value}")
        if max_retries < 0 or timeout <= 0 or backoff < 0:
            raise ValueError("max_retries and backoff must be 0 or more and timeout positive")
        self.endpoint = endpoint_url(url, shape.path)
        self.display_url = without_credentials(self.endpoint)
        super().__init__(name or model or self.display_url, cache_size)
        self.api = api
        self.shape = shape
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency
        self.logits = logits
        self.backoff = backoff
        self._api_key = api_key
        self._client: Any = None
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RemoteReranker({self.display_url!r}, api={self.api!r}, model={self.model!r})"

    def close(self) -> None:
        """Close the pooled HTTP connections (a later call opens new ones)."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        by_query: dict[str, list[int]] = {}
        for position, (query, _) in enumerate(pairs):
            by_query.setdefault(query, []).append(position)
        jobs = [(query, positions[start : start + self.batch_size])
                for query, positions in by_query.items()
                for start in range(0, len(positions), self.batch_size)]

        def run(job: tuple[str, list[int]]) -> np.ndarray:
            query, positions = job
            return self._request(query, [pairs[i][1] for i in positions])

        pool = ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(jobs)))
        try:
            answers = list(pool.map(run, jobs))
        finally:
            pool.shutdown(cancel_futures=True)  # after a failure, send nothing more
        scores = np.empty(len(pairs), dtype=np.float32)
        for (_, positions), values in zip(jobs, answers):
            scores[positions] = values
        return scores

    def _request(self, query: str, documents: list[str]) -> np.ndarray:
        """Scores of one batch, in [0, 1], in the batch's order."""
        shape = self.shape
        body = {shape.query_field: query, shape.documents_field: documents, **shape.extra}
        if shape.sends_top_n:
            body["top_n"] = len(documents)
        if shape.sends_model and self.model is not None:
            body["model"] = self.model
        raw = parse_scores(shape, self._post(body), len(documents))
        if self.logits:
            return 1.0 / (1.0 + np.exp(-raw))
        if raw.min() < -SCORE_TOLERANCE or raw.max() > 1 + SCORE_TOLERANCE:
            outside = raw[(raw < 0) | (raw > 1)][0]
            raise self._error(f"answered score {outside:g}, outside [0, 1]: it returns raw logits, "
                              "so pass logits=True")
        return raw.clip(0.0, 1.0)

    def _post(self, body: dict[str, Any]) -> Any:
        """POST with retries; the decoded JSON answer."""
        import httpx

        client = self._http()
        for attempt in range(self.max_retries + 1):
            retry_after = None
            logger.debug("POST %s: %d documents (attempt %d)", self.display_url,
                         len(body[self.shape.documents_field]), attempt + 1)
            try:
                response = client.post(self.endpoint, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self.timeout:g} s"
            except httpx.TransportError as exc:
                problem = f"cannot reach it ({type(exc).__name__})"
            else:
                if response.is_success:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise self._error(f"status {response.status_code} with a body that is not JSON") from exc
                problem = f"status {response.status_code}: {self._message(response)}"
                if response.status_code not in RETRY_STATUSES:
                    raise self._error(problem)
                retry_after = response.headers.get("retry-after")
            if attempt == self.max_retries:
                break
            delay = retry_delay(attempt, self.backoff, retry_after)
            logger.warning("rerank service %s: %s; retry %d of %d in %.2f s", self.display_url, problem,
                           attempt + 1, self.max_retries, delay)
            time.sleep(delay)
        raise self._error(f"{problem} (gave up after {self.max_retries + 1} attempts)")

    def _http(self) -> Any:
        """The shared, thread-safe httpx client (one connection pool per reranker)."""
        import httpx

        with self._client_lock:
            if self._client is None:
                headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
                # The pool holds max_concurrency connections: requests beyond wait for one (untimed),
                # so all calls of this reranker together keep at most that many in flight.
                self._client = httpx.Client(timeout=httpx.Timeout(self.timeout, pool=None), headers=headers,
                                            limits=httpx.Limits(max_connections=self.max_concurrency))
            return self._client

    def _message(self, response: Any) -> str:
        """The service's own words about a failure, shortened."""
        try:
            text = service_message(response.json())
        except ValueError:
            text = response.text
        return text.strip()[:MAX_ERROR_CHARS] or response.reason_phrase

    def _error(self, problem: str) -> RerankerError:
        if self._api_key:
            problem = problem.replace(self._api_key, "[redacted]")
        return RerankerError(f"rerank service {self.display_url} ({self.api}): {problem}")


def endpoint_url(url: str, default_path: str) -> str:
    """``url`` with the API's default path when it has none."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"a rerank service URL is http(s)://host[:port][/path], got {without_credentials(url)!r}")
    if parts.path in ("", "/"):
        parts = parts._replace(path=default_path)
    return urlunsplit(parts)


def without_credentials(url: str) -> str:
    """``url`` without user info, query or fragment, where secrets may hide: safe to log."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def parse_scores(shape: ApiShape, payload: Any, count: int) -> np.ndarray:
    """One float64 score per document from a service's answer (results may come in any order).

    Raises:
        RerankerError: The answer lacks results, has a malformed one, or misses a document.
    """
    records = payload.get(shape.results_field) if shape.results_field and isinstance(payload, dict) else payload
    if not isinstance(records, list):
        where = f"a {shape.results_field!r} list" if shape.results_field else "a JSON array"
        raise RerankerError(f"the rerank service's answer is not {where}: {json.dumps(payload)[:200]}")
    scores = np.full(count, np.nan)
    for record in records:
        try:
            index, score = int(record["index"]), float(record[shape.score_field])
        except (TypeError, KeyError, ValueError) as exc:
            raise RerankerError(f"the rerank service answered a result without index and {shape.score_field}: "
                                f"{json.dumps(record)[:200]}") from exc
        if not 0 <= index < count:
            raise RerankerError(f"the rerank service answered index {index} for {count} documents")
        scores[index] = score
    missing = int(np.isnan(scores).sum())
    if missing:
        raise RerankerError(f"the rerank service left {missing} of {count} documents unscored")
    return scores


def service_message(payload: Any) -> str:
    """The human part of an error body: Cohere's/vLLM's ``message``, FastAPI's ``detail``, TEI's ``error``."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, list):
        return "; ".join(service_message(item) for item in payload)
    if isinstance(payload, dict):
        for key in ("message", "msg", "detail", "error"):
            if key in payload:
                return service_message(payload[key])
    return json.dumps(payload)


def retry_delay(attempt: int, backoff: float, retry_after: str | None = None) -> float:
    """Seconds before retry ``attempt + 1``: ``backoff * 2**attempt`` (capped at ``MAX_BACKOFF``),
    jittered down by up to half, and never less than the server's ``Retry-After`` (seconds or an
    HTTP date, capped at ``MAX_RETRY_AFTER``)."""
    delay = min(backoff * 2**attempt, MAX_BACKOFF) * random.uniform(0.5, 1.0)
    if retry_after is None:
        return delay
    try:
        asked = float(retry_after)
    except ValueError:
        try:
            when = parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            return delay
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        asked = (when - datetime.now(timezone.utc)).total_seconds()
    return max(delay, min(max(asked, 0.0), MAX_RETRY_AFTER))
