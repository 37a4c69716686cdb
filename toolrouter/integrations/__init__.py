"""Adapters that plug toolrouter into agent and RAG frameworks, one module per framework.

Each module imports its framework at the top, so ``import toolrouter`` never loads one; importing a
module whose framework is missing raises :class:`~toolrouter.errors.MissingDependencyError` naming
the extra to install.

=========================================  ==============  =============================================
module                                     extra           what
=========================================  ==============  =============================================
:mod:`toolrouter.integrations.langchain`   ``langchain``   agent middleware picking each turn's tools;
                                                           document compressor (reranker)
:mod:`toolrouter.integrations.llamaindex`  ``llamaindex``  node postprocessor (reranker); tool retriever
                                                           for agents' ``tool_retriever=``
:mod:`toolrouter.integrations.haystack`    ``haystack``    document ranker component
:mod:`toolrouter.integrations.litellm`     ``litellm``     LiteLLM proxy pre-call hook routing ``tools``
=========================================  ==============  =============================================
"""
