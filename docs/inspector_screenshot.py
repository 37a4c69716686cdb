"""Draw ``docs/inspector.png``: the proxy's ``/inspect`` page after a few routed requests.

Runs everything on loopback: a stand-in upstream that answers every request with "ok", the proxy
(``create_app``) with the bundled model and a registry of the same tools for the playground, a few
requests through it with the official ``openai`` client, then headless Chromium (selenium) at
1280x900: one request opened, one playground query ranked. Needs the ``dev`` extra and Debian's
``chromium`` and ``chromium-driver``::

    python docs/inspector_screenshot.py [--out docs/inspector.png]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from toolrouter import Router
from toolrouter.proxy import create_app

KEY = "screenshot-key"
# name, description, {parameter: description}
TOOLS = [
    ("get_weather", "Current weather for a city.", {"city": "City name"}),
    ("get_forecast", "Weather forecast for the next days.", {"city": "City name", "days": "Days ahead"}),
    ("search_flights", "Search flights between two airports on a date.",
     {"origin": "From", "destination": "To", "date": "Departure date"}),
    ("book_hotel", "Book a hotel room.", {"city": "City", "check_in": "Arrival date", "nights": "Nights"}),
    ("convert_currency", "Convert an amount between currencies.", {"amount": "Amount", "to": "Target currency"}),
    ("get_stock_quote", "Latest stock price for a ticker symbol.", {"symbol": "Ticker"}),
    ("send_email", "Send an email.", {"to": "Recipient", "subject": "Subject", "body": "Text"}),
    ("create_calendar_event", "Add an event to the calendar.", {"title": "Title", "start": "Start time"}),
    ("translate_text", "Translate text into another language.", {"text": "Text", "target": "Language"}),
    ("search_restaurants", "Find restaurants in a city by cuisine.", {"city": "City", "cuisine": "Cuisine"}),
    ("get_directions", "Route between two places by car, transit or on foot.",
     {"origin": "From", "destination": "To", "mode": "driving, transit or walking"}),
    ("play_music", "Play a song, artist or playlist.", {"query": "What to play"}),
    ("set_timer", "Start a countdown timer.", {"minutes": "Duration in minutes"}),
    ("get_news", "Latest news headlines on a topic.", {"topic": "Topic"}),
    ("calculate_carbon_footprint", "CO2 emissions of a trip by vehicle type and distance.",
     {"distance_km": "Distance", "vehicle": "car, train or plane"}),
    ("lookup_order", "Status and contents of a customer order.", {"order_id": "Order number"}),
    ("refund_order", "Refund a customer order.", {"order_id": "Order number", "reason": "Why"}),
    ("create_support_ticket", "Open a support ticket.", {"subject": "Subject", "description": "Details"}),
    ("search_docs", "Search the product documentation.", {"query": "Search terms"}),
    ("run_sql_query", "Run a read-only SQL query on the analytics database.", {"sql": "SELECT statement"}),
]


def chat_tool(name: str, description: str, parameters: dict[str, str]) -> dict[str, Any]:
    properties = {key: {"type": "string", "description": text} for key, text in parameters.items()}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": list(parameters)}}}


def responses_tool(name: str, description: str, parameters: dict[str, str]) -> dict[str, Any]:
    return {"type": "function", **chat_tool(name, description, parameters)["function"]}


def upstream_app() -> Starlette:
    """Answers Chat Completions and Responses requests with "ok"."""

    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                                          "finish_reason": "stop"}]})

    async def responses(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"id": "resp_1", "object": "response", "created_at": 0, "status": "completed",
                             "model": body["model"], "output": [], "parallel_tool_calls": True,
                             "tool_choice": "auto", "tools": []})

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]),
                             Route("/v1/responses", responses, methods=["POST"])])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` on a free loopback port (uvicorn in a thread); yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def send_requests(base_url: str) -> None:
    """A few requests of different kinds: routed, hosted tools, forced, already called, multilingual, small."""
    client = openai.OpenAI(base_url=base_url, api_key="sk-client", default_headers={"x-toolrouter-key": KEY})
    chat_tools = [chat_tool(*tool) for tool in TOOLS]
    client.chat.completions.create(model="gpt-4.1", tools=chat_tools, messages=[
        {"role": "user", "content": "Email Anna our itinerary"}],
        tool_choice={"type": "function", "function": {"name": "send_email"}})
    client.chat.completions.create(model="gpt-4.1", tools=chat_tools, messages=[
        {"role": "user", "content": "Where is my order 8812?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
            "name": "lookup_order", "arguments": '{"order_id": "8812"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"status": "delivered"}'},
        {"role": "user", "content": "It arrived broken, I want my money back"}])
    client.chat.completions.create(model="gpt-4.1-mini", tools=[chat_tool(*tool) for tool in TOOLS[:3]], messages=[
        {"role": "user", "content": "Is it going to rain in Lisbon tomorrow?"}])
    client.chat.completions.create(model="gpt-4.1", tools=chat_tools, messages=[
        {"role": "user", "content": "Wie viel CO2 verursacht eine Autofahrt von 300 km?"}])
    client.responses.create(model="gpt-4.1", tools=[{"type": "web_search"}, *(responses_tool(*t) for t in TOOLS)],
                            input="What's the weather in Lisbon this weekend, and any news on the transit strike?")
    client.chat.completions.create(model="gpt-4.1", tools=chat_tools, messages=[
        {"role": "user", "content": "I'm flying from Berlin to Lisbon on Friday: find me a flight and a hotel "
                                    "for three nights"}])


def screenshot(page_url: str, out: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars",
                     "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        driver.get(page_url)
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".request")) >= 6)
        driver.find_elements(By.CSS_SELECTOR, ".request")[0].click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#detail-body .rank-row"))
        query = driver.find_element(By.ID, "play-query")
        query.send_keys("convert 200 euros to dollars and check the Tesla share price")
        k = driver.find_element(By.ID, "play-k")
        k.clear()
        k.send_keys("3")
        driver.find_element(By.ID, "play-run").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#play-result .rank-row"))
        driver.execute_script("document.activeElement.blur()")
        driver.save_screenshot(str(out))
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "inspector.png")
    parser.add_argument("--model", help="Model directory or hub id; the bundled model when omitted.")
    arguments = parser.parse_args()
    router = Router(arguments.model)
    router.add_tools([chat_tool(*tool) for tool in TOOLS])
    with serve(upstream_app()) as upstream, serve(create_app(f"{upstream}/v1", router, k=4, api_key=KEY)) as proxy:
        send_requests(f"{proxy}/v1")
        screenshot(f"{proxy}/inspect#key={KEY}", arguments.out)
    print(f"wrote {arguments.out}")


if __name__ == "__main__":
    main()
