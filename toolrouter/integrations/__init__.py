"""Adapters that plug toolrouter into agent and RAG frameworks, one module per framework.

Each module imports its framework at the top, so ``import toolrouter`` never loads one; importing a
module whose framework is missing raises :class:`~toolrouter.errors.MissingDependencyError` naming
the extra to install.

============================================  =================  ===============================================
module                                        extra              what
============================================  =================  ===============================================
:mod:`toolrouter.integrations.langchain`      ``langchain``      agent middleware picking each turn's tools;
                                                                 document compressor (reranker)
:mod:`toolrouter.integrations.llamaindex`     ``llamaindex``     node postprocessor (reranker); tool retriever
                                                                 for agents' ``tool_retriever=``
:mod:`toolrouter.integrations.haystack`       ``haystack``       document ranker component
:mod:`toolrouter.integrations.litellm`        ``litellm``        LiteLLM proxy pre-call hook routing ``tools``
:mod:`toolrouter.integrations.pydantic_ai`    ``pydantic-ai``    ``ToolSearch`` strategy ranking deferred tools;
                                                                 ``prepare_tools`` selector for each step
:mod:`toolrouter.integrations.openai_agents`  ``openai-agents``  MCP ``tool_filter`` keeping each server's best
                                                                 tools; client ``tool_search`` handler
:mod:`toolrouter.integrations.fastmcp`        ``fastmcp``        search transform: ``search_tools`` ranked by
                                                                 the router, ``call_tool``
============================================  =================  ===============================================
"""
