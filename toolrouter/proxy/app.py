"""The OpenAI-compatible tool-routing proxy: a FastAPI app in front of an upstream API.

``POST /v1/chat/completions`` and ``POST /v1/responses`` are routed (see
:mod:`toolrouter.proxy.routing`) and forwarded; streamed answers are passed through chunk by
chunk, unchanged. ``/v1/rerank`` is served locally with the routing reranker; ``/healthz`` and
``/metrics`` describe the proxy; any other ``/v1/...`` request is forwarded as it is.

Keys: the client's ``Authorization`` header goes upstream untouched and is never logged. With
``api_key`` set, clients must also present the proxy's key, either in ``x-toolrouter-key`` (and
keep their own upstream key in ``Authorization``) or as ``Authorization: Bearer <proxy key>``;
that header is then consumed by the proxy and replaced by ``upstream_api_key`` when one is set.

Errors the proxy produces itself use OpenAI's error JSON: 401 (proxy key), 413 (body too large),
502 (upstream unreachable or invalid answer), 504 (upstream timeout). Upstream error statuses are
passed through as they are.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import anyio
import httpx

from toolrouter.errors import MissingDependencyError, ProxyError
from toolrouter.proxy.metrics import CONTENT_TYPE, Metrics
from toolrouter.proxy.rerank import parse_rerank_request, rerank_answer
from toolrouter.proxy.routing import (
    DEFAULT_K,
    MODES,
    Api,
    Mode,
    RoutedRequest,
    check_choice,
    check_k,
    route_request,
)
from toolrouter.router import Router

try:
    from fastapi import Depends, FastAPI, Request
    from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
    from starlette.exceptions import HTTPException
    from starlette.types import Receive, Scope, Send
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise MissingDependencyError("fastapi", "proxy") from exc

logger = logging.getLogger("toolrouter.proxy")

# Seconds to wait for upstream reads and writes (OpenAI's own client waits 10 minutes).
DEFAULT_TIMEOUT = 600.0
# Seconds to wait for a connection to the upstream.
DEFAULT_CONNECT_TIMEOUT = 10.0
# Largest request body accepted (16 MiB); larger ones get 413.
DEFAULT_MAX_BODY_BYTES = 16 * 2**20
# Header carrying the proxy's own key when Authorization holds the client's upstream key.
PROXY_KEY_HEADER = "x-toolrouter-key"
# Connection-scoped headers (RFC 9110 §7.6.1): never forwarded in either direction.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "transfer-encoding", "upgrade"})
# Request headers not forwarded: recomputed by httpx, or meant for the proxy. Upstream answers are
# requested uncompressed so they can be checked and streamed unchanged.
DROPPED_REQUEST_HEADERS = HOP_BY_HOP | {"host", "content-length", "accept-encoding", PROXY_KEY_HEADER}
# Response headers not passed back: recomputed by the proxy's server.
DROPPED_RESPONSE_HEADERS = HOP_BY_HOP | {"content-length", "date", "server"}
# Paths reported by name in toolrouter_requests_total; the rest count as "other".
METRIC_ENDPOINTS = frozenset({"/v1/chat/completions", "/v1/responses", "/v1/models", "/v1/rerank", "/healthz",
                              "/metrics"})
# Characters left as they are in the x-toolrouter-tools header (names are percent-encoded otherwise).
HEADER_SAFE = "_-.:/@"


def error_body(error: ProxyError) -> dict[str, Any]:
    """OpenAI's error JSON for ``error``: ``{"error": {"message", "type", "param", "code"}}``."""
    kind = "invalid_request_error" if error.status < 500 else "server_error"
    return {"error": {"message": error.message, "type": kind, "param": error.param, "code": error.code}}


