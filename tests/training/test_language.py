"""The language subspace's measurement: parallel questions read from XQuAD-shaped files, the
subspace spanning the languages' offsets, and the written file the router loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from toolrouter.retrieve import load_language_subspace
from training.language import build, language_subspace, training_questions
from training.xquad_groups import XQUAD_LANGUAGES

# One question per article, "translated" by tagging it with the language.
ARTICLES = {"Weather": "Why does it rain more in autumn?", "Trade": "Which port handled the most cargo?",
            "Held": "Who wrote the ninety-five theses?"}


def write_xquad(shared: Path, data: Path, shuffled: str | None = None) -> None:
    """XQuAD-shaped files; the ``shuffled`` language lists its articles in another order."""
    (shared / "xquad").mkdir(parents=True)
    for language in XQUAD_LANGUAGES:
        articles = [{"title": title, "paragraphs": [{"context": "...", "qas": [
            {"id": title, "question": f"[{language}] {question}", "answers": []}]}]}
            for title, question in ARTICLES.items()]
        if language == shuffled:
            articles.reverse()
        (shared / "xquad" / f"xquad.{language}.json").write_text(json.dumps({"data": articles}))
    data.mkdir()
    (data / "manifest.json").write_text(json.dumps({"held_out": {"xquad_articles": ["Held"]}}))


def test_training_questions_leave_the_held_out_articles_out(tmp_path):
    write_xquad(tmp_path / "shared", tmp_path / "data")
    questions = training_questions(tmp_path / "data", tmp_path / "shared")
    assert set(questions) == set(XQUAD_LANGUAGES)
    assert questions["de"] == ["[de] Why does it rain more in autumn?", "[de] Which port handled the most cargo?"]


def test_questions_that_are_not_parallel_are_refused(tmp_path):
    write_xquad(tmp_path / "shared", tmp_path / "data", shuffled="th")
    with pytest.raises(ValueError, match="th is not parallel"):
        training_questions(tmp_path / "data", tmp_path / "shared")


def test_the_subspace_spans_the_language_offsets_and_anchors_on_english():
    rng = np.random.default_rng(0)
    content = rng.normal(size=8)
    offsets = rng.normal(size=(4, 8))
    centroids = content + offsets
    basis, anchor = language_subspace(centroids, anchor_row=1)
    assert basis.shape == (3, 8)  # four languages differ in three directions
    np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-5)
    differences = centroids - centroids[0]
    np.testing.assert_allclose(differences @ basis.T @ basis, differences, atol=1e-5)
    np.testing.assert_allclose(anchor, basis.T @ (basis @ centroids[1]), atol=1e-5)


def test_build_writes_a_subspace_the_router_loads(tmp_path):
    write_xquad(tmp_path / "shared", tmp_path / "data")
    target = tmp_path / "subspace.safetensors"
    summary = build(tmp_path / "data", tmp_path / "shared", tmp_path / "run", target)
    assert summary["rank"] == str(len(XQUAD_LANGUAGES) - 1) and summary["questions_per_language"] == "2"
    loaded = load_language_subspace(target)
    assert loaded is not None and loaded.basis.shape == (len(XQUAD_LANGUAGES) - 1, 384)
