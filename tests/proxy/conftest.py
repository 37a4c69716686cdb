"""Proxy test fixtures: the tiny cross-encoder, the recording upstream and the default proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from proxy_support import Upstream, WordOverlapReranker, run_proxy, serve

from toolrouter.router import Router


@pytest.fixture()
def overlap_router() -> Router:
    return Router(WordOverlapReranker())


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    recorder = Upstream()
    with serve(recorder.app()) as url:
        recorder.url = f"{url}/v1"
        yield recorder


@pytest.fixture(autouse=True)
def _fresh_upstream_state(request) -> None:
    """Each test starts with an empty record and a closed gate (when it uses the upstream)."""
    if "upstream" in request.fixturenames:
        recorder = request.getfixturevalue("upstream")
        recorder.received.clear()
        recorder.gate.clear()


@pytest.fixture(scope="session")
def proxy(upstream) -> Iterator[str]:
    """The default proxy: filter mode, k=3, word-overlap reranker."""
    with run_proxy(upstream.url, k=3) as url:
        yield url
