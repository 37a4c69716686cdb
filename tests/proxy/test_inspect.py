"""The proxy's inspector (``/inspect``): real requests through the proxy on loopback, then its JSON and its page.

Each test serves its own proxy (the ring starts empty) in front of the session's recording upstream,
with the word-overlap reranker so rankings are predictable. The last test drives the page in headless
Chromium; set ``TOOLROUTER_INSPECTOR_SCREENSHOT=path.png`` to also save what it shows.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import openai
import pytest
from proxy_support import TOPICS, BrokenReranker, chat_tool, responses_tool, run_proxy
from typer.testing import CliRunner

from tests.conftest import WordOverlapReranker
from toolrouter.cli import app as cli_app
from toolrouter.proxy.inspect import REDACTED, Inspector
from toolrouter.proxy.routing import RoutedRequest
from toolrouter.registry import Registry
from toolrouter.router import Router

CHAT_TOOLS = [chat_tool(topic) for topic in TOPICS]
RESPONSES_TOOLS = [responses_tool(topic) for topic in TOPICS]
QUERY = "book a hotel and a flight, and check the weather"
MESSAGES = [{"role": "user", "content": QUERY}]
CLIENT_KEY = "sk-client-secret-inspect-4d2f81"
PROXY_KEY = "tr-proxy-secret-inspect-9a03c7"


def client(base_url: str, **options) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=CLIENT_KEY, max_retries=0, **options)


def root(base_url: str) -> str:
    """The proxy's root URL from its ``/v1`` base."""
    return base_url.removesuffix("/v1")


def inspect_json(base_url: str, path: str = "/requests", **options) -> dict:
    response = httpx.get(f"{root(base_url)}/inspect{path}", **options)
    assert response.status_code == 200, response.text
    return response.json()


def rank(base_url: str, payload: dict, **options) -> httpx.Response:
    return httpx.post(f"{root(base_url)}/inspect/rank", json=payload, **options)


@contextmanager
def proxy_with(upstream, router: Router | None = None, **options) -> Iterator[str]:
    with run_proxy(upstream.url, router, **{"k": 3, **options}) as url:
        yield url


def test_routed_requests_are_listed_newest_first(upstream):
    with proxy_with(upstream) as proxy:
        client(proxy).chat.completions.create(model="gpt-test", messages=MESSAGES, tools=CHAT_TOOLS)
        client(proxy).responses.create(model="m", input="what is the stock price and the news",
                                       tools=[{"type": "web_search"}, *RESPONSES_TOOLS])
        listed = inspect_json(proxy)

    assert (listed["size"], listed["k"], listed["mode"], listed["redact"]) == (200, 3, "filter", False)
    responses, chat = listed["requests"]
    assert chat["api"] == "chat" and responses["api"] == "responses" and responses["id"] > chat["id"]
    assert chat["query"] == QUERY and chat["model"] == "gpt-test"
    assert (chat["tools_in"], chat["tools_out"], chat["fail_open"], chat["ranked"]) == (12, 3, False, True)
    assert chat["ms"] >= 0 and chat["time"] > 0
    forwarded = chat["forwarded"]
    assert {tool["name"] for tool in forwarded} == {"get_weather", "get_flight", "get_hotel"}
    assert all(tool["reason"] == "ranked" and tool["kept"] for tool in forwarded)
    dropped = chat["dropped"]
    assert len(dropped) == 5 and chat["dropped_count"] == 9 and not any(tool["kept"] for tool in dropped)
    assert min(tool["score"] for tool in forwarded) >= max(tool["score"] for tool in dropped)
    assert [tool["score"] for tool in dropped] == sorted((tool["score"] for tool in dropped), reverse=True)
    # Hosted tools pass through, unscored.
    assert {"name": "web_search", "score": None, "reason": "hosted", "kept": True} in responses["forwarded"]
    assert responses["tools_out"] == len(responses["forwarded"]) == 4


