"""A request's payload: the text it carries for a tool, as opposed to what it asks a tool to do.

Everyday requests carry the message to send, the note to save, the title to give or the sentence
to translate, quoted (``'…'``, ``"…"``, ``«…»``, ``„…“``, ``「…」``) or after a colon (``message the
hikers chat: meet at the trailhead 8am``, ``把这句话翻译成英文：…``). That text is about something
else, a checkout bug or a trailhead, and pulls e5 and BM25 toward whatever tools it happens to
match. The router routes on :func:`without_payload` where what is left matches some item at least
as well as the whole request does, so a preamble before a colon (``here's what I need: book a
flight``) keeps the request whole.
"""

from __future__ import annotations

import re

# What a quoted payload is replaced with: a mark that something was said, in no language.
PLACEHOLDER = "…"
# Longest quoted span taken for payload; a longer one is more likely a pasted document than a value.
MAX_QUOTED_CHARS = 200
# Words a line needs before a colon for the rest of the line to count as payload: "Mailchimp: how
# did the campaign do?" names a service, "file a bug: the app crashes" states a task.
MIN_TASK_WORDS = 3
# Characters such a task needs where words are not separated by spaces (Chinese, Japanese).
MIN_TASK_CHARS = 4

# Quote pairs of the languages routed; the ASCII ones also serve as apostrophes, so they open only at
# the start or after a space or opening mark, and close only before a space, punctuation or the end.
_PAIRED_QUOTES = (("“", "”"), ("„", "“"), ("«", "»"), ("‹", "›"), ("「", "」"), ("『", "』"), ("《", "》"),
                  ("‘", "’"), ("＂", "＂"))
_QUOTED = re.compile("|".join(
    [rf"(?:^|(?<=[\s(\[:：]))'[^'\n]{{1,{MAX_QUOTED_CHARS}}}'(?=[\s.,;:!?)\]]|$)",
     rf'(?:^|(?<=[\s(\[:：]))"[^"\n]{{1,{MAX_QUOTED_CHARS}}}"(?=[\s.,;:!?)\]]|$)']
    + [rf"{re.escape(left)}[^{re.escape(right)}\n]{{1,{MAX_QUOTED_CHARS}}}{re.escape(right)}"
       for left, right in _PAIRED_QUOTES]))
# A colon that introduces text: followed by a space (not ``8:30``, ``https://``), or a full-width one.
_COLON = re.compile(r"(?<!\d):(?=[ \t])|：")
_UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w")


def without_payload(request: str) -> str:
    """``request`` with the text it carries taken out: quoted spans become :data:`PLACEHOLDER`, and
    the rest of the first line after a colon goes when the words before it state a task.

    Returns ``request`` unchanged when nothing is payload, or when taking it out would leave no
    words (``"'hello'"``). Later lines keep their colons: a conversation's routing query appends
    ``(after calling: …)`` on a line of its own (:func:`toolrouter.conversation.routing_query`).
    """
    text = _QUOTED.sub(f" {PLACEHOLDER} ", request)
    first, newline, rest = text.partition("\n")
    colon = _COLON.search(first)
    if colon is not None and _states_task(first[: colon.start()]):
        first = first[: colon.start()]
    text = re.sub(r"[ \t]+", " ", first + newline + rest).strip()
    if text == request or not _WORD.search(text.replace(PLACEHOLDER, "")):
        return request
    return text


def _states_task(head: str) -> bool:
    """Do the words before a colon say what to do, rather than name a service or a field?"""
    if _UNSPACED_SCRIPT.search(head):
        return len(head.strip()) >= MIN_TASK_CHARS
    return len(head.split()) >= MIN_TASK_WORDS
