"""LiteLLM: the pre-call hook on real proxy request dicts, loaded the way the proxy loads callbacks."""

from __future__ import annotations

import asyncio
import copy
import os

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network: litellm's bundled cost map
pytest.importorskip("litellm")

from litellm.caching.dual_cache import DualCache
from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy._types import UserAPIKeyAuth
from litellm.proxy.types_utils.utils import get_instance_fn

from tests.integrations.conftest import FUNCTIONS
from toolrouter.integrations.litellm import ToolrouterHook

TOOLS = [{"type": "function", "function": {"name": f.__name__, "description": f.__doc__,
                                           "parameters": {"type": "object", "properties": {}}}}
         for f in FUNCTIONS]
FORCED = {"type": "function", "function": {"name": "play_music"}}


def chat_request() -> dict:
    """A /chat/completions body as the proxy hands it to pre-call hooks (with its own bookkeeping keys)."""
    return {"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "What is the weather forecast in Lisbon?"}],
        "tools": [*copy.deepcopy(TOOLS), {"type": "web_search"}], "tool_choice": copy.deepcopy(FORCED),
        "metadata": {"user_api_key_alias": None}, "litellm_call_id": "abc"}


def call(hook: CustomLogger, data: dict, call_type: str = "acompletion") -> dict:
    return asyncio.run(hook.async_pre_call_hook(user_api_key_dict=UserAPIKeyAuth(), cache=DualCache(),
                                                data=data, call_type=call_type))


def names(tools: list[dict]) -> list[str]:
    return [tool["function"]["name"] if tool["type"] == "function" else tool["type"] for tool in tools]


def test_hook_filters_tools_keeps_choice_and_other_fields(overlap_router):
    data = chat_request()
    out = call(ToolrouterHook(overlap_router, k=2), data)
    assert names(out["tools"])[0] == "get_weather" and len(out["tools"]) == 4
    assert {"play_music", "web_search"} <= set(names(out["tools"]))  # forced by tool_choice; not a function
    assert out["tool_choice"] == FORCED
    assert out["metadata"] == data["metadata"] and out["litellm_call_id"] == "abc"
    assert len(data["tools"]) == len(TOOLS) + 1  # the proxy's dict is not mutated


def test_allowed_tools_mode_and_responses_api(overlap_router):
    data = {**chat_request(), "tool_choice": "auto"}
    out = call(ToolrouterHook(overlap_router, k=2, mode="allowed_tools"), data)
    assert out["tools"] == data["tools"]
    allowed = out["tool_choice"]["allowed_tools"]["tools"]
    assert {"type": "function", "function": {"name": "get_weather"}} in allowed

    body = {"model": "gpt-4o-mini", "input": "What is the weather forecast in Lisbon?",
            "tools": [{"type": "function", **tool["function"]} for tool in TOOLS]}
    out = call(ToolrouterHook(overlap_router, k=1), body, "aresponses")
    assert [tool["name"] for tool in out["tools"]] == ["get_weather"]


def test_other_calls_and_small_requests_pass_unchanged(overlap_router):
    hook = ToolrouterHook(overlap_router, k=2)
    embedding = {"model": "text-embedding-3-small", "input": "hello"}
    assert call(hook, embedding, "aembedding") is embedding
    small = {"model": "m", "messages": [{"role": "user", "content": "weather"}], "tools": TOOLS[:2]}
    assert call(hook, small) is small


def test_bad_arguments_are_named(overlap_router):
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        ToolrouterHook(overlap_router, k=0)
    with pytest.raises(ValueError, match="mode must be one of 'filter', 'allowed_tools', got 'drop'"):
        ToolrouterHook(overlap_router, mode="drop")


def test_proxy_loads_the_hook_from_its_config_directory(tmp_path):
    (tmp_path / "toolrouter_hook.py").write_text(
        "from toolrouter.integrations.litellm import ToolrouterHook\n"
        "from tests.conftest import WordOverlapReranker\n"
        "from toolrouter import Router\n"
        "proxy_handler_instance = ToolrouterHook(Router(WordOverlapReranker()), k=2)\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "litellm_settings:\n  callbacks: toolrouter_hook.proxy_handler_instance\n", encoding="utf-8")
    hook = get_instance_fn("toolrouter_hook.proxy_handler_instance", config_file_path=str(tmp_path / "config.yaml"))
    # The proxy calls a callback's pre-call hook only when its class defines one of its own.
    assert isinstance(hook, CustomLogger) and "async_pre_call_hook" in vars(type(hook))
    assert len(call(hook, chat_request())["tools"]) == 4