def test_a_request_shows_its_full_ranking(upstream):
    with proxy_with(upstream) as proxy:
        client(proxy).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
        request_id = inspect_json(proxy)["requests"][0]["id"]
        detail = inspect_json(proxy, f"/requests/{request_id}")
        missing = httpx.get(f"{root(proxy)}/inspect/requests/{request_id + 1}")
        not_a_number = httpx.get(f"{root(proxy)}/inspect/requests/latest")

    ranking = detail["ranking"]
    assert sorted(tool["name"] for tool in ranking) == sorted(f"get_{topic}" for topic in TOPICS)
    assert [tool["kept"] for tool in ranking] == [True] * 3 + [False] * 9  # kept first, then dropped
    scores = [tool["score"] for tool in ranking]
    assert scores == sorted(scores, reverse=True) and ranking[0]["name"] == "get_weather"
    assert missing.status_code == not_a_number.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_reasons_forced_called_and_unrouted(upstream):
    conversation = [
        {"role": "user", "content": "what is the stock price"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_stock", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
        {"role": "user", "content": "now check the weather"},
    ]
    with proxy_with(upstream) as proxy:
        client(proxy).chat.completions.create(model="m", messages=conversation, tools=CHAT_TOOLS, tool_choice={
            "type": "function", "function": {"name": "get_music"}})
        client(proxy).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS[:2])
        small, routed = inspect_json(proxy)["requests"]

    reasons = {tool["name"]: tool["reason"] for tool in routed["forwarded"]}
    assert reasons["get_music"] == "always" and reasons["get_stock"] == "called" and reasons["get_weather"] == "ranked"
    assert small["ranked"] is False and small["query"] == QUERY  # the query is shown even when not ranked
    assert small["forwarded"] == [{"name": "get_weather", "score": None, "reason": "unrouted", "kept": True},
                                  {"name": "get_stock", "score": None, "reason": "unrouted", "kept": True}]


def test_fail_open_requests_are_recorded(upstream):
    with proxy_with(upstream, Router(BrokenReranker())) as proxy:
        answer = client(proxy).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
        (record,) = inspect_json(proxy)["requests"]
    assert answer.choices[0].message.content == "ok"
    assert record["fail_open"] is True and record["error"].startswith("RuntimeError: model exploded")
    assert (record["tools_in"], record["tools_out"], record["forwarded"]) == (12, 12, [])


def test_the_ring_keeps_the_newest(upstream):
    with proxy_with(upstream, inspect_size=3) as proxy:
        for topic in TOPICS[:5]:
            client(proxy).chat.completions.create(model="m", tools=CHAT_TOOLS, messages=[
                {"role": "user", "content": f"the {topic} please"}])
        listed = inspect_json(proxy)
        oldest = httpx.get(f"{root(proxy)}/inspect/requests/{listed['requests'][-1]['id'] - 1}")
    assert listed["size"] == 3
    assert [record["query"] for record in listed["requests"]] == [f"the {topic} please" for topic in TOPICS[4:1:-1]]
    assert oldest.status_code == 404


def test_redaction_keeps_tools_and_scores_but_no_text(upstream):
    secret_text = "my passport number is X1234567, book a hotel"
    with proxy_with(upstream, Router(BrokenReranker()), inspect_redact=True) as failing:
        client(failing).chat.completions.create(model="m", tools=CHAT_TOOLS, messages=[
            {"role": "user", "content": secret_text}])
        failed = inspect_json(failing)["requests"][0]
    with proxy_with(upstream, inspect_redact=True) as proxy:
        client(proxy).chat.completions.create(model="m", tools=CHAT_TOOLS, messages=[
            {"role": "user", "content": secret_text}])
        client(proxy).chat.completions.create(model="m", tools=CHAT_TOOLS[:2], messages=[
            {"role": "user", "content": secret_text}])
        listed = inspect_json(proxy)
        details = [inspect_json(proxy, f"/requests/{record['id']}") for record in listed["requests"]]
    assert listed["redact"] is True
    assert [record["query"] for record in listed["requests"]] == [REDACTED, REDACTED]
    routed = details[1]
    assert "get_hotel" in {tool["name"] for tool in routed["forwarded"]}
    assert all(isinstance(tool["score"], float) for tool in routed["ranking"])
    assert failed["error"] == "RuntimeError"  # the error message could quote the request
    for text in (json.dumps(listed), json.dumps(details), json.dumps(failed)):
        assert "passport" not in text and "X1234567" not in text


