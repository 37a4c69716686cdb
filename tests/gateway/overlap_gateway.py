"""The gateway over stdio on the tests' word-overlap reranker: deterministic ranking, no model to load.

    python tests/gateway/overlap_gateway.py CONFIG REGISTRY EXPOSE

Run from the repository root with it on PYTHONPATH (for ``tests.conftest``).
"""

import sys

from tests.conftest import WordOverlapReranker
from toolrouter import Router
from toolrouter.gateway import load_config, run

if __name__ == "__main__":
    config, registry, expose = sys.argv[1:]
    run(load_config(config), Router(WordOverlapReranker()), registry=registry, expose=int(expose), k=3)
