"""Payload taken out of requests before routing."""

import pytest

from toolrouter.payload import PLACEHOLDER, without_payload


@pytest.mark.parametrize(("request_text", "routed"), [
    ("open a jira ticket in WEB: checkout button does nothing on Safari",
     "open a jira ticket in WEB"),
    ("put 'finalize Q3 budget deck' on Priya's plate in asana, due friday",
     f"put {PLACEHOLDER} on Priya's plate in asana, due friday"),
    ('search Stack Overflow for "pandas SettingWithCopyWarning"', f"search Stack Overflow for {PLACEHOLDER}"),
    ("Crée un dossier « factures-2025 » dans mes documents", f"Crée un dossier {PLACEHOLDER} dans mes documents"),
    ("Setz „Steuererklärung abgeben“ bis 31. Juli auf meine To-do-Liste",
     f"Setz {PLACEHOLDER} bis 31. Juli auf meine To-do-Liste"),
    ("Jiraで「決済画面でエラーが出る」ってチケット作って", f"Jiraで {PLACEHOLDER} ってチケット作って"),
    ("把这句话翻译成英文：我们明天上午十点开会", "把这句话翻译成英文"),
    ("버그 이슈 하나 만들어줘: 결제 페이지에서 500 에러 남", "버그 이슈 하나 만들어줘"),
    # Both: the quote goes, then the colon's line.
    ("translate this into Spanish: 'Our office will be closed Monday.'", "translate this into Spanish"),
])
def test_payload_is_taken_out(request_text: str, routed: str) -> None:
    assert without_payload(request_text) == routed


@pytest.mark.parametrize("request_text", [
    "Mailchimp: how did the Black Friday campaign do?",  # a service named before the colon
    "weatherbit: how cold was it in Chicago",
    "Trag mir für Dienstag um 8:30 den Zahnarzttermin ein",  # a time, not a colon that introduces text
    "open https://example.com/login in the browser",
    "what's Maria Lopez's phone number?",  # apostrophes, not quotes
    "don't send it to Bob's team",
    "'hello there'",  # nothing but payload: routing needs words
    "",
])
def test_requests_without_payload_are_unchanged(request_text: str) -> None:
    assert without_payload(request_text) == request_text


def test_only_the_first_line_loses_text_after_a_colon() -> None:
    """A conversation's routing query names the tools called on a later line, after a colon."""
    routed = without_payload("message the hikers chat: meet at 8am\n(after calling: send_message, list_chats)")
    assert routed == "message the hikers chat\n(after calling: send_message, list_chats)"


def test_long_quotes_are_not_payload() -> None:
    pasted = "'" + "word " * 60 + "'"
    assert without_payload(f"summarize {pasted}") == f"summarize {pasted}"