def test_the_proxy_key_protects_the_json(upstream):
    router = Router(WordOverlapReranker(), registry=Registry())
    router.registry.add_tools(CHAT_TOOLS)
    with proxy_with(upstream, router, api_key=PROXY_KEY) as proxy:
        keyed = {"x-toolrouter-key": PROXY_KEY}
        client(proxy, default_headers=keyed).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
        base = root(proxy)
        refused = [httpx.get(f"{base}/inspect/requests"), httpx.get(f"{base}/inspect/requests/1"),
                   rank(proxy, {"query": "weather"}),
                   httpx.get(f"{base}/inspect/requests", headers={"x-toolrouter-key": "wrong"}),
                   httpx.get(f"{base}/inspect/requests", headers={"authorization": f"Bearer {CLIENT_KEY}"})]
        listed = inspect_json(proxy, headers=keyed)
        bearer = inspect_json(proxy, headers={"authorization": f"Bearer {PROXY_KEY}"})
        ranked = rank(proxy, {"query": "weather"}, headers=keyed)
        page = httpx.get(f"{base}/inspect")
    assert [response.status_code for response in refused] == [401] * 5
    assert all(response.json()["error"]["code"] == "invalid_api_key" for response in refused)
    assert listed["requests"][0]["tools_out"] == 3 and bearer == listed
    assert ranked.status_code == 200
    # The page holds no data and no key: it asks for the key and sends it with each JSON call.
    assert page.status_code == 200 and "x-toolrouter-key" in page.text
    assert "get_weather" not in page.text and PROXY_KEY not in page.text


def test_keys_and_authorization_never_appear(upstream):
    headers = {"x-toolrouter-key": PROXY_KEY, "api-key": "azure-secret-inspect-77"}
    router = Router(WordOverlapReranker(), registry=Registry())
    router.registry.add_tools(CHAT_TOOLS)
    with proxy_with(upstream, router, api_key=PROXY_KEY, upstream_api_key="sk-upstream-inspect-3c") as proxy:
        client(proxy, default_headers=headers).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
        client(proxy, default_headers=headers).chat.completions.create(model="m", messages=MESSAGES,
                                                                       tools=CHAT_TOOLS, stream=True)
        httpx.post(f"{proxy}/chat/completions", headers={"authorization": f"Bearer {PROXY_KEY}"},
                   json={"model": "m", "messages": MESSAGES, "tools": CHAT_TOOLS})
        listed = inspect_json(proxy, headers={"x-toolrouter-key": PROXY_KEY})
        outputs = [json.dumps(listed), httpx.get(f"{root(proxy)}/inspect").text]
        for record in listed["requests"]:
            outputs.append(json.dumps(inspect_json(proxy, f"/requests/{record['id']}",
                                                   headers={"x-toolrouter-key": PROXY_KEY})))
            outputs.append(rank(proxy, {"query": "weather", "request": record["id"]},
                                headers={"x-toolrouter-key": PROXY_KEY}).text)
    assert len(listed["requests"]) == 3
    for text in outputs:
        for secret in (PROXY_KEY, CLIENT_KEY, "sk-upstream-inspect-3c", "azure-secret-inspect-77", "Bearer"):
            assert secret not in text
        assert "authorization" not in text.lower()


def test_size_zero_turns_the_inspector_off(upstream):
    with proxy_with(upstream, inspect_size=0) as proxy:
        raw = client(proxy).chat.completions.with_raw_response.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS)
        statuses = [httpx.get(f"{root(proxy)}/inspect").status_code,
                    httpx.get(f"{root(proxy)}/inspect/requests").status_code,
                    rank(proxy, {"query": "weather"}).status_code]
    assert raw.headers["x-toolrouter-count"] == "12->3"
    assert statuses == [404, 404, 404]


def test_bad_settings_are_refused(upstream):
    from toolrouter.proxy.app import create_app

    with pytest.raises(ValueError, match="inspect_size must be a non-negative integer, got -1"):
        create_app(upstream.url, Router(WordOverlapReranker()), inspect_size=-1)
    result = CliRunner().invoke(cli_app, ["serve", "--upstream", "http://127.0.0.1:9/v1", "--inspect-size", "-1"])
    assert result.exit_code == 2 and "inspect_size must be a non-negative integer" in result.output


def test_a_recording_failure_never_fails_the_request(upstream, caplog):
    class FailingInspector(Inspector):
        """Breaks while building each record (a fault injected into the real ring)."""

        def _build(self, *args, **kwargs):
            raise RuntimeError("inspector exploded")

    from proxy_support import serve

    from toolrouter.proxy.app import create_app

    application = create_app(upstream.url, Router(WordOverlapReranker()), k=3)
    application.state.proxy.inspector = FailingInspector(5)
    with caplog.at_level(logging.WARNING, "toolrouter.proxy"), serve(application) as url:
        raw = client(f"{url}/v1").chat.completions.with_raw_response.create(model="m", messages=MESSAGES,
                                                                            tools=CHAT_TOOLS)
    assert raw.parse().choices[0].message.content == "ok" and raw.headers["x-toolrouter-count"] == "12->3"
    assert "inspector: request not recorded: RuntimeError" in caplog.text
    # The same holds for input the ring cannot read: nothing is raised, nothing recorded.
    inspector = Inspector(5)
    inspector.record("chat", None, RoutedRequest({}, False, (), 0, 0), 3, "filter")  # type: ignore[arg-type]
    assert inspector.recent() == []


