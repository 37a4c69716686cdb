"""Tool groups: derived from names, given when tools are added, kept by save/load, named in requests."""

from __future__ import annotations

import pytest

from toolrouter.registry import Group, Registry
from toolrouter.registry.groups import group_from_name, group_key, group_words, named_groups

SEND = {"name": "send_message", "description": "Send a chat message", "parameters": {"type": "object"}}
LIST = {"name": "list_channels", "description": "List chat channels", "parameters": {"type": "object"}}


@pytest.mark.parametrize(("name", "group"), [
    ("mcp__github__create_issue", "github"),
    ("github__create_issue", "github"),
    ("Slack.SendMessage", "Slack"),
    ("Jira:create_issue", "Jira"),
    ("math.factorial", None),          # a module, not a service
    ("jira:create_issue", None),
    ("Slack_SendMessage", "Slack"),
    ("GOOGLECALENDAR_CREATE_EVENT", "GOOGLECALENDAR"),
    ("GoogleCalendar_CalendarEventsInsert", "GoogleCalendar"),
    ("get_weather", None),          # an action word, not a service
    ("Search_Flights", None),
    ("get.weather", None),
    ("calculate_triangle_area", None),
    ("getWeather", None),
    ("weather", None),
])
def test_group_from_name(name, group):
    assert group_from_name(name) == group


def test_group_keys_and_words():
    assert group_key("Google Calendar") == group_key("google_calendar") == group_key("GoogleCalendar")
    assert group_words("GoogleCalendar") == "Google Calendar"


@pytest.mark.parametrize(("query", "found"), [
    ("post the release notes on Slack", {"slack"}),
    ("put it in my Google Calendar", {"googlecalendar"}),
    ("book it in google-calendar please", {"googlecalendar"}),
    ("open an issue on GitHub and tell the team on slack", {"github", "slack"}),
    ("schedule a meeting tomorrow", set()),
    ("slacker news", set()),              # whole words only
    ("Slackで田中さんにDMして", {"slack"}),  # written against another script, no space
    ("在GitHub上搜一下有没有Redis客户端", {"github"}),
    ("Google Calendarに会議を入れて", {"googlecalendar"}),
])
def test_named_groups(query, found):
    assert named_groups(query, ["slack", "googlecalendar", "github", "ai"]) == found


def test_add_tools_with_a_group_and_its_description_survives_save_and_load(tmp_path):
    registry = Registry()
    added = registry.add_tools([SEND, LIST], group="slack", group_description="Team chat")
    registry.add_tools([SEND], namespace="teams")
    registry.add_tools([{"name": "Gmail_SendMessage", "description": "Send an email", "parameters": {}}])
    assert [t.group for t in added] == ["slack", "slack"]
    assert registry.groups == {"slack": Group("slack", "Team chat"), "teams": Group("teams", "")}
    assert registry.group_of(registry["teams__send_message"]) == "teams"
    assert registry["Gmail_SendMessage"].group is None
    assert registry.group_of(registry["Gmail_SendMessage"]) == "Gmail"  # stated by its name
    registry.describe_group("teams", "Microsoft Teams chat")
    path = tmp_path / "registry.json"
    registry.save(path)
    loaded = Registry.load(path)
    assert loaded.groups == registry.groups
    assert loaded["send_message"].group == "slack" and loaded["Gmail_SendMessage"].group is None


def test_group_description_without_a_group_and_empty_groups_are_refused():
    with pytest.raises(ValueError, match="group_description needs a group"):
        Registry().add_tools([SEND], group_description="Team chat")
    with pytest.raises(ValueError, match="non-empty"):
        Registry().add_tools([SEND], group=" ")
