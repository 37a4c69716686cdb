"""Integration fixtures: a word-overlap router and ten plain functions every framework can wrap as tools."""

from __future__ import annotations

import pytest

from toolrouter.router import Router


def get_weather(city: str) -> str:
    """Get the current weather forecast for a city."""
    return f"sunny in {city}"


def convert_currency(amount: float, source: str, target: str) -> float:
    """Convert an amount of money from one currency to another currency."""
    return amount


def book_hotel(city: str, nights: int) -> str:
    """Book a hotel room in a city for a number of nights."""
    return "booked"


def send_email(to: str, subject: str, body: str) -> str:
    """Send an email message to a recipient."""
    return "sent"


def create_calendar_event(title: str, start: str) -> str:
    """Create an event in the user's calendar."""
    return "created"


def search_flights(origin: str, destination: str, date: str) -> str:
    """Search flights between two airports on a date."""
    return "none"


def read_file(path: str) -> str:
    """Read a text file from the workspace."""
    return ""


def translate_text(text: str, language: str) -> str:
    """Translate text into another language."""
    return text


def play_music(song: str) -> str:
    """Play a song on the speaker."""
    return "playing"


def order_pizza(size: str, toppings: str) -> str:
    """Order a pizza for delivery."""
    return "ordered"


FUNCTIONS = [get_weather, convert_currency, book_hotel, send_email, create_calendar_event, search_flights,
             read_file, translate_text, play_music, order_pizza]


@pytest.fixture()
def overlap_router(overlap_reranker) -> Router:
    """A router scoring by word overlap: deterministic, no model to load."""
    return Router(overlap_reranker)
