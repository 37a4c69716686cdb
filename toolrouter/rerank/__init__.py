"""Rerankers: model backends that score (query, item text) pairs.

:func:`load_reranker` resolves a name to a backend and loads each model once per process, so
every :class:`~toolrouter.Router` naming the same model shares it.
"""

from __future__ import annotations

import threading
from typing import Any

from toolrouter.rerank.base import BaseReranker, Blend, Reranker, ScoreCache

__all__ = ["BaseReranker", "Blend", "Reranker", "ScoreCache", "load_reranker"]

# Names that mean the bundled default model.
DEFAULT_MODEL_NAMES = frozenset({"default", "toolrouter-default"})

_loaded: dict[tuple[str, tuple[tuple[str, Any], ...]], Reranker] = {}
_lock = threading.Lock()


def load_reranker(name_or_path: str | Reranker | None = None, **options: Any) -> Reranker:
    """Return the reranker for a name, path or URL, loading it once per process.

    Args:
        name_or_path: ``None`` or ``"default"`` for the bundled offline model; a local Hugging Face
            model directory or a hub id already in the local cache (XLM-RoBERTa cross-encoders such as
            jina-reranker-v2 and bge-reranker-v2-m3 run on the native backend, others on Hugging
            Face's); an ``http(s)://`` rerank service URL (:class:`~toolrouter.rerank.remote.RemoteReranker`,
            pick its ``api=``); or a ready :class:`Reranker`, returned as is. Defaults to None.
        **options: Backend options (``max_length``, ``batch_size``, ``device``, ``precision``; for a
            URL ``api``, ``model``, ``api_key`` ...).

    Raises:
        RerankerError: The model cannot be found or loaded; the message says how to fix it.
    """
    if name_or_path is not None and not isinstance(name_or_path, str):
        if isinstance(name_or_path, Reranker):
            return name_or_path
        raise TypeError(f"model must be a name, a path or a Reranker, got {type(name_or_path).__name__}")
    name = "default" if name_or_path is None or name_or_path in DEFAULT_MODEL_NAMES else name_or_path
    key = (name, tuple(sorted(options.items(), key=lambda kv: kv[0])))
    with _lock:
        if key not in _loaded:
            _loaded[key] = _create(name, options)
        return _loaded[key]


def _create(name: str, options: dict[str, Any]) -> Reranker:
    """Pick the backend: the bundled model, a rerank service (URL), the native XLM-RoBERTa backend
    (jina-reranker-v2, bge-reranker-v2-m3 and other XLM-R cross-encoders), else Hugging Face's."""
    if name == "default":
        from toolrouter.rerank.bundled import DeferredBundled

        return DeferredBundled(**options)
    if name.startswith(("http://", "https://")):
        from toolrouter.rerank.remote import RemoteReranker

        return RemoteReranker(name, **options)
    from toolrouter.rerank import xlmr

    if xlmr.is_native(name, options.get("cache_dir")):
        return xlmr.XLMRobertaReranker.from_pretrained(name, **options)
    from toolrouter.rerank.cross_encoder import HFCrossEncoder

    return HFCrossEncoder(name, **options)
