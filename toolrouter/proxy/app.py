"""The OpenAI-compatible tool-routing proxy: a FastAPI app in front of an upstream API.

``POST /v1/chat/completions`` and ``POST /v1/responses`` are routed (see
:mod:`toolrouter.proxy.routing`) and forwarded; streamed answers are passed through chunk by
chunk, unchanged. ``/v1/rerank`` is served locally with the routing reranker; ``/healthz`` and
``/metrics`` describe the proxy; any other ``/v1/...`` request is forwarded as it is.

Keys: the client's ``Authorization`` header goes upstream untouched and is never logged. With
``api_key`` set, clients must also present the proxy's key, either in ``x-toolrouter-key`` (and
keep their own upstream key in ``Authorization``) or as ``Authorization: Bearer <proxy key>``;
that header is then consumed by the proxy and replaced by ``upstream_api_key`` when one is set.

Errors the proxy produces itself use OpenAI's error JSON: 400 (a routed endpoint's body that is
not a JSON object, answered without contacting the upstream; a path the upstream URL cannot
carry), 401 (proxy key), 413 (body too large), 502 (upstream unreachable, or an invalid or too
large answer), 503 (``/v1/rerank`` while the reranker fails), 504 (upstream timeout). Upstream
error statuses with a JSON body are passed through as they are, and so are 4xx answers of any
kind; other non-JSON answers on the JSON endpoints are invalid (502). A stream the upstream
breaks off ends with an SSE ``data: {"error": ...}`` event, which OpenAI's clients raise as
``APIError``. Other ``/v1/...`` answers are streamed through unbuffered.

``GET /inspect`` shows what routing did to the most recent requests, and ranks typed queries (see
:mod:`toolrouter.proxy.inspect`); ``inspect_size=0`` turns it off.

A reranker that fails to load or score never fails a request: routing fails open (the request
goes as it came, with ``x-toolrouter-fail-open: 1`` and ``toolrouter_fail_open_total``), and each
routed request tries the load again until it succeeds.
"""

from __future__ import annotations

import functools
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
from toolrouter.proxy.inspect import DEFAULT_INSPECT_SIZE, Inspector, add_routes
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
    fail_open,
    is_list,
    route_request,
)
from toolrouter.proxy.tool_search import MAX_CONTINUATIONS, chat_continuation, continuation, defer_request
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
# Largest upstream answer buffered on the JSON endpoints (64 MiB); larger ones get 502.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 2**20
# Idle upstream connections are dropped after this long: below uvicorn's and most servers' 5 s
# keep-alive, so the proxy never reuses a connection the upstream is closing (a spurious 502).
UPSTREAM_KEEPALIVE_SECONDS = 2.0
# Header carrying the proxy's own key when Authorization holds the client's upstream key.
PROXY_KEY_HEADER = "x-toolrouter-key"
# Connection-scoped headers (RFC 9110 §7.6.1): never forwarded in either direction.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "transfer-encoding", "upgrade"})
# Request headers not forwarded: recomputed by httpx, or meant for the proxy. Upstream answers are
# requested uncompressed so they can be checked and streamed unchanged.
DROPPED_REQUEST_HEADERS = frozenset(name.encode() for name in HOP_BY_HOP | {
    "host", "content-length", "accept-encoding", PROXY_KEY_HEADER})
# Response headers not passed back: recomputed by the proxy's server.
DROPPED_RESPONSE_HEADERS = frozenset(name.encode() for name in HOP_BY_HOP | {"content-length", "date", "server"})
# Paths reported by name in toolrouter_requests_total; the rest count as "other".
METRIC_ENDPOINTS = frozenset({"/v1/chat/completions", "/v1/responses", "/v1/models", "/v1/rerank", "/healthz",
                              "/metrics"})
# Characters left as they are in the x-toolrouter-tools header (names are percent-encoded otherwise).
HEADER_SAFE = "_-.:/@"


