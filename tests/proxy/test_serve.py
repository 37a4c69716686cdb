"""The ``toolrouter serve`` command's argument checks (the server itself is tested through create_app)."""

from __future__ import annotations

from typer.testing import CliRunner

from toolrouter.cli import app


def serve_error(*arguments: str) -> str:
    """Run ``toolrouter serve`` expecting exit status 2; its output on one line."""
    result = CliRunner().invoke(app, ["serve", "--upstream", "http://127.0.0.1:9/v1", *arguments])
    assert result.exit_code == 2
    return " ".join(result.output.split())


def test_serve_refuses_bad_settings(tmp_path):
    assert "mode must be one of 'filter', 'allowed_tools', got 'drop'" in serve_error("--mode", "drop")
    assert "k must be a positive integer" in serve_error("--k", "0")
    assert "does not exist" in serve_error("--model", str(tmp_path / "missing"))
