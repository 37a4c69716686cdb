"""route_request: the routing rules, without HTTP."""

from __future__ import annotations

import pytest
from openai.types.responses import ResponseFunctionToolCall
from proxy_support import TOPICS, BrokenReranker, WordOverlapReranker, chat_tool, responses_tool

from toolrouter.proxy.routing import MAX_UPSTREAM_TOOLS, route_request
from toolrouter.router import Router

CHAT_TOOLS = [chat_tool(topic) for topic in TOPICS]
RESPONSES_TOOLS = [responses_tool(topic) for topic in TOPICS]


def chat(text: str, **fields) -> dict:
    return {"model": "m", "messages": [{"role": "user", "content": text}], "tools": CHAT_TOOLS, **fields}


def names(tools: list[dict]) -> list[str]:
    return [t["function"]["name"] if "function" in t else t.get("name", t["type"]) for t in tools]


def test_few_tools_pass_unchanged(overlap_router):
    body = chat("weather in Paris", tools=CHAT_TOOLS[:3])
    routed = route_request(body, "chat", overlap_router, k=3)
    assert routed.body is body and not routed.changed and not routed.ranked
    assert routed.tools == ("get_weather", "get_stock", "get_email") and routed.tools_in == routed.tools_out == 3


def test_filter_keeps_top_k_in_request_order(overlap_router):
    body = chat("book a hotel and a flight, and check the weather")
    routed = route_request(body, "chat", overlap_router, k=3)
    assert names(routed.body["tools"]) == ["get_weather", "get_flight", "get_hotel"]
    assert routed.tools == ("get_weather", "get_flight", "get_hotel")
    assert (routed.tools_in, routed.tools_out) == (12, 3)
    assert body["tools"] is CHAT_TOOLS and len(body["tools"]) == 12  # the request itself is not modified


def test_forced_function_is_kept_in_both_shapes(overlap_router):
    chat_body = chat("weather in Paris", tool_choice={"type": "function", "function": {"name": "get_news"}})
    assert names(route_request(chat_body, "chat", overlap_router, k=1).body["tools"]) == ["get_weather", "get_news"]
    responses_body = {"model": "m", "input": "weather in Paris", "tools": RESPONSES_TOOLS,
                      "tool_choice": {"type": "function", "name": "get_news"}}
    routed = route_request(responses_body, "responses", overlap_router, k=1)
    assert names(routed.body["tools"]) == ["get_weather", "get_news"]
    assert routed.body["tool_choice"] == {"type": "function", "name": "get_news"}


