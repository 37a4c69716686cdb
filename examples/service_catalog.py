"""Route everyday requests over tools that come in services, and see each service's part in a score.

Tools are added per service with ``group=`` and a description, as an MCP gateway or a toolkit
would; names like ``Slack_ChatPostMessage`` state their service too. The first request shows why
agents route with k of 3–5 rather than 1: "project update" is worded like Jira's project tool, and
the e-mail tool comes second. Runs offline on the bundled model:

    python examples/service_catalog.py
"""

from __future__ import annotations

from toolrouter import Router


def tool(name: str, description: str, **parameters: str) -> dict:
    return {"name": name, "description": description,
            "parameters": {"type": "object", "properties": {p: {"type": "string", "description": d}
                                                            for p, d in parameters.items()}}}


SERVICES = {
    "Slack": ("Team chat: channels, messages, files and reminders.", [
        tool("Slack_ChatPostMessage", "Sends a message to a channel.", channel="Channel ID or name", text="Message"),
        tool("Slack_ConversationsList", "Lists all channels in a Slack team."),
        tool("Slack_FilesUpload", "Uploads or creates a file.", channels="Channels to share it in"),
        tool("Slack_RemindersAdd", "Creates a reminder.", text="What to remind", time="When"),
    ]),
    "Gmail": ("Read, send and organize e-mail in a Gmail mailbox.", [
        tool("Gmail_GmailUsersMessagesSend", "Sends the specified message to the recipients.", raw="The message"),
        tool("Gmail_GmailUsersMessagesList", "Lists the messages in the user's mailbox.", q="Search query"),
        tool("Gmail_GmailUsersLabelsCreate", "Creates a new label.", label="Label name"),
    ]),
    "GoogleCalendar": ("Events, meetings and reminders on Google Calendar.", [
        tool("GoogleCalendar_CalendarEventsInsert", "Creates an event.", summary="Title", start="Start time"),
        tool("GoogleCalendar_CalendarEventsList", "Returns events on the specified calendar.", timeMin="From"),
        tool("GoogleCalendar_CalendarAclInsert", "Creates an access control rule.", role="Access role"),
    ]),
    "Jira": ("Issue and project tracking for software teams.", [
        tool("Jira_CreateIssue", "Creates an issue or a sub-task.", summary="Title", project="Project key"),
        tool("Jira_DoTransition", "Performs an issue transition, e.g. moving an issue to Done.", issueIdOrKey="Key"),
        tool("Jira_UpdateProject", "Updates the project details: name, lead, category.", projectIdOrKey="Key"),
    ]),
}

REQUESTS = [
    "Send an email to my colleague about the project update",
    "tell the team on Slack that the release went out",
    "Trag mir Dienstag um 8:30 den Zahnarzttermin in den Kalender ein",
    "move PAY-88 to Done",
]


def main() -> None:
    router = Router()
    for service, (description, tools) in SERVICES.items():
        router.add_tools(tools, group=service, group_description=description)
    for request in REQUESTS:
        explanation = router.explain(request, k=2)
        print(f"request: {request}")
        for scored in explanation.ranking[:2]:
            named = ", named in the request" if scored.group_named else ""
            print(f"  {scored.item.name:40s} score {scored.score:.3f}  "
                  f"service {scored.group} (relevance {scored.group_score:.2f}{named})")


if __name__ == "__main__":
    main()
