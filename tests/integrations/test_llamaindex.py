"""LlamaIndex: the reranker on real nodes, the tool retriever with real FunctionTools and a real agent."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.llms import MockLLM
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import FunctionTool
from pydantic import ValidationError

from tests.integrations.conftest import FUNCTIONS
from toolrouter.errors import SpecError
from toolrouter.integrations.llamaindex import ToolrouterReranker, ToolrouterToolRetriever


def nodes() -> list[NodeWithScore]:
    return [NodeWithScore(node=TextNode(text=text, id_=id_), score=0.1) for id_, text in [
        ("a", "Lisbon is the capital of Portugal."),
        ("b", "The weather in Lisbon is sunny in summer."),
        ("c", "Pizza is a dish from Naples.")]]


def test_reranker_scores_nodes_and_keeps_top_n(overlap_router):
    reranker = ToolrouterReranker(router=overlap_router, top_n=2)
    kept = reranker.postprocess_nodes(nodes(), QueryBundle("weather in Lisbon"))
    assert [n.node.node_id for n in kept] == ["b", "a"]
    assert kept[0].score == pytest.approx(1.0) and kept[1].score == pytest.approx(1 / 3)
    assert reranker.postprocess_nodes(nodes(), query_str="pizza")[0].node.node_id == "c"
    assert asyncio.run(reranker.apostprocess_nodes(nodes(), query_str="pizza"))[0].node.node_id == "c"
    assert reranker.postprocess_nodes([], query_str="pizza") == []


def test_reranker_refuses_bad_arguments(overlap_router):
    with pytest.raises(ValidationError, match="top_n"):
        ToolrouterReranker(router=overlap_router, top_n=0)
    with pytest.raises(ValueError, match="needs the query"):
        ToolrouterReranker(router=overlap_router).postprocess_nodes(nodes())


def test_tool_retriever_returns_the_top_k_tools(overlap_router):
    tools = [FunctionTool.from_defaults(function) for function in FUNCTIONS]
    retriever = ToolrouterToolRetriever(tools, overlap_router, k=2)
    picked = retriever.retrieve("What is the weather forecast in Lisbon?")
    assert len(picked) == 2 and picked[0] is tools[0]
    assert retriever.retrieve(QueryBundle("order a pizza with cheese toppings"))[0].metadata.name == "order_pizza"
    assert asyncio.run(retriever.aretrieve("convert money to another currency"))[0].metadata.name == "convert_currency"


def test_agent_gets_the_retrieved_tools(overlap_router):
    tools = [FunctionTool.from_defaults(function) for function in FUNCTIONS]
    agent = ReActAgent(tool_retriever=ToolrouterToolRetriever(tools, overlap_router, k=3), llm=MockLLM())
    names = [tool.metadata.name for tool in asyncio.run(agent.get_tools("send an email message to Ana"))]
    assert len(names) == 3 and names[0] == "send_email"


def test_tool_retriever_refuses_bad_input(overlap_router):
    with pytest.raises(TypeError, match=r"tools\[1\] is a function, not a LlamaIndex BaseTool"):
        ToolrouterToolRetriever([FunctionTool.from_defaults(FUNCTIONS[0]), FUNCTIONS[1]], overlap_router)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ToolrouterToolRetriever([], overlap_router, k=-1)
    tool = FunctionTool.from_defaults(FUNCTIONS[0])
    with pytest.raises(SpecError, match="get_weather"):
        ToolrouterToolRetriever([tool, tool], overlap_router)
