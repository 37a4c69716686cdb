"""API keys never leave the headers they came in: not in logs, answers, error bodies or metrics.

A proxy session uses three keys at once (the proxy's own, the server-side upstream key, the
client's upstream key, plus an Azure-style ``api-key`` header) across routed, streamed,
refused, failing and local requests. Everything the session prints is captured: every logger
(toolrouter, uvicorn, uvicorn.access, httpx, httpcore, the root) at DEBUG, the process's stdout
and stderr, every answer's headers and body, and ``/metrics``. ``toolrouter serve`` runs the
same session as a subprocess, with the keys in its environment, and its whole output is checked.

uvicorn's TRACE level (5, below DEBUG) is out of scope: it logs raw ASGI messages, headers
included, by design.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from proxy_support import TOPICS, chat_tool, responses_tool, run_proxy

REPO = Path(__file__).resolve().parents[2]
PROXY_KEY = "tr-proxy-secret-5f1e9a77c2"
UPSTREAM_KEY = "sk-upstream-secret-8b3d40e6aa"
CLIENT_KEY = "sk-client-secret-19c7f2d05b"
AZURE_KEY = "azure-secret-6e2a91b4d3"
SECRETS = (PROXY_KEY, UPSTREAM_KEY, CLIENT_KEY, AZURE_KEY)
LOGGERS = ("", "toolrouter", "toolrouter.proxy", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore")
CHAT_TOOLS = [chat_tool(topic) for topic in TOPICS]
MESSAGES = [{"role": "user", "content": "weather in Paris"}]


@pytest.fixture()
def all_logs() -> Iterator[io.StringIO]:
    """Every record of every logger, at DEBUG, formatted with its arguments."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        yield text
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def session(base_url: str) -> list[str]:
    """Use the proxy every way a client can, with every key; the answers as text (headers and body)."""
    seen: list[httpx.Response] = []
    hooks = {"response": [lambda response: seen.append(response)]}
    http = httpx.Client(event_hooks=hooks, timeout=30)
    keyed = openai.OpenAI(base_url=base_url, api_key=CLIENT_KEY, max_retries=0, http_client=http,
                          default_headers={"x-toolrouter-key": PROXY_KEY, "api-key": AZURE_KEY})
    swapped = openai.OpenAI(base_url=base_url, api_key=PROXY_KEY, max_retries=0, http_client=http)
    streamed = [chunk.model_dump_json() for chunk in swapped.chat.completions.create(
        model="m", messages=MESSAGES, tools=CHAT_TOOLS, stream=True)]
    keyed.chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
    keyed.responses.create(model="m", input="weather", tools=[responses_tool(topic) for topic in TOPICS])
    keyed.models.list()
    for model in ("garbage", "bad-request", "cut"):  # upstream faults, streamed or not
        with pytest.raises(openai.APIError) as caught:
            list(keyed.chat.completions.create(model=model, messages=MESSAGES, stream=model == "cut"))
        streamed.append(f"{caught.value.message} {caught.value.body}")
    for key in (CLIENT_KEY, UPSTREAM_KEY):  # refused: a wrong proxy key
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, http_client=http).models.list()
    root = base_url.removesuffix("/v1")
    http.post(f"{base_url}/rerank", json={"query": "weather", "documents": ["a"]},
              headers={"x-toolrouter-key": PROXY_KEY, "authorization": f"Bearer {CLIENT_KEY}"})
    http.get(f"{root}/metrics", headers={"x-toolrouter-key": PROXY_KEY})
    http.get(f"{root}/metrics", headers={"authorization": f"Bearer {CLIENT_KEY}"})
    http.get(f"{root}/healthz")
    http.close()
    assert {response.status_code for response in seen} >= {200, 400, 401, 502}
    return [*streamed, *map(text, seen), *(str(response.headers) for response in seen)]


def text(response: httpx.Response) -> str:
    """The body read whole; streamed bodies are checked through what the client parsed of them."""
    try:
        return response.text
    except httpx.ResponseNotRead:
        return ""


def assert_no_secret(*outputs: str) -> None:
    for output in outputs:
        for secret in SECRETS:
            assert secret not in output


def test_keys_stay_out_of_logs_answers_and_metrics(upstream, all_logs, capfd):
    with run_proxy(upstream.url, k=3, api_key=PROXY_KEY, upstream_api_key=UPSTREAM_KEY) as url:
        answers = session(url)
        metrics = httpx.get(url.removesuffix("/v1") + "/metrics", headers={"x-toolrouter-key": PROXY_KEY}).text
    sent = {record["headers"]["authorization"] for record in upstream.received}
    assert sent == {f"Bearer {CLIENT_KEY}", f"Bearer {UPSTREAM_KEY}"}  # the keys did go upstream
    logs, captured = all_logs.getvalue(), capfd.readouterr()
    for logger in ("toolrouter.proxy", "uvicorn.access", "httpx", "httpcore"):
        assert f"\n{logger}" in f"\n{logs}"  # each did log (httpcore as httpcore.http11 ...)
    assert_no_secret(logs, captured.out, captured.err, metrics, *answers)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_subprocess_output_has_no_keys(upstream, tiny_model_dir, tmp_path):
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(REPO), "TOOLROUTER_API_KEY": PROXY_KEY,
                   "TOOLROUTER_UPSTREAM_API_KEY": UPSTREAM_KEY}
    output = tmp_path / "serve.log"
    with output.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-c", "from toolrouter.cli import app; app()", "serve", "--upstream", upstream.url,
             "--port", str(port), "--k", "3", "--model", str(tiny_model_dir)],
            cwd=REPO, env=environment, stdout=sink, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, output.read_text()
                time.sleep(0.2)
            answers = session(f"{url}/v1")
        finally:
            server.terminate()
            server.wait(30)
    text = output.read_text(encoding="utf-8", errors="replace")
    assert "Uvicorn running" in text and '"POST /v1/chat/completions HTTP/1.1" 200' in text
    assert_no_secret(text, *answers)
