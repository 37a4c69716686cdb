"""Routing queries from Chat Completions and Responses conversations."""

from toolrouter.conversation import called_tools, routing_query


def test_latest_user_message():
    assert routing_query([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                          {"role": "user", "content": "c"}]) == "c"
    assert routing_query("plain string") == "plain string"
    assert routing_query([{"role": "system", "content": "x"}]) == ""


def test_tool_result_adds_the_tools_called_since():
    messages = [{"role": "user", "content": "book me a table for two"},
                {"role": "assistant", "tool_calls": [{"id": "a", "type": "function",
                                                      "function": {"name": "find_restaurant", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "a", "content": "{...}"}]
    assert routing_query(messages) == "book me a table for two\n(after calling: find_restaurant)"
    assert called_tools(messages) == ["find_restaurant"]


def test_responses_input_and_legacy_function_call():
    items = [{"role": "user", "content": [{"type": "input_text", "text": "weather in Paris"}]},
             {"type": "function_call", "name": "get_weather", "call_id": "c", "arguments": "{}"},
             {"type": "function_call_output", "call_id": "c", "output": "rain"}]
    assert routing_query(items) == "weather in Paris\n(after calling: get_weather)"
    legacy = [{"role": "user", "content": "hi"},
              {"role": "assistant", "function_call": {"name": "greet", "arguments": "{}"}},
              {"role": "function", "name": "greet", "content": "hello"}]
    assert called_tools(legacy) == ["greet"]
    assert routing_query(legacy) == "hi\n(after calling: greet)"
