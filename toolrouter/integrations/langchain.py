"""LangChain: an agent middleware that routes each model call's tools, and a reranking compressor.

:class:`ToolrouterToolSelector` is a drop-in for LangChain's ``LLMToolSelectorMiddleware``: instead
of asking an LLM which tools fit, it scores the request's tools with the router's cross-encoder
(milliseconds, no extra model call, no tokens)::

    from langchain.agents import create_agent
    from toolrouter.integrations.langchain import ToolrouterToolSelector

    agent = create_agent(model, tools=many_tools, middleware=[ToolrouterToolSelector(k=5)])

:class:`ToolrouterReranker` reranks retrieved documents, e.g. inside a
``ContextualCompressionRetriever``. Needs the ``langchain`` extra.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from toolrouter.errors import MissingDependencyError
from toolrouter.integrations._common import DEFAULT_TOP_N, check_positive, top_texts
from toolrouter.proxy import DEFAULT_K, route_request
from toolrouter.router import Router

try:
    from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
    from langchain_core.callbacks import Callbacks
    from langchain_core.documents import Document
    from langchain_core.documents.compressor import BaseDocumentCompressor
    from langchain_core.messages import AIMessage, convert_to_openai_messages
    from langchain_core.tools import BaseTool
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from pydantic import ConfigDict, Field
except ImportError as exc:
    raise MissingDependencyError("langchain", "langchain") from exc

__all__ = ["ToolrouterReranker", "ToolrouterToolSelector"]


class ToolrouterToolSelector(AgentMiddleware):
    """Agent middleware: before each model call, keep only the tools the request needs.

    Each turn routes on the conversation's latest human message (plus, after tool results, the
    names of the tools called since) with the same rules as toolrouter's proxy
    (:func:`toolrouter.proxy.route_request`): the ``k`` best-scoring tools are kept, and so are
    tools already called in the conversation, tools named in ``always_include`` or forced by the
    request's ``tool_choice``, and provider tools given as dicts. Kept tools stay in the agent's
    order. When routing fails (or there is no human message yet), the request goes on with all
    its tools and a warning is logged.

    Args:
        router: Supplies the reranker and selection settings (threshold, first stage). Its
            registry is not used: the request's own tools are scored. Defaults to ``Router()``
            (the bundled offline model, loaded on the first call).
        k: Ranked tools to keep per model call; ``always_include`` and called tools come on top.
            Defaults to ``toolrouter.proxy.DEFAULT_K`` (8).
        always_include: Names of tools kept on every call, regardless of score. Defaults to ().

    Raises:
        ValueError: ``k`` is not a positive integer.
    """

    def __init__(self, router: Router | None = None, *, k: int = DEFAULT_K,
                 always_include: Sequence[str] = ()) -> None:
        super().__init__()
        check_positive("k", k)
        self.router = router if router is not None else Router()
        self.k = k
        self.always_include = tuple(always_include)

    def select(self, request: ModelRequest) -> ModelRequest:
        """The request with its tools narrowed to the routed ones (the request itself if none was dropped).

        Raises:
            ValueError: A name in ``always_include`` is not among the request's tools.
        """
        tools = [tool for tool in request.tools if isinstance(tool, BaseTool)]
        names = {tool.name for tool in tools}
        missing = [name for name in self.always_include if name not in names]
        if missing:
            raise ValueError(f"always_include names tools the request does not have: {missing}; "
                             f"its tools: {sorted(names)}")
        # A tool forced by name (tool_choice="get_weather") is kept; route_request reads dict choices itself.
        choice = request.tool_choice
        fixed = {*self.always_include, *({choice} & names if isinstance(choice, str) else ())}
        body = {"messages": convert_to_openai_messages(request.messages), "tool_choice": choice,
                "tools": [convert_to_openai_tool(tool) for tool in tools if tool.name not in fixed]}
        routed = route_request(body, "chat", self.router, self.k)
        if not routed.changed:
            return request
        kept = {*routed.tools, *fixed}
        return request.override(tools=[tool for tool in request.tools
                                        if not isinstance(tool, BaseTool) or tool.name in kept])

    def wrap_model_call(self, request: ModelRequest,
                        handler: Callable[[ModelRequest], ModelResponse]) -> ModelResponse | AIMessage:
        """Call the model with the routed tools."""
        return handler(self.select(request))

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse | AIMessage:
        """Call the model with the routed tools; scoring runs in a worker thread, off the event loop."""
        return await handler(await asyncio.to_thread(self.select, request))


class ToolrouterReranker(BaseDocumentCompressor):
    """Document compressor: reranks documents against the query and keeps the ``top_n`` best.

    Each kept document is a copy whose ``metadata["relevance_score"]`` holds the reranker's score
    in [0, 1] (LangChain rerankers' convention); the input documents are not modified.

    Args:
        router: Its reranker (``router.reranker``) scores the documents. Defaults to ``Router()``.
        top_n: Documents to keep. Defaults to ``DEFAULT_TOP_N`` (5).

    Example::

        ContextualCompressionRetriever(base_compressor=ToolrouterReranker(top_n=3), base_retriever=retriever)
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    router: Router = Field(default_factory=Router, exclude=True)
    top_n: int = Field(default=DEFAULT_TOP_N, gt=0)

    def compress_documents(self, documents: Sequence[Document], query: str,
                           callbacks: Callbacks | None = None) -> list[Document]:
        """The ``top_n`` documents most relevant to ``query``, best first, scores in metadata.

        Raises:
            QueryError: ``query`` has no visible text.
        """
        ranked = top_texts(self.router, query, [doc.page_content for doc in documents], self.top_n)
        return [documents[i].model_copy(update={"metadata": {**documents[i].metadata, "relevance_score": score}})
                for i, score in ranked]

