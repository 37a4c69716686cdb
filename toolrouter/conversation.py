"""Routing queries from conversations (Chat Completions messages or Responses API input).

The query is the latest user message. When the conversation ends with tool results, the user
intent that led to them is combined with the names of the tools called since, so the next step
of the same task routes well. Tools already called are reported so routers keep them.
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


def _is_tool_result(message: Any) -> bool:
    return isinstance(message, dict) and (
        message.get("role") in _TOOL_RESULT_ROLES or message.get("type") in _TOOL_RESULT_TYPES
    )


def _is_user(message: Any) -> bool:
    return isinstance(message, str) or (
        isinstance(message, dict) and message.get("role") == "user" and message.get("type", "message") == "message"
    )


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
    return names


def as_items(messages: Any) -> list[Any]:
    """A conversation as a list of messages (a bare string is one user message).

    Message objects with ``model_dump()`` (the openai client's pydantic types, as in
    ``input += response.output``) are read as the dicts they serialize to.
    """
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Sequence):
        return [m.model_dump() if callable(getattr(m, "model_dump", None)) else m for m in messages]
    return []


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
