"""Canonical text: deterministic, compact, within its token budget, trimmed in the documented order."""

from __future__ import annotations

import pytest

from toolrouter.registry import load_tools
from toolrouter.registry.canonical import DEFAULT_MAX_TOKENS, count_tokens, render_table, render_tool
from toolrouter.registry.items import Column, ForeignKey, TableItem


def big_tool():
    properties = {f"option_{i}": {"type": "string", "description": "A long explanation of this option " * 6,
                                  "enum": [f"value_{j}" for j in range(40)]} for i in range(30)}
    [tool] = load_tools({"name": "configure_cluster", "description": "Configure the cluster. " * 100,
                         "parameters": {"type": "object", "properties": properties}})
    return tool


def test_long_tools_fit_the_budget_and_keep_the_name_first():
    tool = big_tool()
    text = tool.text
    assert count_tokens(text) <= DEFAULT_MAX_TOKENS
    assert text.startswith("tool: configure_cluster\ndescription: Configure the cluster.")
    assert "option_0" in text and "more)" in text
    assert render_tool(tool) == text  # deterministic


def test_trimming_order_enums_then_field_text():
    tool = big_tool()
    roomy = render_tool(tool, max_tokens=10**6)
    assert "value_39" in roomy
    mid = render_tool(tool, max_tokens=5000)
    assert "value_39" not in mid and "(+32)" in mid and "A long explanation" in mid


def test_wide_tables_keep_key_columns():
    columns = (*tuple(Column(f"c{i}", "INT") for i in range(10000)), Column("owner_id", "INT"))
    table = TableItem("wide", columns=columns, primary_key=("c5000",),
                      foreign_keys=(ForeignKey(("owner_id",), "owners", ("id",)),))
    text = render_table(table)
    assert count_tokens(text) <= DEFAULT_MAX_TOKENS
    assert "c5000 INT PRIMARY KEY" in text and "owner_id INT" in text and "more columns" in text
    assert "FOREIGN KEY (owner_id) REFERENCES owners(id)" in text


def test_count_tokens_counts_cjk_characters():
    assert count_tokens("get_weather(city)") == 6
    assert count_tokens("東京の天気") == 5


@pytest.mark.parametrize(("name", "group", "description", "summary"), [
    ("Gmail_GmailUsersMessagesSend", None, "Sends the specified message to the recipients. Also drafts.",
     "Gmail: send users messages. Sends the specified message to the recipients."),
    ("GoogleCalendar_CalendarEventsInsert", None, "Creates an event.",
     "Google Calendar: insert events. Creates an event."),
    ("mcp__github__create_issue", None, "", "github: create issue"),
    ("Hubspot_PostMarketingV3MarketingEventsEventsCreate", None, "Create a marketing event",
     "Hubspot: create marketing events. Create a marketing event"),
    ("send_message", "slack", "Post a message to a channel", "slack: send message. Post a message to a channel"),
    ("Sendgrid_DELETEV3ApiKeysApiKeyId", None, "Delete an API key.",
     "Sendgrid: delete api keys key id. Delete an API key."),
    ("Sendgrid_GETV3Templates", None, "", "Sendgrid: get templates"),
    ("calculate_triangle_area", None, "Calculate the area of a triangle given its base and height.",
     "calculate triangle area. Calculate the area of a triangle given its base and height."),
])
def test_tool_summary_says_what_the_tool_does_action_first(name, group, description, summary):
    from toolrouter.registry.items import ToolItem

    assert ToolItem(name, description, group=group).summary == summary
