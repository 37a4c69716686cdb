"""Fixtures of the text-to-SQL tests: real SQLite files, a scripted OpenAI-compatible upstream on
loopback, a tiny random-weight cross-encoder and a deterministic word-overlap reranker."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from toolrouter.demo import DEMO_DB

# What the scripted upstream answers, by requested model name.
SCRIPTED_REPLIES = {
    "valid": "Here you go:\n```sql\nSELECT c.first_name, t.total_price FROM transactions t "
             "JOIN customer_personal_info c ON c.customer_id = t.customer_id ORDER BY t.transaction_id\n```",
    "invalid": "SELECT nickname FROM customer_personal_info",
    "write": "DELETE FROM transactions",
    "empty": "",
}


@pytest.fixture()
def retail_db(tmp_path) -> Path:
    """A private copy of the packaged demo database."""
    return Path(shutil.copy(DEMO_DB, tmp_path / "retail.db"))


@pytest.fixture()
def shop_db(tmp_path, announcement_ddl) -> Path:
    """The announcement's four tables with a few rows, as a SQLite file."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.executescript(announcement_ddl)
        db.executemany("INSERT INTO customer_personal_info (customer_id, first_name, city) VALUES (?, ?, ?)",
                       [(1, "Anna", "Berlin"), (2, "Ben", "Munich")])
        db.executemany("INSERT INTO products (product_id, product_name, category, price) VALUES (?, ?, ?, ?)",
                       [(1, "Linen Summer Dress", "Summer Apparel", 59.0), (2, "Rain Jacket", "Outerwear", 89.0)])
        db.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?)",
                       [(i, i % 2 + 1, i % 2 + 1, f"2025-06-{20 + i}", 1, 10.0 * i) for i in range(1, 6)])
    db.close()
    return path


@pytest.fixture(scope="session")
def upstream():
    """A scripted OpenAI-compatible chat server on 127.0.0.1; yields (base URL, received requests)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    received: list[dict] = []

    async def completions(request):
        body = await request.json()
        received.append(body)
        return JSONResponse({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": SCRIPTED_REPLIES[body["model"]]}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    app = Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    # log_config=None: uvicorn's own logging config would stop its access log reaching the root
    # logger for the rest of the session (tests/proxy/test_secrets.py reads it there).
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the scripted upstream did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1", received
    server.should_exit = True
    thread.join(timeout=5)