def test_odd_text_stays_valid_json(upstream):
    raw = ('{"model": "m", "messages": [{"role": "user", "content": "weather \\ud800 <b>x</b>"}], "tools": '
           + json.dumps(CHAT_TOOLS) + "}").encode()
    with proxy_with(upstream) as proxy:
        assert httpx.post(f"{proxy}/chat/completions", content=raw,
                          headers={"content-type": "application/json"}).status_code == 200
        response = httpx.get(f"{root(proxy)}/inspect/requests")
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["requests"][0]["query"] == "weather \ud800 <b>x</b>"


def test_the_playground_ranks_the_registry_and_recent_requests(upstream):
    router = Router(WordOverlapReranker(), registry=Registry())
    router.registry.add_tools(CHAT_TOOLS)
    router.registry.add_tables("CREATE TABLE customer (id INT PRIMARY KEY, name TEXT);"
                               "CREATE TABLE product (id INT PRIMARY KEY, price INT);")
    with proxy_with(upstream, router) as proxy:
        client(proxy).chat.completions.create(model="m", messages=MESSAGES, tools=CHAT_TOOLS[:6])
        request_id = inspect_json(proxy)["requests"][0]["id"]
        assert inspect_json(proxy)["registry"] == {"tool": 12, "table": 2}
        tools = rank(proxy, {"query": "the stock and the news", "k": 2, "kind": "tool"}).json()
        tables = rank(proxy, {"query": "product price", "k": 1, "kind": "table"}).json()
        over_request = rank(proxy, {"query": "the stock and the email", "k": 2, "request": request_id}).json()
        errors = [rank(proxy, payload) for payload in (
            {"query": "x", "request": request_id + 100}, {"query": "x", "kind": "table", "request": request_id},
            {"query": "   "}, {"query": "x", "k": 0}, {"query": "x", "k": 1000}, {"query": "x", "kind": "column"},
            {"query": 3}, {"query": "x", "request": "1"})]
        not_json = httpx.post(f"{root(proxy)}/inspect/rank", content=b"[1]")

    assert tools["source"] == "registry" and tools["pool"] == 12 and len(tools["ranking"]) == 12
    assert tools["query"] == tools["routed_text"] == "the stock and the news"
    assert [(row["name"], row["kept"]) for row in tools["ranking"][:3]] == [
        ("get_stock", True), ("get_news", True), ("get_weather", False)]
    assert [row["rank"] for row in tools["ranking"]] == list(range(1, 13))
    assert tables["kind"] == "table" and tables["ranking"][0]["name"] == "product" and tables["ranking"][0]["kept"]
    assert over_request["source"] == f"request {request_id}" and over_request["pool"] == 6
    assert [row["name"] for row in over_request["ranking"] if row["kept"]] == ["get_stock", "get_email"]
    assert [response.status_code for response in errors] == [404, 400, 400, 400, 400, 400, 400, 400]
    assert [response.json()["error"]["param"] for response in errors] == [
        "request", "kind", "query", "k", "k", "kind", "query", "request"]
    assert not_json.status_code == 400


def test_routing_reports_every_tool_once():
    """route_request's ranking: kept in selection order, hosted, dropped best first, unscored ones last."""
    from toolrouter.proxy.routing import route_request

    router = Router(WordOverlapReranker(), first_stage="bm25", candidates=5)
    body = {"messages": [{"role": "user", "content": "the stock and the news"}],
            "tools": [{"type": "web_search"}, *CHAT_TOOLS]}
    routed = route_request(body, "chat", router, k=2)
    ranking = routed.ranking
    assert routed.query == "the stock and the news"
    assert sorted(tool.name for tool in ranking) == sorted(["web_search", *(f"get_{topic}" for topic in TOPICS)])
    assert [(tool.name, tool.reason) for tool in ranking[:3]] == [
        ("get_stock", "ranked"), ("get_news", "ranked"), ("web_search", "hosted")]
    scored = [tool.score for tool in ranking[3:] if tool.score is not None]
    unscored = [tool.name for tool in ranking[3:] if tool.score is None]
    assert len(scored) == 3 and scored == sorted(scored, reverse=True)  # 5 candidates scored, 2 kept
    assert len(unscored) == 7 and [tool.score for tool in ranking[-7:]] == [None] * 7  # request order, last
    assert unscored == [name for name in (f"get_{topic}" for topic in TOPICS) if name in unscored]
    assert all(tool.reason == "dropped" and not tool.kept for tool in ranking[3:])


