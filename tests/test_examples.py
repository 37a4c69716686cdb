"""The runnable scripts in examples/ run offline on the bundled model and do what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from toolrouter.rerank.bundled import MODEL_DIR

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

pytestmark = pytest.mark.skipif(not (MODEL_DIR / "model.safetensors").exists(), reason="bundled model not built")


def run_example(name: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {"agent_loop.py", "text_to_sql.py"}


def test_agent_loop_routes_each_turn_and_keeps_called_tools():
    out = run_example("agent_loop.py")
    turns = out.split("turn ")[1:]
    assert len(turns) == 3
    assert "get_weather" in turns[0].splitlines()[1]  # ranked first on the first turn
    assert "convert_currency" in turns[1] and "called" in turns[1]  # a German request; get_weather kept
    assert "book_hotel" in turns[2] and "create_calendar_event" in turns[2]


def test_text_to_sql_prunes_checks_and_runs():
    out = run_example("text_to_sql.py")
    assert "34 tables in retail.db" in out and "saved)" in out
    assert "refused: only read-only queries" in out
    assert "refused: unknown column 'nickname' in table 'customer_personal_info'" in out
    assert "accepted and run read-only:" in out and "LIMIT 1000" in out
    assert "customer_personal_info" in out.split("Prompt for the model")[0]  # joined in as a bridge
    assert "first_name | last_name | spent" in out