def routing_headers(routed: RoutedRequest) -> list[tuple[str, str]]:
    """The ``x-toolrouter-*`` response headers describing what routing did."""
    headers = [("x-toolrouter-count", f"{routed.tools_in}->{routed.tools_out}"),
               ("x-toolrouter-ms", f"{routed.seconds * 1000:.1f}")]
    if routed.error is not None:
        headers.append(("x-toolrouter-fail-open", "1"))
    else:
        headers.append(("x-toolrouter-tools", ",".join(quote(name, safe=HEADER_SAFE) for name in routed.tools)))
    return headers


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    scheme, _, token = (authorization or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def add_headers(response: Response, headers: Iterable[tuple[str, str]]) -> Response:
    """Append headers to ``response``, keeping repeated names (``set-cookie`` ...)."""
    response.raw_headers.extend((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers)
    return response


class UpstreamStream(StreamingResponse):
    """Streams an upstream answer through and always closes it, even when the client goes away."""

    def __init__(self, upstream: httpx.Response, content: AsyncIterator[bytes]) -> None:
        super().__init__(content, status_code=upstream.status_code)
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.upstream.aclose()


class Proxy:
    """The proxy's settings, shared upstream client and metrics; :func:`create_app` wires it to routes.

    Arguments as in :func:`create_app`.
    """

    def __init__(self, upstream: str, router: Router, k: int, mode: Mode, api_key: str | None,
                 upstream_api_key: str | None, timeout: httpx.Timeout, max_body_bytes: int) -> None:
        if not upstream.startswith(("http://", "https://")):
            raise ValueError(f"upstream must be an http:// or https:// URL, got {upstream!r}")
        check_k(k)
        check_choice("mode", mode, MODES)
        self.upstream = upstream.rstrip("/")
        self.router = router
        self.k = k
        self.mode = mode
        self.api_key = api_key
        self.upstream_api_key = upstream_api_key
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.metrics = Metrics()
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The upstream client, open while the app runs (see the app's lifespan)."""
        if self._client is None:
            raise RuntimeError("the proxy's upstream client is closed: serve the app with its lifespan")
        return self._client

    @asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        """Load the reranker before serving; hold one upstream client for the app's lifetime."""
        await anyio.to_thread.run_sync(lambda: self.router.reranker)
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            self._client = client
            try:
                yield
            finally:
                self._client = None

    # Requests
    def authorize(self, request: Request) -> None:
        """Check the proxy's key when one is set (a FastAPI dependency).

        Raises:
            ProxyError: Status 401 when the key is missing or wrong.
        """
        if self.api_key is None:
            return
        given = request.headers.get(PROXY_KEY_HEADER) or bearer(request.headers.get("authorization")) or ""
        if not hmac.compare_digest(given.encode(), self.api_key.encode()):
            raise ProxyError(f"missing or invalid proxy key: send it as '{PROXY_KEY_HEADER}: KEY' or "
                             "'Authorization: Bearer KEY'", status=401, code="invalid_api_key")

    async def read_body(self, request: Request) -> bytes:
        """The request body, refused past ``max_body_bytes`` (declared or actual size).

        Raises:
            ProxyError: Status 413 when the body is too large.
        """
        too_large = ProxyError(f"request body larger than {self.max_body_bytes} bytes", status=413,
                               code="request_too_large")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise too_large
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def upstream_headers(self, request: Request) -> list[tuple[str, str]]:
        """The client's headers for the upstream, with the proxy's own key swapped out."""
        headers = [(name, value) for name, value in request.headers.items() if name not in DROPPED_REQUEST_HEADERS]
        token = bearer(request.headers.get("authorization"))
        if self.api_key is not None and token is not None and hmac.compare_digest(token.encode(),
                                                                                  self.api_key.encode()):
            headers = [(name, value) for name, value in headers if name != "authorization"]
        if self.upstream_api_key is not None and all(name != "authorization" for name, _ in headers):
            headers.append(("authorization", f"Bearer {self.upstream_api_key}"))
        headers.append(("accept-encoding", "identity"))
        return headers

    # Routing
    def prepare(self, raw: bytes, api: Api) -> tuple[bytes, RoutedRequest | None]:
        """The bytes to forward and what routing did; bodies that are not JSON objects go as they came."""
        try:
            body = json.loads(raw)
        except ValueError:
            return raw, None
        if not isinstance(body, dict):
            return raw, None
        routed = route_request(body, api, self.router, self.k, self.mode)
        if not routed.changed:
            return raw, routed
        return json.dumps(routed.body, ensure_ascii=False, separators=(",", ":")).encode(), routed

    async def route_and_forward(self, request: Request, api: Api) -> Response:
        """Route a Chat Completions or Responses request (in a worker thread) and forward it."""
        raw = await self.read_body(request)
        content, routed = await anyio.to_thread.run_sync(self.prepare, raw, api)
        headers: list[tuple[str, str]] = []
        if routed is not None:
            self.metrics.count_routing(routed)
            headers = routing_headers(routed)
            logger.info("%s tools %d->%d in %.1f ms%s", request.url.path, routed.tools_in, routed.tools_out,
                        routed.seconds * 1000, " (fail-open)" if routed.error else "")
        return await self.forward(request, content, headers, expect_json=True)

    # Forwarding
    async def forward(self, request: Request, content: bytes | None, extra_headers: list[tuple[str, str]],
                      expect_json: bool = False) -> Response:
        """Send the request upstream; stream event streams through, return other answers whole.

        Args:
            request: The client's request (method, path, query and headers are reused).
            content: The body to send.
            extra_headers: Added to the answer (``x-toolrouter-*``).
            expect_json: A successful answer that is not JSON is an invalid upstream answer (502).
                Defaults to False.

        Raises:
            ProxyError: 502 or 504 when the upstream cannot be reached, times out or answers garbage.
        """
        url = self.upstream + request.url.path.removeprefix("/v1")
        if request.url.query:
            url += f"?{request.url.query}"
        upstream_request = self.client.build_request(request.method, url, headers=self.upstream_headers(request),
                                                     content=content)
        try:
            upstream = await self.client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            raise self.upstream_failure(exc) from exc
        headers = [(name, value) for name, value in upstream.headers.multi_items()
                   if name.lower() not in DROPPED_RESPONSE_HEADERS]
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            return add_headers(UpstreamStream(upstream, self.stream_chunks(upstream)), headers + extra_headers)
        try:
            body = await upstream.aread()
        except httpx.HTTPError as exc:
            raise self.upstream_failure(exc) from exc
        finally:
            await upstream.aclose()
        if expect_json and upstream.is_success and not is_json(body):
            self.metrics.count_upstream_error("invalid")
            raise ProxyError("upstream answered with an invalid response (not JSON)", status=502,
                             code="upstream_invalid_response")
        headers = [(name, value) for name, value in headers if name.lower() != "content-encoding"]
        return add_headers(Response(body, status_code=upstream.status_code), headers + extra_headers)

    async def stream_chunks(self, upstream: httpx.Response) -> AsyncIterator[bytes]:
        """The upstream's bytes as they arrive; a failure mid-stream ends it with an SSE error event."""
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            error = self.upstream_failure(exc)
            # Blank lines first end any event the upstream left half-written.
            yield b"\n\ndata: " + json.dumps(error_body(error)).encode() + b"\n\n"

    def upstream_failure(self, exc: httpx.HTTPError) -> ProxyError:
        """Map an httpx failure to the proxy's answer (504 timeout, else 502) and count it."""
        if isinstance(exc, httpx.TimeoutException):
            reason, status, message = "timeout", 504, "upstream timed out"
        elif isinstance(exc, httpx.RemoteProtocolError | httpx.DecodingError):
            reason, status, message = "invalid", 502, "upstream answered with an invalid response"
        else:
            reason, status, message = "unreachable", 502, "cannot reach upstream"
        self.metrics.count_upstream_error(reason)
        logger.warning("upstream %s: %s", reason, type(exc).__name__)
        return ProxyError(f"{message} ({type(exc).__name__})", status=status, code=f"upstream_{reason}")

    # Local endpoints
    async def rerank(self, request: Request) -> JSONResponse:
        """Jina-style reranking with the routing reranker (see :mod:`toolrouter.proxy.rerank`)."""
        raw = await self.read_body(request)
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            raise ProxyError(f"the request body is not valid JSON: {exc}", status=400, code="invalid_json") from exc
        parsed = parse_rerank_request(payload)
        answer = await anyio.to_thread.run_sync(rerank_answer, self.router.reranker, parsed)
        return JSONResponse(answer)


def is_json(body: bytes) -> bool:
    """Whether ``body`` parses as JSON."""
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


class RequestCounter:
    """ASGI middleware counting every response by endpoint and status in the proxy's metrics."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = scope["path"] if scope["path"] in METRIC_ENDPOINTS else "other"

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.metrics.count_request(endpoint, message["status"])
            await send(message)

        await self.app(scope, receive, counting_send)


def create_app(
    upstream: str,
    router: Router | None = None,
    *,
    k: int = DEFAULT_K,
    mode: Mode = "filter",
    api_key: str | None = None,
    upstream_api_key: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The proxy as an ASGI app (serve it with uvicorn; ``toolrouter serve`` does).

    Args:
        upstream: Base URL of the OpenAI-compatible API, as given to OpenAI's client
            (``https://api.openai.com/v1``); ``/v1/<path>`` is forwarded to ``<upstream>/<path>``.
        router: Supplies the reranker and selection settings. Defaults to ``Router()`` (the bundled model).
        k: Ranked function tools kept per request. Defaults to ``DEFAULT_K``.
        mode: ``"filter"`` or ``"allowed_tools"`` (see :func:`~toolrouter.proxy.routing.route_request`).
            Defaults to "filter".
        api_key: The key clients must present to use the proxy; None leaves it open. Defaults to None.
        upstream_api_key: Sent upstream as ``Authorization: Bearer`` when the client sent no upstream
            key of its own. Defaults to None.
        timeout: Seconds to wait for upstream reads and writes. Defaults to ``DEFAULT_TIMEOUT``.
        connect_timeout: Seconds to wait for an upstream connection. Defaults to ``DEFAULT_CONNECT_TIMEOUT``.
        max_body_bytes: Largest request body accepted. Defaults to ``DEFAULT_MAX_BODY_BYTES``.

    Raises:
        ValueError: An invalid ``upstream``, ``k`` or ``mode`` (the message lists valid values).
    """
    proxy = Proxy(upstream, router if router is not None else Router(), k, mode, api_key, upstream_api_key,
                  httpx.Timeout(timeout, connect=connect_timeout), max_body_bytes)
    app = FastAPI(title="toolrouter proxy", lifespan=proxy.lifespan, openapi_url=None, docs_url=None,
                  redoc_url=None)
    app.state.proxy = proxy
    app.add_middleware(RequestCounter, metrics=proxy.metrics)
    guarded = [Depends(proxy.authorize)]

    @app.exception_handler(ProxyError)
    async def proxy_error(_request: Request, exc: ProxyError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=exc.status)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(error_body(ProxyError(str(exc.detail), status=exc.status_code)),
                            status_code=exc.status_code)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", dependencies=guarded)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(proxy.metrics.render(), media_type=CONTENT_TYPE)

    @app.post("/v1/chat/completions", dependencies=guarded)
    async def chat_completions(request: Request) -> Response:
        return await proxy.route_and_forward(request, "chat")

    @app.post("/v1/responses", dependencies=guarded)
    async def responses(request: Request) -> Response:
        return await proxy.route_and_forward(request, "responses")

    @app.post("/v1/rerank", dependencies=guarded)
    async def rerank(request: Request) -> JSONResponse:
        return await proxy.rerank(request)

    @app.get("/v1/models", dependencies=guarded)
    async def models(request: Request) -> Response:
        return await proxy.forward(request, None, [], expect_json=True)

    @app.api_route("/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], dependencies=guarded)
    async def passthrough(request: Request) -> Response:
        return await proxy.forward(request, await proxy.read_body(request), [])

    return app
