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


def test_anthropic_blocks_tool_results_are_not_user_intent():
    messages = [{"role": "user", "content": [{"type": "text", "text": "book me a table for two"}]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Looking."},
                    {"type": "tool_use", "id": "a", "name": "find_restaurant", "input": {}},
                    {"type": "tool_use", "id": "b", "name": "check_calendar", "input": {}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "a", "content": [{"type": "text", "text": "Chez Marie"}]},
                    {"type": "tool_result", "tool_use_id": "b", "content": "free"}]}]
    assert routing_query(messages) == "book me a table for two\n(after calling: find_restaurant, check_calendar)"
    assert called_tools(messages) == ["find_restaurant", "check_calendar"]
    follow_up = [*messages, {"role": "assistant", "content": "Booked."},
                 {"role": "user", "content": "now send the invite"}]
    assert routing_query(follow_up) == "now send the invite"


def test_anthropic_text_beside_tool_results_is_user_intent():
    messages = [{"role": "user", "content": "weather in Paris"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "get_weather", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "rain"},
                                             {"type": "text", "text": "and in Rome?"}]}]
    assert routing_query(messages) == "and in Rome?"
    only_results = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "rain"}]}]
    assert routing_query(only_results) == ""