def error_body(error: ProxyError) -> dict[str, Any]:
    """OpenAI's error JSON for ``error``: ``{"error": {"message", "type", "param", "code"}}``."""
    kind = "invalid_request_error" if error.status < 500 else "server_error"
    return {"error": {"message": error.message, "type": kind, "param": error.param, "code": error.code}}


def routing_headers(routed: RoutedRequest) -> list[tuple[bytes, bytes]]:
    """The ``x-toolrouter-*`` response headers describing what routing did."""
    headers = [("x-toolrouter-count", f"{routed.tools_in}->{routed.tools_out}"),
               ("x-toolrouter-ms", f"{routed.seconds * 1000:.1f}")]
    if routed.error is not None:
        headers.append(("x-toolrouter-fail-open", "1"))
    else:
        names = (quote(name, safe=HEADER_SAFE, errors="replace") for name in routed.tools)
        headers.append(("x-toolrouter-tools", ",".join(names)))
    return [(name.encode(), value.encode()) for name, value in headers]


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    scheme, _, token = (authorization or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def add_headers(response: Response, headers: Iterable[tuple[bytes, bytes]]) -> Response:
    """Append raw headers to ``response``, keeping repeated names (``set-cookie`` ...) and their bytes."""
    response.raw_headers.extend((name.lower(), value) for name, value in headers)
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
                 upstream_api_key: str | None, timeout: httpx.Timeout, max_body_bytes: int,
                 max_response_bytes: int, inspector: Inspector | None = None, tool_search: bool = False,
                 allow_hidden: bool = False) -> None:
        if not upstream.startswith(("http://", "https://")):
            raise ValueError(f"upstream must be an http:// or https:// URL, got {upstream!r}")
        check_k(k)
        check_choice("mode", mode, MODES)
        if tool_search and mode != "filter":
            raise ValueError("tool_search holds tools back, so it needs mode='filter', got mode='allowed_tools'")
        self.tool_search = tool_search
        self.allow_hidden = allow_hidden
        self.upstream = upstream.rstrip("/")
        self.router = router
        self.k = k
        self.mode = mode
        self.api_key = api_key
        self.upstream_api_key = upstream_api_key
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.max_response_bytes = max_response_bytes
        self.metrics = Metrics()
        self.inspector = inspector
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The upstream client, open while the app runs (see the app's lifespan)."""
        if self._client is None:
            raise RuntimeError("the proxy's upstream client is closed: serve the app with its lifespan")
        return self._client

    @asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        """Load the reranker before serving (a failure is logged: routing fails open); hold one upstream
        client for the app's lifetime."""
        try:
            await anyio.to_thread.run_sync(lambda: self.router.reranker)
        except Exception as exc:  # serve anyway: requests go unrouted, visibly, until the model loads
            logger.error("the reranker failed to load, routing fails open until it loads: %s: %s",
                         type(exc).__name__, exc)
        limits = httpx.Limits(keepalive_expiry=UPSTREAM_KEEPALIVE_SECONDS)
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, limits=limits) as client:
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
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise too_large
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def upstream_headers(self, request: Request) -> list[tuple[bytes, bytes]]:
        """The client's headers for the upstream, with the proxy's own key swapped out.

        Kept as the bytes the client sent: a header value need not be ASCII, and decoding it to
        re-encode it could fail or change it.
        """
        headers = [(name, value) for name, value in request.headers.raw
                   if name.lower() not in DROPPED_REQUEST_HEADERS]
        token = bearer(request.headers.get("authorization"))
        if self.api_key is not None and token is not None and hmac.compare_digest(token.encode(),
                                                                                  self.api_key.encode()):
            headers = [(name, value) for name, value in headers if name.lower() != b"authorization"]
        if self.upstream_api_key is not None and all(name.lower() != b"authorization" for name, _ in headers):
            headers.append((b"authorization", f"Bearer {self.upstream_api_key}".encode()))
        headers.append((b"accept-encoding", b"identity"))
        return headers

    def upstream_url(self, request: Request) -> httpx.URL:
        """Where ``request`` goes upstream: its path as the client encoded it (``%2F`` stays ``%2F``).

        Raises:
            ProxyError: Status 400 when the path cannot form a URL.
        """
        path = (request.scope.get("raw_path") or b"").decode("latin-1")
        if not path.startswith("/v1/"):  # no raw path from the server, or the client escaped "/v1" itself
            path = quote(request.url.path, errors="replace")
        url = self.upstream + path.removeprefix("/v1")
        if request.url.query:
            url += f"?{request.url.query}"
        try:
            return httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ProxyError(f"the request path cannot be forwarded: {exc}", status=400,
                             code="invalid_request_path") from exc

    # Routing
    def prepare(self, raw: bytes, api: Api) -> tuple[bytes, RoutedRequest]:
        """The bytes to forward and what routing did.

        Raises:
            ProxyError: 400 when the body is not a JSON object: the client's mistake, answered
                without contacting the upstream.
        """
        body = parse_json_object(raw)
        if api == "responses" and self.tool_search:
            tools = body.get("tools")
            routed = fail_open(body, len(tools) if is_list(tools) else 0,
                               lambda: defer_request(body, self.router, self.k))
        else:
            routed = route_request(body, api, self.router, self.k, self.mode)
        if self.inspector is not None:
            self.inspector.record(api, body, routed, self.k, self.mode)
        if not routed.changed:
            return raw, routed
        return encode_json(routed.body), routed

    async def route_and_forward(self, request: Request, api: Api) -> Response:
        """Route a Chat Completions or Responses request (in a worker thread) and forward it."""
        raw = await self.read_body(request)
        content, routed = await anyio.to_thread.run_sync(self.prepare, raw, api)
        self.metrics.count_routing(routed)
        logger.info("%s tools %d->%d in %.1f ms%s", request.url.path, routed.tools_in, routed.tools_out,
                    routed.seconds * 1000, " (fail-open)" if routed.error else "")
        response = await self.forward(request, content, routing_headers(routed), expect_json=True)
        if routed.changed:
            response = await self.continue_upstream(request, raw, api, routed, response)
        return response

    async def continue_upstream(self, request: Request, raw: bytes, api: Api, routed: RoutedRequest,
                                response: Response) -> Response:
        """Answer what the client need not see and ask the upstream again (see :mod:`toolrouter.proxy.tool_search`):
        the model's client tool searches (with ``tool_search``), and its calls of tools routing held back
        (unless ``allow_hidden``). A streamed answer, an error, or an answer with work for the client goes back
        as it is; ``x-toolrouter-searches`` / ``x-toolrouter-refused`` count what was answered.
        """
        tools = list(parse_json_object(raw).get("tools") or [])
        body = dict(routed.body)
        searches = refused = 0
        for _ in range(MAX_CONTINUATIONS):
            if isinstance(response, StreamingResponse) or response.status_code != 200:
                break
            answer = json.loads(response.body)
            if api == "chat":
                following = await anyio.to_thread.run_sync(chat_continuation, body, answer, tools, self.allow_hidden)
                if following is None:
                    break
                refused += len(following["messages"]) - len(body.get("messages") or []) - 1  # minus the call
                body = following
            else:
                step = await anyio.to_thread.run_sync(functools.partial(
                    continuation, body, answer, tools, self.router, allow_hidden=self.allow_hidden))
                if step is None:
                    break
                body, answers = step
                searches += sum(item["type"] == "tool_search_output" for item in answers)
                refused += sum(item["type"] == "function_call_output" for item in answers)
            response = await self.forward(request, encode_json(body), routing_headers(routed), expect_json=True)
        for name, count in (("x-toolrouter-searches", searches), ("x-toolrouter-refused", refused)):
            if count:
                response.headers[name] = str(count)
        return response

    # Forwarding
    async def forward(self, request: Request, content: bytes | None, extra_headers: list[tuple[bytes, bytes]],
                      expect_json: bool = False) -> Response:
        """Send the request upstream and pass its answer back.

        Event streams, and any answer when ``expect_json`` is False, are streamed through as they
        arrive; JSON answers are read whole (up to ``max_response_bytes``) and checked.

        Args:
            request: The client's request (method, path, query and headers are reused).
            content: The body to send.
            extra_headers: Added to the answer (``x-toolrouter-*``).
            expect_json: An answer that is not JSON is an invalid upstream answer (502), unless its
                status is 4xx (the upstream refused the request: its answer goes back as it is).
                Defaults to False.

        Raises:
            ProxyError: 502 or 504 when the upstream cannot be reached, times out or answers garbage;
                400 when the path cannot form a URL.
        """
        upstream_request = self.client.build_request(request.method, self.upstream_url(request),
                                                     headers=self.upstream_headers(request), content=content)
        try:
            upstream = await self.client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            raise self.upstream_failure(exc) from exc
        headers = [(name, value) for name, value in upstream.headers.raw
                   if name.lower() not in DROPPED_RESPONSE_HEADERS]
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            return add_headers(UpstreamStream(upstream, self.sse_chunks(upstream)), headers + extra_headers)
        if not expect_json:
            return add_headers(UpstreamStream(upstream, self.raw_chunks(upstream)), headers + extra_headers)
        try:
            body = await self.read_answer(upstream)
        finally:
            await upstream.aclose()
        if not is_json(body) and not 400 <= upstream.status_code < 500:
            self.metrics.count_upstream_error("invalid")
            raise ProxyError(f"upstream answered with an invalid response (status {upstream.status_code}, "
                             "not JSON)", status=502, code="upstream_invalid_response")
        headers = [(name, value) for name, value in headers if name.lower() != b"content-encoding"]
        return add_headers(Response(body, status_code=upstream.status_code), headers + extra_headers)

    async def read_answer(self, upstream: httpx.Response) -> bytes:
        """The upstream's whole (decoded) answer, refused past ``max_response_bytes``.

        Raises:
            ProxyError: 502 when the answer is too large or breaks off, 504 when it stalls.
        """
        declared = upstream.headers.get("content-length", "")
        too_large = declared.isascii() and declared.isdigit() and int(declared) > self.max_response_bytes
        chunks, size = [], 0
        try:
            if not too_large:
                async for chunk in upstream.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        too_large = True
                        break
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise self.upstream_failure(exc) from exc
        if too_large:
            self.metrics.count_upstream_error("too_large")
            logger.warning("upstream too_large: answer over %d bytes", self.max_response_bytes)
            raise ProxyError(f"upstream answer larger than {self.max_response_bytes} bytes", status=502,
                             code="upstream_response_too_large")
        return b"".join(chunks)

    async def sse_chunks(self, upstream: httpx.Response) -> AsyncIterator[bytes]:
        """The upstream's bytes as they arrive; a failure mid-stream ends it with an SSE error event."""
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            error = self.upstream_failure(exc)
            # Blank lines first end any event the upstream left half-written.
            yield b"\n\ndata: " + json.dumps(error_body(error)).encode() + b"\n\n"

    async def raw_chunks(self, upstream: httpx.Response) -> AsyncIterator[bytes]:
        """The upstream's bytes as they arrive; a failure mid-way is counted and aborts the answer.

        Headers are already sent, so the only honest signal left is a broken connection.
        """
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            raise self.upstream_failure(exc) from exc

    def upstream_failure(self, exc: httpx.HTTPError) -> ProxyError:
        """Map an httpx failure to the proxy's answer (504 timeout, else 502) and count it."""
        if isinstance(exc, httpx.TimeoutException):
            reason, status, message, code = "timeout", 504, "upstream timed out", "upstream_timeout"
        elif isinstance(exc, httpx.RemoteProtocolError | httpx.DecodingError):
            reason, status, message, code = ("invalid", 502, "upstream answered with an invalid response",
                                              "upstream_invalid_response")
        else:
            reason, status, message, code = "unreachable", 502, "cannot reach upstream", "upstream_unreachable"
        self.metrics.count_upstream_error(reason)
        logger.warning("upstream %s: %s", reason, type(exc).__name__)
        return ProxyError(f"{message} ({type(exc).__name__})", status=status, code=code)

    # Local endpoints
    async def rerank(self, request: Request) -> JSONResponse:
        """Jina-style reranking with the routing reranker (see :mod:`toolrouter.proxy.rerank`)."""
        parsed = parse_rerank_request(parse_json_object(await self.read_body(request)))
        try:
            answer = await anyio.to_thread.run_sync(lambda: rerank_answer(self.router.reranker, parsed))
        except Exception as exc:  # the model failed to load or score: the service is unavailable, not broken
            logger.error("rerank failed: %s: %s", type(exc).__name__, exc)
            raise ProxyError(f"the reranker is unavailable ({type(exc).__name__})", status=503,
                             code="reranker_unavailable") from exc
        return JSONResponse(answer)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A request body parsed as a JSON object.

    Raises:
        ProxyError: 400 ``invalid_json`` when it is not JSON (or nests deeper than Python's recursion
            limit), or is JSON but not an object.
    """
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ProxyError(f"the request body is not valid JSON: {reason}", status=400, code="invalid_json") from exc
    if not isinstance(body, dict):
        raise ProxyError(f"the request body must be a JSON object, got {type(body).__name__}", status=400,
                         code="invalid_json")
    return body


def is_json(body: bytes) -> bool:
    """Whether ``body`` parses as JSON (nesting deeper than Python's recursion limit does not)."""
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON; bodies holding lone surrogates (``"\\ud800"`` in the request) are escaped
    to ASCII, the only way UTF-8 JSON can carry them."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(body, separators=(",", ":")).encode()


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

        started = False

        async def counting_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self.metrics.count_request(endpoint, message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except Exception:
            if not started:  # the server answers 500 outside this middleware
                self.metrics.count_request(endpoint, 500)
            raise


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
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    inspect_size: int = DEFAULT_INSPECT_SIZE,
    inspect_redact: bool = False,
    tool_search: bool = False,
    allow_hidden: bool = False,
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
        max_response_bytes: Largest upstream answer read whole on the JSON endpoints (streams and
            other paths are not buffered). Defaults to ``DEFAULT_MAX_RESPONSE_BYTES``.
        inspect_size: Recent requests the inspector (``/inspect``) keeps; 0 turns the inspector off
            (no page, nothing recorded). Defaults to ``DEFAULT_INSPECT_SIZE``.
        inspect_redact: Keep no request text in the inspector (the routing query is replaced by a
            placeholder; tool names and scores stay). Defaults to False.
        tool_search: On ``/v1/responses``, hold back what routing leaves out (and ``defer_loading``
            tools) behind a client-executed ``tool_search`` tool that the proxy answers itself,
            continuing the response upstream (:mod:`toolrouter.proxy.tool_search`). Defaults to False.
        allow_hidden: Pass the model's calls of tools routing held back to the client instead of
            answering them with a tool error and asking the upstream again. Defaults to False.

    Raises:
        ValueError: An invalid ``upstream``, ``k``, ``mode`` or ``inspect_size`` (the message says what is valid).
    """
    if isinstance(inspect_size, bool) or not isinstance(inspect_size, int) or inspect_size < 0:
        raise ValueError(f"inspect_size must be a non-negative integer, got {inspect_size!r}")
    inspector = Inspector(inspect_size, inspect_redact) if inspect_size else None
    proxy = Proxy(upstream, router if router is not None else Router(), k, mode, api_key, upstream_api_key,
                  httpx.Timeout(timeout, connect=connect_timeout), max_body_bytes, max_response_bytes, inspector,
                  tool_search, allow_hidden)
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

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        # A bug: still an OpenAI-shaped answer; the server logs the traceback.
        return JSONResponse(error_body(ProxyError(f"internal proxy error ({type(exc).__name__})", status=500,
                                                  code="internal_error")), status_code=500)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", dependencies=guarded)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(proxy.metrics.render(), media_type=CONTENT_TYPE)

    if inspector is not None:
        add_routes(app, inspector, proxy)

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