def test_the_playground_says_when_there_is_nothing_to_rank(upstream):
    with proxy_with(upstream) as proxy:
        empty = rank(proxy, {"query": "weather"})
    assert empty.status_code == 400 and "registry has no tools" in empty.json()["error"]["message"]


# The page in a real browser
@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by selenium; Debian's chromium is apt-installed when missing (as root)."""
    pytest.importorskip("selenium", reason="selenium is not installed: pip install -e '.[dev]'")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.sql.live_servers import ensure_package

    for binary, package in (("chromium", "chromium"), ("chromedriver", "chromium-driver")):
        why = ensure_package(binary, package)
        if why is not None:
            pytest.skip(f"no headless browser: {why}")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.set_window_size(1280, 900)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_page_in_a_browser(upstream, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    router = Router(WordOverlapReranker(), registry=Registry())
    router.registry.add_tools(CHAT_TOOLS)
    wait = WebDriverWait(browser, 20)
    with proxy_with(upstream, router, api_key=PROXY_KEY) as proxy:
        keyed = client(proxy, default_headers={"x-toolrouter-key": PROXY_KEY})
        keyed.chat.completions.create(model="gpt-4.1", messages=MESSAGES, tools=CHAT_TOOLS)
        keyed.responses.create(model="gpt-4.1", input="what is the stock price and the news",
                               tools=[{"type": "web_search"}, *RESPONSES_TOOLS])
        keyed.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "play some music"}],
                                      tools=CHAT_TOOLS[:2])

        # Without the key the page asks for it; typed in, the requests appear.
        browser.get(f"{root(proxy)}/inspect")
        wait.until(lambda driver: driver.find_element(By.ID, "keybox").is_displayed())
        assert not browser.find_elements(By.CSS_SELECTOR, ".request")
        browser.find_element(By.ID, "key").send_keys(PROXY_KEY + "\n")
        wait.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".request")) == 3)
        # From the URL fragment (never sent to the server), which then leaves the address bar.
        browser.execute_script("sessionStorage.clear()")
        browser.get("about:blank")
        browser.get(f"{root(proxy)}/inspect#key={PROXY_KEY}")
        wait.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".request")) == 3)
        assert PROXY_KEY not in browser.current_url
        assert not browser.find_element(By.ID, "keybox").is_displayed()
        cards = browser.find_elements(By.CSS_SELECTOR, ".request")
        chat_card = cards[-1]
        assert {"get_weather", "get_flight", "get_hotel"} <= set(chat_card.text.split())
        assert "12 → 3 tools" in chat_card.text and "best dropped" in chat_card.text
        assert "not ranked" in cards[0].text and "web_search" in cards[1].text

        chat_card.click()
        wait.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "#detail-body .rank-row")) == 12)
        rows = browser.find_elements(By.CSS_SELECTOR, "#detail-body .rank-row")
        assert rows[0].get_attribute("data-name") == "get_weather" and "kept" in rows[0].get_attribute("class")
        assert "dropped" in rows[-1].get_attribute("class")
        bar = rows[0].find_element(By.CSS_SELECTOR, ".bar i")
        assert bar.size["width"] > 0

        query = browser.find_element(By.ID, "play-query")
        query.clear()
        query.send_keys("what is the stock price")
        k = browser.find_element(By.ID, "play-k")
        k.clear()
        k.send_keys("2")
        assert browser.find_element(By.ID, "play-source").get_attribute("value") == "registry"
        browser.find_element(By.ID, "play-run").click()
        wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#play-result .rank-row.kept"))
        kept = browser.find_elements(By.CSS_SELECTOR, "#play-result .rank-row.kept")
        assert kept[0].get_attribute("data-name") == "get_stock" and len(kept) == 2
        assert "over registry" in browser.find_element(By.ID, "play-result").text

        screenshot = os.environ.get("TOOLROUTER_INSPECTOR_SCREENSHOT")
        if screenshot:
            browser.save_screenshot(screenshot)
        # No script errors (the 401 answers before the key was typed are network entries).
        errors = [entry for entry in browser.get_log("browser")
                  if entry["level"] == "SEVERE" and entry.get("source") != "network"]
    assert errors == []