def test_client_allowed_tools_are_kept(overlap_router):
    allowed = [{"type": "function", "function": {"name": name}} for name in ("get_music", "get_news")]
    choice = {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": allowed}}
    routed = route_request(chat("weather in Paris", tool_choice=choice), "chat", overlap_router, k=1)
    assert names(routed.body["tools"]) == ["get_weather", "get_music", "get_news"]
    assert routed.body["tool_choice"] == choice


def test_called_tools_are_kept_and_tool_results_route_on_the_user_intent(overlap_router):
    messages = [
        {"role": "user", "content": "check the weather in Paris"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_currency", "arguments": "{}"}}]},
        # The tool output talks about stocks; routing must follow the user's intent, not this text.
        {"role": "tool", "tool_call_id": "c1", "content": "stock stock stock market"},
    ]
    routed = route_request({"model": "m", "messages": messages, "tools": CHAT_TOOLS}, "chat", overlap_router, k=1)
    assert names(routed.body["tools"]) == ["get_weather", "get_currency"]


def test_responses_input_with_sdk_items_keeps_called_tools(overlap_router):
    call = ResponseFunctionToolCall(type="function_call", call_id="c1", name="get_traffic", arguments="{}")
    body = {"model": "m", "tools": RESPONSES_TOOLS, "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "weather in Paris"}]}, call,
        {"type": "function_call_output", "call_id": "c1", "output": "jams"}]}
    routed = route_request(body, "responses", overlap_router, k=1)
    assert names(routed.body["tools"]) == ["get_weather", "get_traffic"]


def test_hosted_tools_pass_untouched_and_do_not_count(overlap_router):
    hosted = [{"type": "web_search"}, {"type": "mcp", "server_label": "deepwiki", "server_url": "https://x"},
              {"type": "custom", "name": "grammar_tool"}]
    body = {"model": "m", "input": "weather in Paris", "tools": [hosted[0], *RESPONSES_TOOLS, *hosted[1:]]}
    routed = route_request(body, "responses", overlap_router, k=1)
    assert routed.body["tools"] == [hosted[0], RESPONSES_TOOLS[0], *hosted[1:]]
    assert routed.tools == ("web_search", "get_weather", "deepwiki", "grammar_tool")
    assert (routed.tools_in, routed.tools_out) == (15, 4)


def test_legacy_functions_and_function_call(overlap_router):
    functions = [tool["function"] for tool in CHAT_TOOLS]
    body = {"model": "m", "messages": [{"role": "user", "content": "weather in Paris"}], "functions": functions,
            "function_call": {"name": "get_recipe"}}
    routed = route_request(body, "chat", overlap_router, k=1)
    assert [f["name"] for f in routed.body["functions"]] == ["get_weather", "get_recipe"]
    assert routed.body["function_call"] == {"name": "get_recipe"}


def test_never_more_than_the_upstream_limit(overlap_router):
    tools = [chat_tool(f"topic{i}") for i in range(150)]
    hosted = [{"type": "custom", "custom": {"name": f"c{i}"}} for i in range(10)]
    routed = route_request(chat("topic7", tools=hosted + tools), "chat", overlap_router, k=500)
    assert len(routed.body["tools"]) == MAX_UPSTREAM_TOOLS
    assert routed.body["tools"][:10] == hosted


def test_no_user_message_forwards_everything(overlap_router):
    body = {"model": "m", "input": [{"type": "function_call_output", "call_id": "c1", "output": "sunny"}],
            "tools": RESPONSES_TOOLS, "previous_response_id": "resp_1"}
    routed = route_request(body, "responses", overlap_router, k=2)
    assert routed.body is body and routed.error is None


def test_allowed_tools_mode_chat_shape(overlap_router):
    body = chat("weather in Paris")
    routed = route_request(body, "chat", overlap_router, k=1, mode="allowed_tools")
    assert routed.body["tools"] == CHAT_TOOLS  # every definition stays: the prompt cache stays valid
    assert routed.body["tool_choice"] == {"type": "allowed_tools", "allowed_tools": {
        "mode": "auto", "tools": [{"type": "function", "function": {"name": "get_weather"}}]}}
    assert (routed.tools_in, routed.tools_out) == (12, 1)


def test_allowed_tools_mode_responses_shape_keeps_required_and_hosted(overlap_router):
    hosted = {"type": "mcp", "server_label": "deepwiki", "server_url": "https://x"}
    body = {"model": "m", "input": "weather in Paris", "tools": [*RESPONSES_TOOLS, hosted], "tool_choice": "required"}
    routed = route_request(body, "responses", overlap_router, k=1, mode="allowed_tools")
    assert routed.body["tool_choice"] == {"type": "allowed_tools", "mode": "required", "tools": [
        {"type": "function", "name": "get_weather"}, {"type": "mcp", "server_label": "deepwiki"}]}


def test_allowed_tools_mode_keeps_a_forced_choice(overlap_router):
    body = chat("weather in Paris", tool_choice={"type": "function", "function": {"name": "get_news"}})
    routed = route_request(body, "chat", overlap_router, k=1, mode="allowed_tools")
    assert routed.body is body


def test_allowed_tools_mode_filters_definitions_over_the_limit():
    tools = [chat_tool(f"topic{i}") for i in range(130)]
    router = Router(WordOverlapReranker(), first_stage="bm25")  # 130 tools: a first stage picks candidates
    routed = route_request(chat("topic7", tools=tools), "chat", router, k=2, mode="allowed_tools")
    assert len(routed.body["tools"]) == 2
    assert len(routed.body["tool_choice"]["allowed_tools"]["tools"]) == 2


@pytest.mark.parametrize(("tools", "error"), [
    ([chat_tool("weather"), "not a tool", *CHAT_TOOLS[1:]], "SpecError: tools[1]: a tool spec must be an object"),
    ([*CHAT_TOOLS[:3], {**chat_tool("x"), "function": {"name": "x", "parameters": {"type": "array"}}}],
     "SpecError: tool 'x'"),
    ([*CHAT_TOOLS, chat_tool("weather")], "DuplicateNameError: tool 'get_weather'"),
])
def test_bad_tools_fail_open(overlap_router, tools, error):
    body = chat("weather in Paris", tools=tools)
    routed = route_request(body, "chat", overlap_router, k=2)
    assert routed.body is body and routed.error.startswith(error) and routed.ranked
    assert routed.tools_in == routed.tools_out == len(tools)


def test_reranker_failure_fails_open():
    body = chat("weather in Paris")
    routed = route_request(body, "chat", Router(BrokenReranker()), k=2)
    assert routed.body is body and routed.error == "RuntimeError: model exploded"


def test_invalid_arguments_raise(overlap_router):
    with pytest.raises(ValueError, match="mode must be one of 'filter', 'allowed_tools', got 'drop'"):
        route_request(chat("x"), "chat", overlap_router, mode="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="api must be one of 'chat', 'responses'"):
        route_request(chat("x"), "completions", overlap_router)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be a positive integer"):
        route_request(chat("x"), "chat", overlap_router, k=0)


def test_tiny_cross_encoder_routes(tiny_model_dir):
    routed = route_request(chat("weather in Paris"), "chat", Router(str(tiny_model_dir)), k=4)
    assert routed.error is None and len(routed.body["tools"]) == 4




def test_kept_tools_of_every_shape_go_upstream_as_they_came(overlap_router):
    """Peers' routers rebuilt kept tools and lost fields; kept specs must be the very objects sent."""
    chat_extra = {**chat_tool("weather"), "cache_control": {"type": "ephemeral"}}
    chat_extra["function"] = {**chat_extra["function"], "strict": True, "x-vendor": [1, {"a": None}]}
    chat_body = chat("weather please", tools=[chat_extra, *CHAT_TOOLS[1:]])
    routed = route_request(chat_body, "chat", overlap_router, k=1)
    assert routed.body["tools"][0] is chat_extra
    mcp = {"type": "mcp", "server_label": "docs", "server_url": "https://example.com/mcp", "require_approval": "never"}
    flat = {**responses_tool("weather"), "strict": False, "defer_loading": False}
    responses_body = {"model": "m", "input": "weather please", "tools": [mcp, flat, *RESPONSES_TOOLS[1:]]}
    routed = route_request(responses_body, "responses", overlap_router, k=1)
    assert routed.body["tools"][0] is mcp and routed.body["tools"][1] is flat and len(routed.body["tools"]) == 2
