"""toolrouter: decide which tools and which database tables an LLM should see.

::

    from toolrouter import Router
    router = Router()                      # the bundled offline multilingual cross-encoder
    router.add_tools(openai_tools)
    router.select_tools("plan a road trip and tell me its CO2", k=5)
"""

from toolrouter.errors import ToolrouterError
from toolrouter.registry import Registry
from toolrouter.rerank import Reranker, load_reranker
from toolrouter.router import Router, ScoredItem, Selection

__all__ = [
    "Registry",
    "Reranker",
    "Router",
    "ScoredItem",
    "Selection",
    "ToolrouterError",
    "load_reranker",
]
__version__ = "0.1.0"
