"""toolrouter: decide which tools and which database tables an LLM should see.

::

    from toolrouter import Router
    router = Router()                      # the bundled offline multilingual cross-encoder
    router.add_tools(openai_tools)
    router.select_tools("plan a road trip and tell me its CO2", k=5)

The names users reach for import from here. Those whose modules pull in heavier packages
(rerank backends, SQL execution, the proxy) are imported on first access, so ``import toolrouter``
stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from toolrouter.errors import (
    DuplicateNameError,
    MissingDependencyError,
    ProxyError,
    RegistryFileError,
    RerankerError,
    SchemaParseError,
    SpecError,
    SQLError,
    SQLExecutionError,
    SQLGenerationError,
    SQLValidationError,
    ToolrouterError,
)
from toolrouter.registry import Registry
from toolrouter.rerank import BaseReranker, Reranker, load_reranker
from toolrouter.router import Explanation, QueryError, Router, ScoredItem, Selection

if TYPE_CHECKING:
    from toolrouter.proxy import create_app, route_request
    from toolrouter.rerank.cross_encoder import HFCrossEncoder
    from toolrouter.rerank.remote import RemoteReranker
    from toolrouter.rerank.xlmr import XLMRobertaReranker
    from toolrouter.sql import QueryResult, SQLAnswer, SQLPipeline, SQLPrompt, execute, validate_sql

# Public name → the module defining it, imported on first access.
_LAZY = {
    "HFCrossEncoder": "toolrouter.rerank.cross_encoder",
    "RemoteReranker": "toolrouter.rerank.remote",
    "XLMRobertaReranker": "toolrouter.rerank.xlmr",
    "QueryResult": "toolrouter.sql",
    "SQLAnswer": "toolrouter.sql",
    "SQLPipeline": "toolrouter.sql",
    "SQLPrompt": "toolrouter.sql",
    "execute": "toolrouter.sql",
    "validate_sql": "toolrouter.sql",
    "create_app": "toolrouter.proxy",
    "route_request": "toolrouter.proxy",
}

__all__ = [
    "BaseReranker",
    "DuplicateNameError",
    "Explanation",
    "HFCrossEncoder",
    "MissingDependencyError",
    "ProxyError",
    "QueryError",
    "QueryResult",
    "Registry",
    "RegistryFileError",
    "RemoteReranker",
    "Reranker",
    "RerankerError",
    "Router",
    "SQLAnswer",
    "SQLError",
    "SQLExecutionError",
    "SQLGenerationError",
    "SQLPipeline",
    "SQLPrompt",
    "SQLValidationError",
    "SchemaParseError",
    "ScoredItem",
    "Selection",
    "SpecError",
    "ToolrouterError",
    "XLMRobertaReranker",
    "create_app",
    "execute",
    "load_reranker",
    "route_request",
    "validate_sql",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'toolrouter' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
