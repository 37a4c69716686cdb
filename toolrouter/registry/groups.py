"""Tool groups: the service, MCP server, toolkit or API a tool belongs to.

Large catalogs come in groups (an MCP server's tools, an OpenAPI spec's operations, names sharing
a ``Slack_…`` or ``mcp__github__…`` prefix). A request that names or implies a service should reach
that service's tools, and one that does not should not be pulled into a big generated catalog by
one shared word; the router scores groups as well as tools (see :class:`toolrouter.router.Router`).

A tool's group is the one given when it was added (``add_tools(..., group=...)``, or its
``namespace``), else the one its name states (:func:`group_from_name`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    """A named set of tools.

    Attributes:
        name: The group's name as the user gave it or as tool names state it (``slack``, ``Github``).
        description: What the service does, in a sentence or two; may be empty.
        aliases: Other names a request may call it by (an OpenAPI document's ``Email Activity`` is
            SendGrid's); an alias that is another group's name or two groups' alias names neither.
    """

    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()


# Separators a namespaced name puts between group and tool: the MCP gateway and registry
# namespaces (``server__tool``) and MCP clients (``mcp__server__tool``).
_NAMESPACED = re.compile(r"^(?:mcp__)?([A-Za-z0-9][\w-]*?)__\w")
# Toolkit names: ``Service_Operation``, ``SERVICE_OPERATION``, ``Service.Operation``, ``Service:op``.
# A lowercase dotted prefix (``math.factorial``) reads as a module or topic, not a service.
_PREFIXED = re.compile(r"^([A-Z][A-Za-z0-9]+)[_.:/][A-Za-z0-9]")
# Leading words that are actions, not services (``get_weather``, ``Search_Flights``).
ACTION_WORDS = frozenset((
    "add", "append", "apply", "approve", "archive", "assign", "attach", "book", "calculate",
    "call", "cancel", "check", "clear", "close", "compute", "convert", "copy", "count",
    "create", "delete", "describe", "disable", "download", "edit", "enable", "estimate",
    "execute", "export", "fetch", "filter", "find", "generate", "get", "import", "insert",
    "invite", "join", "list", "load", "lookup", "make", "merge", "move", "open", "patch",
    "pause", "ping", "post", "predict", "publish", "put", "query", "read", "record", "refresh",
    "register", "reject", "remove", "rename", "replace", "reply", "request", "reset", "resolve", "restart",
    "restore", "resume", "retrieve", "revoke", "run", "save", "schedule", "search", "select",
    "send", "set", "share", "show", "sort", "start", "stop", "submit", "suggest", "sync", "trash",
    "test", "track", "transfer", "translate", "trigger", "unarchive", "untrash", "update", "upload", "upsert",
    "validate", "verify", "view", "watch", "write",
))
_KEY = re.compile(r"[^0-9a-z]+")
# Words of a group name, for text (``GoogleCalendar`` → ``Google Calendar``).
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
# Words of a request that can spell a group key: runs of the characters a key keeps, so a name
# written against other scripts (``Slackで田中さんに``, ``用WhatsApp给``) is a word of its own.
_KEY_WORDS = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# Longest group name matched in a request, in words (``google cloud storage``).
MAX_NAME_WORDS = 4
# Group names shorter than this are too likely to be ordinary words or abbreviations of a request.
MIN_NAME_LENGTH = 3


def group_from_name(name: str) -> str | None:
    """The group a tool's name states, if any: ``mcp__github__create_issue`` → ``github``,
    ``Slack_SendMessage`` / ``SLACK_SEND_MESSAGE`` / ``Slack.SendMessage`` → ``Slack`` / ``SLACK``.
    A leading action word (``get_weather``, ``Search_Flights``) and a lowercase dotted prefix
    (``math.factorial``, a module rather than a service) are no group."""
    for pattern in (_NAMESPACED, _PREFIXED):
        match = pattern.match(name)
        if match and match.group(1).lower() not in ACTION_WORDS:
            return match.group(1)
    return None


def group_key(name: str) -> str:
    """A group name reduced for matching: ``Google Calendar``, ``google_calendar`` and
    ``GoogleCalendar`` all read ``googlecalendar``."""
    return _KEY.sub("", name.lower())


def group_words(name: str) -> str:
    """A group name as words, for text: ``GoogleCalendar`` → ``Google Calendar``."""
    return " ".join(_WORDS.findall(_CAMEL.sub(" ", name)))


def named_groups(query: str, keys: Iterable[str]) -> set[str]:
    """The group keys (:func:`group_key`) a request names, written as one word or several
    (``GitHub``, ``google calendar``, ``Google-Calendar``)."""
    wanted = {key for key in keys if len(key) >= MIN_NAME_LENGTH}
    if not wanted:
        return set()
    words = [w.lower() for w in _KEY_WORDS.findall(_CAMEL.sub(" ", query))]
    found: set[str] = set()
    for start in range(len(words)):
        joined = ""
        for end in range(start, min(start + MAX_NAME_WORDS, len(words))):
            joined += words[end]
            if joined in wanted:
                found.add(joined)
    # Names written as one camel-case word (``GitHub``) split above; match them whole too.
    found.update(key for key in (w.lower() for w in _KEY_WORDS.findall(query)) if key in wanted)
    return found
