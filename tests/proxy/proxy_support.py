"""Proxy test support: real servers on loopback (uvicorn in threads), real rerankers, tool specs.

``upstream`` is a small OpenAI-compatible server that records what it receives and answers
Chat Completions and Responses requests, streamed (SSE) or not; like OpenAI, it answers a body
that is not a JSON object with a 400 error. Its behaviour is picked by the request's ``model``
(see :data:`FAULT_MODELS`): ``slow`` answers late, ``bad-request`` answers 400, ``garbage`` answers
a non-JSON 200, ``garbage-500`` a non-JSON 500, ``huge`` a valid answer of :data:`HUGE_BYTES`,
``odd-header`` a header holding raw UTF-8; when streaming, ``gated`` streams one chunk and waits
for the test to open ``upstream.gate``, ``cut`` streams one chunk and drops the connection,
``stall`` streams one chunk and stalls.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.conftest import WordOverlapReranker
from toolrouter.rerank.base import BaseReranker
from toolrouter.router import Router

# How long the upstream's "slow" model takes to answer (the strict proxy's timeout is shorter).
SLOW_SECONDS = 1.5
# Size of the "huge" model's answer: 2 MiB of content.
HUGE_BYTES = 2 * 2**20
# Models that make the upstream misbehave; any other name gets a normal answer.
FAULT_MODELS = frozenset({"slow", "bad-request", "garbage", "garbage-500", "huge", "odd-header", "gated", "cut",
                          "stall"})


class BrokenReranker(BaseReranker):
    """A reranker whose model fails at scoring time (for fail-open tests)."""

    def __init__(self) -> None:
        super().__init__("broken")

    def _score_pairs(self, pairs):
        raise RuntimeError("model exploded")


# Tool names, one topic each, so word overlap ranks them predictably.
TOPICS = ["weather", "stock", "email", "calendar", "translate", "music", "flight", "hotel", "recipe", "news",
          "traffic", "currency"]


def chat_tool(topic: str) -> dict[str, Any]:
    """A Chat Completions function tool about ``topic``."""
    return {"type": "function", "function": {
        "name": f"get_{topic}", "description": f"Get the {topic} information.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}}


def responses_tool(topic: str) -> dict[str, Any]:
    """A Responses API (flat) function tool about ``topic``."""
    return {"type": "function", "name": f"get_{topic}", "description": f"Get the {topic} information.",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}


# The upstream server
def chat_stream_chunks(model: str) -> list[bytes]:
    """The exact SSE chunks the upstream streams for a chat request."""
    chunks = []
    for piece in ("Hel", "lo", "!"):
        data = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        chunks.append(f"data: {json.dumps(data)}\n\n".encode())
    chunks.append(b"data: [DONE]\n\n")
    return chunks


def responses_stream_chunks(model: str) -> list[bytes]:
    """The exact SSE chunks the upstream streams for a Responses request."""
    chunks = []
    for number, piece in enumerate(("Hel", "lo"), start=1):
        data = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0,
                "delta": piece, "sequence_number": number}
        chunks.append(f"event: response.output_text.delta\ndata: {json.dumps(data)}\n\n".encode())
    return chunks


def chat_answer(model: str, content: str = "ok") -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}]}


def responses_answer(model: str) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "created_at": 0, "status": "completed", "model": model,
            "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                        "content": [{"type": "output_text", "text": "ok", "annotations": []}]}],
            "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}


@dataclass
class Upstream:
    """The running upstream: its base URL (with ``/v1``) and what it received."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)

    @property
    def last(self) -> dict[str, Any]:
        return self.received[-1]

    def app(self) -> Starlette:
        async def completion(request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return JSONResponse({"error": {"message": "We could not parse the JSON body of your request.",
                                               "type": "invalid_request_error", "param": None, "code": None}},
                                    status_code=400)
            self.received.append({"path": request.url.path, "headers": dict(request.headers), "body": body,
                                  "raw": raw})
            model = body.get("model", "")
            chat = request.url.path.endswith("/chat/completions")
            if model == "slow":
                await anyio.sleep(SLOW_SECONDS)
            if model == "bad-request":
                return JSONResponse({"error": {"message": "bad tools", "type": "invalid_request_error",
                                               "param": "tools", "code": None}},
                                    status_code=400, headers={"x-upstream": "yes"})
            if model == "garbage":
                return Response(b"<html>oops</html>", media_type="application/json")
            if model == "garbage-500":
                return Response(b"Internal Server Error", status_code=500, media_type="text/plain")
            if model == "huge":
                return JSONResponse(chat_answer(model, "x" * HUGE_BYTES))
            if model == "odd-header":
                response = JSONResponse(chat_answer(model))
                response.raw_headers.append((b"x-odd", "caf\u00e9 \u2192 \u6771\u4eac".encode()))
                return response
            if body.get("stream"):
                chunks = chat_stream_chunks(model) if chat else responses_stream_chunks(model)
                return StreamingResponse(self.stream(chunks, model), media_type="text/event-stream")
            return JSONResponse(chat_answer(model) if chat else responses_answer(model))

        async def models(request: Request) -> Response:
            self.received.append({"path": request.url.path, "headers": dict(request.headers), "body": None})
            return JSONResponse({"object": "list", "data": [{"id": "m1", "object": "model", "created": 0,
                                                             "owned_by": "test"}]})

        return Starlette(routes=[Route("/v1/chat/completions", completion, methods=["POST"]),
                                 Route("/v1/responses", completion, methods=["POST"]),
                                 Route("/v1/models", models)])

    async def stream(self, chunks: list[bytes], model: str):
        for index, chunk in enumerate(chunks):
            if model == "gated" and index == 1:
                await anyio.to_thread.run_sync(self.gate.wait, 10)
            if model == "cut" and index == 1:
                raise ConnectionAbortedError("upstream dropped the stream")
            if model == "stall" and index == 1:
                await anyio.sleep(SLOW_SECONDS)
            yield chunk


@contextmanager
def serve(app: Any, port: int = 0) -> Iterator[str]:
    """Run ``app`` with uvicorn on a loopback port (a free one by default) in a thread; yields
    ``http://127.0.0.1:PORT``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, timeout_graceful_shutdown=1, ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def run_proxy(upstream_url: str, router: Router | None = None, **options: Any) -> Iterator[str]:
    """A proxy (``create_app``) served on loopback; yields its base URL with ``/v1``."""
    from toolrouter.proxy.app import create_app

    app = create_app(upstream_url, router if router is not None else Router(WordOverlapReranker()), **options)
    with serve(app) as url:
        yield f"{url}/v1"


