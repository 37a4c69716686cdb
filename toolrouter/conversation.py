"""Routing queries from conversations (Chat Completions messages, Responses API input or Anthropic messages).

The query is the latest user message. When the conversation ends with tool results, the user
intent that led to them is combined with the names of the tools called since, so the next step
of the same task routes well. Tools already called are reported so routers keep them.

Anthropic conversations carry calls and results as content blocks: ``tool_use`` blocks in assistant
turns are calls, and a user turn holding ``tool_result`` blocks is tool output (like an OpenAI ``tool``
message), not user intent, unless it also holds text of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Roles and Responses item types that carry a tool's output.
_TOOL_RESULT_ROLES = frozenset({"tool", "function"})
_TOOL_RESULT_TYPES = frozenset({"function_call_output", "custom_tool_call_output", "mcp_call"})


def message_text(message: Any) -> str:
    """The plain text of a message: string content, or the text parts of a content list."""
    if isinstance(message, str):
        return message
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text") for part in content if isinstance(part, dict)]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def content_blocks(message: Any) -> list[dict[str, Any]]:
    """The content parts (Anthropic content blocks) of a message that has a list of them."""
    content = message.get("content") if isinstance(message, dict) else None
    return [block for block in content if isinstance(block, dict)] if isinstance(content, list) else []


def _holds_tool_results(message: Any) -> bool:
    """An Anthropic user turn answering tool calls with ``tool_result`` blocks."""
    return any(block.get("type") == "tool_result" for block in content_blocks(message))


def _is_tool_result(message: Any) -> bool:
    return isinstance(message, dict) and (
        message.get("role") in _TOOL_RESULT_ROLES or message.get("type") in _TOOL_RESULT_TYPES
        or _holds_tool_results(message)
    )


def _is_user(message: Any) -> bool:
    if isinstance(message, str):
        return True
    return (isinstance(message, dict) and message.get("role") == "user" and message.get("type", "message") == "message"
            and not (_holds_tool_results(message) and not message_text(message).strip()))


def _calls_in(message: Any) -> list[str]:
    """Names of the tools a single message or item calls."""
    if not isinstance(message, dict):
        return []
    names = []
    for call in message.get("tool_calls") or []:
        if isinstance(call, dict):
            function = call.get("function") if isinstance(call.get("function"), dict) else call
            if isinstance(function.get("name"), str):
                names.append(function["name"])
    legacy = message.get("function_call")
    if isinstance(legacy, dict) and isinstance(legacy.get("name"), str):
        names.append(legacy["name"])
    if message.get("type") in ("function_call", "custom_tool_call") and isinstance(message.get("name"), str):
        names.append(message["name"])
    names += [block["name"] for block in content_blocks(message)
              if block.get("type") == "tool_use" and isinstance(block.get("name"), str)]
    return names


def as_items(messages: Any) -> list[Any]:
    """A conversation as a list of messages (a bare string is one user message).

    Objects with ``model_dump()`` (the SDKs' pydantic types) are read as the dicts they serialize to:
    whole messages, as in openai's ``input += response.output``, and content blocks, as in anthropic's
    ``{"role": "assistant", "content": response.content}``.
    """
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Sequence):
        return [_plain_message(message) for message in messages]
    return []


def _plain(value: Any) -> Any:
    return value.model_dump() if callable(getattr(value, "model_dump", None)) else value


def _plain_message(message: Any) -> Any:
    message = _plain(message)
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list) and not all(isinstance(block, dict) for block in content):
        return {**message, "content": [_plain(block) for block in content]}
    return message


def called_tools(messages: Any) -> list[str]:
    """Names of every tool called in the conversation, first call first, without repeats."""
    return list(dict.fromkeys(name for message in as_items(messages) for name in _calls_in(message)))


def routing_query(messages: Any) -> str:
    """The text to route on: the latest user message, plus tool names when tool results end it."""
    items = as_items(messages)
    last_user = next((i for i in range(len(items) - 1, -1, -1) if _is_user(items[i])), None)
    if last_user is None:
        return ""
    query = message_text(items[last_user]).strip()
    if items and _is_tool_result(items[-1]):
        since = [name for message in items[last_user + 1 :] for name in _calls_in(message)]
        if since:
            query = f"{query}\n(after calling: {', '.join(dict.fromkeys(since))})"
    return query
