"""LlamaIndex: a reranking node postprocessor, and a tool retriever for agents' ``tool_retriever=``.

:class:`ToolrouterReranker` reranks retrieved nodes (``node_postprocessors=[...]`` of a query
engine). :class:`ToolrouterToolRetriever` is an ``ObjectRetriever`` of tools, so agents that take
``tool_retriever=`` (``FunctionAgent``, ``ReActAgent``, ``CodeActAgent``) see only the tools each
request needs::

    from llama_index.core.agent.workflow import FunctionAgent
    from toolrouter.integrations.llamaindex import ToolrouterToolRetriever

    agent = FunctionAgent(tool_retriever=ToolrouterToolRetriever(many_tools, k=5), llm=llm)

Needs the ``llamaindex`` extra.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from toolrouter.errors import MissingDependencyError
from toolrouter.integrations._common import DEFAULT_TOP_N, check_positive, top_texts
from toolrouter.proxy import DEFAULT_K
from toolrouter.router import Router

try:
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.bridge.pydantic import Field
    from llama_index.core.objects import ObjectRetriever, SimpleToolNodeMapping
    from llama_index.core.objects.tool_node_mapping import convert_tool_to_node
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
    from llama_index.core.tools import BaseTool
except ImportError as exc:
    raise MissingDependencyError("llama_index.core", "llamaindex") from exc

__all__ = ["ToolrouterReranker", "ToolrouterToolRetriever"]


class ToolrouterReranker(BaseNodePostprocessor):
    """Node postprocessor: scores nodes' text against the query and keeps the ``top_n`` best.

    Each kept ``NodeWithScore`` gets the reranker's score in [0, 1] as ``.score``; nodes are
    scored on their embedding text (content plus the metadata not excluded from embeddings).

    Args:
        router: Its reranker (``router.reranker``) scores the nodes. Defaults to ``Router()``.
        top_n: Nodes to keep. Defaults to ``DEFAULT_TOP_N`` (5).

    Raises:
        ValueError: ``postprocess_nodes`` was called without a query.
    """

    router: Router = Field(default_factory=Router, exclude=True, description="Supplies the reranker.")
    top_n: int = Field(default=DEFAULT_TOP_N, gt=0, description="Nodes to keep, best first.")

    @classmethod
    def class_name(cls) -> str:
        return "ToolrouterReranker"

    def _postprocess_nodes(self, nodes: list[NodeWithScore],
                           query_bundle: QueryBundle | None = None) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("ToolrouterReranker needs the query: pass query_bundle= or query_str=")
        texts = [node.node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
        kept = []
        for i, score in top_texts(self.router, query_bundle.query_str, texts, self.top_n):
            nodes[i].score = score
            kept.append(nodes[i])
        return kept


class _ToolNodeRetriever(BaseRetriever):
    """Retrieves tools' nodes (``convert_tool_to_node``) by routing the query over the router's registry."""

    def __init__(self, router: Router, tools: dict[str, BaseTool], k: int) -> None:
        super().__init__()
        self.router = router
        self.tools = tools
        self.k = k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        picked = self.router.select_tools(query_bundle.query_str, k=self.k)
        return [NodeWithScore(node=convert_tool_to_node(self.tools[s.name]), score=s.score)
                for s in picked if s.name in self.tools]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)


class ToolrouterToolRetriever(ObjectRetriever[BaseTool]):
    """The ``k`` tools a query needs, best first: an ``ObjectRetriever`` for agents' ``tool_retriever=``.

    The tools are added to the router's registry (as OpenAI tool specs from their metadata:
    name, description, ``fn_schema``), so large tool sets use the router's first stage and its
    cached embeddings. Selected registry items that are not among ``tools`` (a shared router may
    hold others) are left out.

    Args:
        tools: LlamaIndex tools (``FunctionTool.from_defaults(fn)``, ``QueryEngineTool`` ...).
        router: Adds the tools to its registry and selects among them. Defaults to ``Router()``.
        k: Tools to return per query. Defaults to ``toolrouter.proxy.DEFAULT_K`` (8).

    Raises:
        TypeError: An entry of ``tools`` is not a LlamaIndex ``BaseTool``; the message names its position.
        ValueError: ``k`` is not a positive integer.
        SpecError: A tool's spec is malformed, or its name is already in the router's registry.
        QueryError: (when retrieving) the query has no visible text.
    """

    def __init__(self, tools: Sequence[BaseTool], router: Router | None = None, k: int = DEFAULT_K) -> None:
        check_positive("k", k)
        for i, tool in enumerate(tools):
            if not isinstance(tool, BaseTool):
                raise TypeError(f"tools[{i}] is a {type(tool).__name__}, not a LlamaIndex BaseTool: "
                                "wrap functions with FunctionTool.from_defaults(fn)")
        self.router = router if router is not None else Router()
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        self.router.add_tools(specs)
        by_name = {spec["function"]["name"]: tool for spec, tool in zip(specs, tools)}
        super().__init__(retriever=_ToolNodeRetriever(self.router, by_name, k),
                         object_node_mapping=SimpleToolNodeMapping.from_objects(tools))
