"""Local Hugging Face sequence-classification cross-encoders (BERT and XLM-RoBERTa families).

Pairs are tokenized together (``<s> query </s></s> text </s>``), sorted by length so each batch
carries little padding, and scored as ``sigmoid(logit)``. On CPUs with native bf16 (AVX-512
BF16 or AMX) the model runs in bfloat16; elsewhere in float32.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from toolrouter.errors import MissingDependencyError, RerankerError
from toolrouter.rerank.base import DEFAULT_CACHE_SIZE, BaseReranker

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

# Tokens per (query, text) pair; longer pairs are truncated, the text side first.
DEFAULT_MAX_LENGTH = 512
# Tokens kept of the query alone, so a huge request cannot crowd out the item text.
DEFAULT_MAX_QUERY_LENGTH = 128
# Pairs per forward pass.
DEFAULT_BATCH_SIZE = 32

Precision = Literal["auto", "float32", "bfloat16"]


def import_torch():
    """Import torch, or raise the error that says which extra installs it."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a core dependency
        raise MissingDependencyError("torch", "rerank") from exc
    return torch


@cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 matmuls natively (AVX-512 BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            flags = handle.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_device(device: str | None) -> str:
    """``None`` picks CUDA when available, else CPU (logged once per choice)."""
    if device is not None:
        return device
    torch = import_torch()
    chosen = "cuda" if torch.cuda.is_available() else "cpu"
    logger.info("toolrouter: scoring on %s", chosen)
    return chosen


def resolve_dtype(precision: Precision, device: str) -> torch.dtype:
    """bf16 on GPUs and on CPUs with native bf16 when ``auto``; else the requested precision."""
    torch = import_torch()
    choices = {"float32": torch.float32, "bfloat16": torch.bfloat16}
    if precision == "auto":
        native = device.startswith("cuda") or (device == "cpu" and cpu_has_native_bf16())
        return torch.bfloat16 if native else torch.float32
    if precision not in choices:
        raise ValueError(f"precision must be one of 'auto', 'float32', 'bfloat16', got {precision!r}")
    return choices[precision]


def configure_threads() -> None:
    """Use every core for intra-op work unless the user pinned a count (OMP/torch env)."""
    torch = import_torch()
    if "OMP_NUM_THREADS" not in os.environ and "TORCH_NUM_THREADS" not in os.environ:
        torch.set_num_threads(os.cpu_count() or 1)


class HFCrossEncoder(BaseReranker):
    """A cross-encoder loaded from a local Hugging Face model directory or the local HF cache.

    Args:
        model: A model object (``*ForSequenceClassification``, or toolrouter's native
            :class:`~toolrouter.rerank.xlmr.XLMRobertaCrossEncoder`) or a directory / hub id to load.
        tokenizer: The tokenizer when ``model`` is an object (a transformers fast tokenizer, or a
            ``tokenizers.Tokenizer`` for the native module); loaded from ``model`` otherwise.
        max_length: Tokens per pair. Defaults to ``DEFAULT_MAX_LENGTH``.
        max_query_length: Tokens kept of the query. Defaults to ``DEFAULT_MAX_QUERY_LENGTH``.
        batch_size: Pairs per forward pass. Defaults to ``DEFAULT_BATCH_SIZE``.
        device: ``"cpu"``, ``"cuda"``...; ``None`` auto-detects. Defaults to None.
        precision: ``"auto"`` (bf16 where native), ``"float32"`` or ``"bfloat16"``. Defaults to "auto".
        name: Display and cache name. Defaults to the path or the model's name.
        cache_size: LRU cache entries. Defaults to ``DEFAULT_CACHE_SIZE``.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        *,
        max_length: int = DEFAULT_MAX_LENGTH,
        max_query_length: int = DEFAULT_MAX_QUERY_LENGTH,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = None,
        precision: Precision = "auto",
        name: str | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        torch = import_torch()
        configure_threads()
        if isinstance(model, str | os.PathLike):
            source = str(model)
            model, tokenizer = load_hf_model(source)
            name = name or source
        if tokenizer is None:
            raise ValueError("HFCrossEncoder needs a tokenizer when given a model object")
        super().__init__(name or getattr(model.config, "name_or_path", "") or type(model).__name__, cache_size)
        from toolrouter.rerank.xlmr import XLMRobertaCrossEncoder, native_twin

        self.device = resolve_device(device)
        self.dtype = resolve_dtype(precision, self.device)
        self.tokenizer = tokenizer
        if isinstance(model, XLMRobertaCrossEncoder):
            native, positions, self.pad_id = model, model.config.position_limit, model.config.pad_token_id
        else:
            # XLM-R classifiers run on the native module: same logits, less work (see xlmr.native_twin).
            native = native_twin(model, tokenizer)
            positions = getattr(model.config, "max_position_embeddings", max_length)
            # RoBERTa-style models start positions after the pad id, losing pad_id+1 slots.
            if getattr(model.config, "model_type", "") in {"xlm-roberta", "roberta"}:
                positions -= 2
            self.pad_id = tokenizer.pad_token_id or 0
        self.max_length = min(max_length, positions)
        self.max_query_length = max_query_length
        self.batch_size = batch_size
        # Segment ids matter only to models trained with more than one token type (BERT pairs).
        self.uses_token_types = native is None and getattr(model.config, "type_vocab_size", 1) > 1
        self.is_native = native is not None
        self.model = (native or model).to(device=self.device, dtype=self.dtype).eval()
        self._torch = torch

    def _encode_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
        """(token ids, token type ids) per pair: query clipped to its budget, text to what is left."""
        return encode_pairs(self.tokenizer, pairs, self.max_length, self.max_query_length)

    def _score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        torch = self._torch
        encoded = self._encode_pairs(pairs)
        scores = np.empty(len(pairs), dtype=np.float32)
        with torch.inference_mode():
            for rows in length_sorted_batches([len(ids) for ids, _ in encoded], self.batch_size):
                input_ids, attention = pad_batch([encoded[i][0] for i in rows], self.pad_id)
                if self.is_native:
                    logits = self.model(input_ids.to(self.device), attention.to(self.device))
                else:
                    inputs = {"input_ids": input_ids, "attention_mask": attention}
                    if self.uses_token_types:
                        inputs["token_type_ids"] = pad_batch([encoded[i][1] for i in rows], 0)[0]
                    logits = self.model(**{key: value.to(self.device) for key, value in inputs.items()}).logits
                scores[rows] = logits_to_scores(logits.float()).cpu().numpy()
        return scores


def encode_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int,
                 max_query_length: int) -> list[tuple[list[int], list[int]]]:
    """(token ids, token type ids) per (query, text) pair, with specials.

    The query keeps at most ``max_query_length`` tokens and the text fills what is left of
    ``max_length``; training and serving both encode through here, so they truncate alike.
    """
    backend = getattr(tokenizer, "backend_tokenizer", tokenizer)  # a transformers fast tokenizer or its backend
    specials = backend.num_special_tokens_to_add(is_pair=True)
    queries = backend.encode_batch([q for q, _ in pairs], add_special_tokens=False)
    texts = backend.encode_batch([t for _, t in pairs], add_special_tokens=False)
    encoded = []
    for query, text in zip(queries, texts):
        query.truncate(min(max_query_length, max_length - specials))
        text.truncate(max(max_length - specials - len(query.ids), 0))
        pair = backend.post_process(query, text, add_special_tokens=True)
        encoded.append((pair.ids, pair.type_ids))
    return encoded


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Row indices grouped into batches of similar length (stable), so each batch carries little padding."""
    order = np.argsort(np.asarray(lengths, dtype=np.int64), kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ``(ids, attention_mask)`` long tensors for lists of token ids."""
    torch = import_torch()
    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids, mask


def logits_to_scores(logits: torch.Tensor) -> torch.Tensor:
    """sigmoid of a single logit; for two-class heads, the positive class probability."""
    if logits.shape[-1] == 1:
        return logits[:, 0].sigmoid()
    return logits.softmax(-1)[:, -1]


def load_hf_model(source: str) -> tuple[Any, Any]:
    """Load a sequence-classification model and tokenizer from a directory or the local HF cache.

    Never touches the network: a hub id must already be in the local cache.

    Raises:
        RerankerError: The model cannot be found, or a file of it is corrupt (a broken
            ``*.safetensors`` file is named).
    """
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError as exc:  # pragma: no cover - transformers is a core dependency
        raise MissingDependencyError("transformers", "rerank") from exc
    hf_logging.disable_progress_bar()
    path = Path(source).expanduser()
    is_dir = path.is_dir()
    if not is_dir and (source.startswith((".", "/", "~")) or source.count("/") > 1):
        raise RerankerError(f"model directory {source!r} does not exist")
    if is_dir:
        if not (path / "config.json").is_file():
            raise RerankerError(f"model directory {path} has no config.json: not a Hugging Face model directory")
        check_safetensors(path)
    where = str(path) if is_dir else source
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(where, local_files_only=True)
    # Broken files surface as OSError, ValueError, TypeError, RuntimeError (weights that do not fit
    # the config), SafetensorError, or the bare Exception of the tokenizers library.
    except Exception as exc:
        raise RerankerError(
            f"cannot load cross-encoder {source!r}: {exc}\n"
            "toolrouter never downloads weights at run time. Pass a local model directory "
            "(Router(model='/path/to/model')), pre-fill the Hugging Face cache on a machine with "
            "network access (huggingface-cli download <id>), or use Router() for the bundled model."
        ) from exc
    return model, tokenizer


def check_safetensors(directory: Path) -> None:
    """Read the header of every ``*.safetensors`` file in ``directory``, so a truncated or corrupt one
    is named (safetensors checks that the header is sound and that the data covers it).

    Raises:
        RerankerError: A file's header is unreadable or promises more data than the file holds.
    """
    from safetensors import SafetensorError, safe_open

    for weights in sorted(directory.glob("*.safetensors")):
        try:
            with safe_open(str(weights), framework="numpy"):
                pass
        except (OSError, SafetensorError) as exc:
            raise RerankerError(f"weights file {weights} is truncated or corrupt: {exc}") from exc
