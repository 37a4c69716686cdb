"""LiteLLM proxy: route each request's ``tools`` in a pre-call hook, before it goes upstream.

In a real deployment the hook lives in a module next to the proxy's ``config.yaml``::

    # toolrouter_hook.py
    from toolrouter.integrations.litellm import ToolrouterHook
    proxy_handler_instance = ToolrouterHook(k=3)

    # config.yaml
    litellm_settings:
      callbacks: toolrouter_hook.proxy_handler_instance

Here the hook is called directly with a request body as the proxy passes it, offline on the
bundled model. Run::

    python examples/litellm_hook.py
"""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: litellm's bundled model price list

from litellm.caching.dual_cache import DualCache  # after the cost map is made local
from litellm.proxy._types import UserAPIKeyAuth

from toolrouter import Router
from toolrouter.integrations.litellm import ToolrouterHook

DESCRIPTIONS = {
    "get_weather": "Current weather and temperature for a city.",
    "convert_currency": "Convert an amount of money between two currencies at today's rate.",
    "book_hotel": "Book a hotel room in a city for a number of nights.",
    "send_email": "Send an email to a recipient.",
    "create_calendar_event": "Add an event to the user's calendar.",
    "search_flights": "Find flights between two airports on a date.",
    "read_file": "Read a text file from the workspace.",
    "translate_text": "Translate text into another language.",
    "play_music": "Play a song on the living-room speaker.",
    "order_food": "Order food for delivery from a restaurant.",
}
TOOLS = [{"type": "function", "function": {"name": name, "description": text,
                                           "parameters": {"type": "object", "properties": {}}}}
         for name, text in DESCRIPTIONS.items()]


def main() -> None:
    hook = ToolrouterHook(Router(), k=3)
    request = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Book me a hotel in Porto for two nights and email Ana the details."}],
        "tools": [*TOOLS, {"type": "web_search"}],
        "tool_choice": "auto",
    }
    routed = asyncio.run(hook.async_pre_call_hook(UserAPIKeyAuth(), DualCache(), request, "acompletion"))
    print(f"{len(request['tools'])} tools in, {len(routed['tools'])} forwarded:")
    for tool in routed["tools"]:
        print(f"  {tool['function']['name'] if tool['type'] == 'function' else tool['type']}")
    print(f"tool_choice: {routed['tool_choice']}")


if __name__ == "__main__":
    main()
