"""The native XLM-RoBERTa backend on a tiny random model: parity with transformers, jina's checkpoint
layout, Jina's long-document windows, loading and its errors. Nothing is downloaded."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from toolrouter.errors import RerankerError
from toolrouter.rerank import load_reranker
from toolrouter.rerank.cross_encoder import HFCrossEncoder
from toolrouter.rerank.xlmr import (
    JINA_RERANKER_V2,
    WindowSettings,
    XLMRobertaConfig,
    XLMRobertaCrossEncoder,
    XLMRobertaReranker,
    checkpoint_layout,
    export_hf_checkpoint,
    hf_state_dict,
    native_state_dict,
    supports_config,
    window_settings,
    window_spans,
)

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
WORDS = [f"w{i}" for i in range(996)]
QUERY = "w1 w2 w3 w4"
# jina-reranker-v2's config.json, shrunk: no model_type, an auto_map into its remote code.
JINA_CONFIG = {
    "architectures": ["XLMRobertaForSequenceClassification"],
    "auto_map": {"AutoConfig": "configuration_xlm_roberta.XLMRobertaFlashConfig",
                 "AutoModelForSequenceClassification": "modeling_xlm_roberta.XLMRobertaForSequenceClassification"},
    "hidden_act": "gelu", "hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 4,
    "num_hidden_layers": 2, "layer_norm_eps": 1e-5, "max_position_embeddings": 66, "type_vocab_size": 1,
    "vocab_size": len(SPECIALS) + len(WORDS), "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
    "position_embedding_type": "absolute", "num_labels": 1, "id2label": {"0": "LABEL_0"}, "torch_dtype": "bfloat16",
}


def jina_keys(layers: int) -> set[str]:
    """The parameter names of jina-reranker-v2-base-multilingual's model.safetensors."""
    keys = {f"roberta.embeddings.{e}.weight" for e in ("word_embeddings", "position_embeddings",
                                                       "token_type_embeddings")}
    parts = ["roberta.emb_ln", "classifier.dense", "classifier.out_proj"] + [
        f"roberta.encoder.layers.{n}.{p}" for n in range(layers)
        for p in ("mixer.Wqkv", "mixer.out_proj", "norm1", "mlp.fc1", "mlp.fc2", "norm2")]
    return keys | {f"{p}.{kind}" for p in parts for kind in ("weight", "bias")}


@pytest.fixture(scope="module")
def tokenizer():
    """An XLM-R-shaped tokenizer built offline: word-level vocab, ``<s> A </s></s> B </s>`` pairs."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.WordLevel({t: i for i, t in enumerate(SPECIALS + WORDS)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                   cls_token="<s>", pad_token="<pad>", unk_token="<unk>")


@pytest.fixture(scope="module")
def hf_model():
    """transformers' XLMRobertaForSequenceClassification, weights spread wide enough to matter."""
    from transformers import XLMRobertaConfig as HFConfig
    from transformers import XLMRobertaForSequenceClassification

    torch.manual_seed(0)
    model = XLMRobertaForSequenceClassification(HFConfig(**JINA_CONFIG)).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "LayerNorm.weight" in name:
                parameter.normal_(1.0, 0.2)
            else:
                parameter.normal_(0.0, 0.3 if parameter.dim() == 2 else 0.1)
    return model


@pytest.fixture(scope="module")
def native(hf_model) -> XLMRobertaCrossEncoder:
    module = XLMRobertaCrossEncoder(XLMRobertaConfig.from_dict(JINA_CONFIG)).eval()
    module.load_state_dict(native_state_dict(hf_model.state_dict()), strict=True)
    return module


@pytest.fixture(scope="module")
def jina_dir(tmp_path_factory, native, tokenizer):
    """A model directory in jina's format: bf16 model.safetensors with its names, its config, a tokenizer."""
    from safetensors.torch import save_file

    directory = tmp_path_factory.mktemp("jina-layout")
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in native.state_dict().items()},
              directory / "model.safetensors")
    (directory / "config.json").write_text(json.dumps(JINA_CONFIG), encoding="utf-8")
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def reranker(native, tokenizer) -> XLMRobertaReranker:
    return XLMRobertaReranker(native, tokenizer, precision="float32", max_length=24, max_query_length=8,
                              overlap_tokens=4, batch_size=3)


def padded_batch(lengths: list[int], pad_id: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    ids = torch.full((len(lengths), max(lengths)), pad_id)
    mask = torch.zeros_like(ids)
    for row, length in enumerate(lengths):
        ids[row, :length] = torch.randint(4, JINA_CONFIG["vocab_size"], (length,), generator=generator)
        ids[row, 0], ids[row, length - 1] = 0, 2
        mask[row, :length] = 1
    return ids, mask


def test_hf_weights_give_transformers_logits_on_padded_batches(hf_model, native):
    ids, mask = padded_batch([64, 5, 33, 17])
    with torch.inference_mode():
        expected = hf_model(input_ids=ids, attention_mask=mask).logits
        got = native(ids, mask)
    assert expected.std() > 0.1  # the comparison is not between near-constant outputs
    assert (got - expected).abs().max().item() < 1e-5


def test_hf_layout_round_trips(hf_model, native):
    from transformers import XLMRobertaConfig as HFConfig
    from transformers import XLMRobertaForSequenceClassification

    assert checkpoint_layout(hf_model.state_dict()) == "hf"
    assert set(native.state_dict()) == jina_keys(2) and checkpoint_layout(native.state_dict()) == "jina"
    fresh = XLMRobertaForSequenceClassification(HFConfig(**JINA_CONFIG)).eval()
    fresh.load_state_dict(hf_state_dict(native.state_dict()), strict=True)
    ids, mask = padded_batch([9, 30])
    with torch.inference_mode():
        torch.testing.assert_close(fresh(input_ids=ids, attention_mask=mask).logits, native(ids, mask))
    with pytest.raises(RerankerError, match="unrecognised checkpoint"):
        checkpoint_layout({"bert.pooler.dense.weight": torch.zeros(1)})


def test_bf16_safetensors_in_jina_layout_load_strictly(jina_dir, native):
    from safetensors import safe_open

    with safe_open(jina_dir / "model.safetensors", "pt") as handle:
        assert set(handle.keys()) == jina_keys(2)
    loaded = XLMRobertaReranker.from_pretrained(jina_dir, precision="float32")
    assert isinstance(loaded, XLMRobertaReranker) and loaded.name == str(jina_dir)
    rounded = XLMRobertaCrossEncoder(native.config).eval()
    rounded.load_state_dict({k: v.to(torch.bfloat16).float() for k, v in native.state_dict().items()})
    ids, mask = padded_batch([12, 40, 3])
    with torch.inference_mode():
        torch.testing.assert_close(loaded.model(ids, mask), rounded(ids, mask), rtol=0, atol=1e-6)
    bf16 = XLMRobertaReranker.from_pretrained(jina_dir, precision="bfloat16", cache_size=0)
    assert bf16.model.roberta.emb_ln.weight.dtype == torch.bfloat16
    np.testing.assert_allclose(bf16.score(QUERY, ["w1 w9", "w7"]), loaded.score(QUERY, ["w1 w9", "w7"]), atol=0.05)


def test_export_gives_a_directory_transformers_loads_without_remote_code(tmp_path, jina_dir):
    from transformers import AutoModelForSequenceClassification

    out = export_hf_checkpoint(jina_dir, tmp_path / "exported")
    assert "auto_map" not in json.loads((out / "config.json").read_text())
    exported = AutoModelForSequenceClassification.from_pretrained(out, dtype=torch.float32).eval()
    native = XLMRobertaReranker.from_pretrained(jina_dir, precision="float32").model
    ids, mask = padded_batch([20, 7])
    with torch.inference_mode():
        torch.testing.assert_close(exported(input_ids=ids, attention_mask=mask).logits, native(ids, mask))
    assert {f.name for f in out.iterdir()} >= {"config.json", "model.safetensors", "tokenizer.json"}


def test_which_configs_the_native_backend_takes():
    assert supports_config(JINA_CONFIG)
    assert supports_config({k: v for k, v in JINA_CONFIG.items() if k != "architectures"})  # jina's auto_map
    assert not supports_config({k: v for k, v in JINA_CONFIG.items() if k not in ("architectures", "auto_map")})
    assert not supports_config(JINA_CONFIG | {"position_embedding_type": "rotary"})
    assert not supports_config({"architectures": ["BertForSequenceClassification"]})


def test_encoding_ignores_truncation_set_on_the_tokenizer(native, tokenizer, reranker):
    document = " ".join(f"w{i}" for i in range(100, 140))
    expected = reranker.score_pairs([("w1 w2", document)])
    tokenizer.backend_tokenizer.enable_truncation(3)  # as some tokenizer.json files ship
    try:
        fresh = XLMRobertaReranker(native, tokenizer, precision="float32", max_length=24, max_query_length=8,
                                   overlap_tokens=4, cache_size=0)
    finally:
        tokenizer.backend_tokenizer.no_truncation()
    np.testing.assert_allclose(fresh.score_pairs([("w1 w2", document)]), expected, atol=1e-6)


def test_window_spans_follow_jina():
    assert window_spans(10, 16, 4) == [(0, 10)]
    assert window_spans(0, 16, 4) == [(0, 0)]
    assert window_spans(50, 16, 4) == [(0, 16), (12, 28), (24, 40), (34, 50)]
    assert window_spans(17, 16, 0) == [(0, 16), (1, 17)]


def test_window_settings_fit_the_position_table(native, tokenizer):
    assert window_settings(512, 1024, 80, 1024) == (512, 1024, 80)
    assert window_settings(512, 1024, 80, 64) == WindowSettings(max_query_length=32, max_length=64, overlap_tokens=80)
    assert XLMRobertaReranker(native, tokenizer, precision="float32").settings == (32, 64, 80)
    for bad in [(512, 4, 80), (2, 64, 80), (8, 64, -1)]:
        with pytest.raises(ValueError, match="must be"):
            window_settings(*bad, 64)


def test_long_documents_score_their_best_window(reranker, native, tokenizer):
    document = " ".join(f"w{i}" for i in range(10, 60))  # 50 tokens
    query_ids = tokenizer(QUERY, truncation=True, max_length=8)["input_ids"]
    assert query_ids == [0, 5, 6, 7, 8, 2]
    budget = 24 - len(query_ids) - 2  # 16 document tokens per window, overlap min(4, 16 // 4)
    doc_ids = tokenizer(document, add_special_tokens=False)["input_ids"]
    windows = [[*query_ids, 2, *doc_ids[s:e], 2] for s, e in [(0, 16), (12, 28), (24, 40), (34, 50)]]
    assert all(len(w) == 24 for w in windows) and budget == 16
    with torch.inference_mode():
        by_hand = [native(torch.tensor([w]), torch.ones(1, len(w), dtype=torch.long)).sigmoid().item()
                   for w in windows]
    assert max(by_hand) - min(by_hand) > 1e-3  # the windows disagree, so the max is a real choice
    results = reranker.rerank(QUERY, [document, "w11 w12"], return_documents=False)
    score = next(r["relevance_score"] for r in results if r["index"] == 0)
    assert score == pytest.approx(max(by_hand), abs=1e-6)
    # A long query keeps max_query_length tokens, specials included.
    kept = reranker.compute_score([" ".join(["w1"] * 6), "w5"])
    assert reranker.compute_score([" ".join(["w1"] * 40), "w5"]) == pytest.approx(kept, abs=1e-6)
    assert reranker.compute_score([" ".join(["w1"] * 5), "w5"]) != pytest.approx(kept, abs=1e-6)


def test_empty_documents_ties_and_plain_indices(reranker):
    documents = ["", "w1 w2", "", "w300 w301", "w1 w2"]
    results = reranker.rerank(QUERY, documents, top_n=4)
    assert len(results) == 4 and all(type(r["index"]) is int for r in results)
    assert [r["document"] for r in results] == [documents[r["index"]] for r in results]
    by_index = {r["index"]: r["relevance_score"] for r in reranker.rerank(QUERY, documents)}
    assert by_index[0] == by_index[2] and by_index[1] == by_index[4]
    order = [r["index"] for r in reranker.rerank(QUERY, documents)]
    assert order.index(0) < order.index(2) and order.index(1) < order.index(4)
    assert reranker.rerank(QUERY, []) == []


def test_overlap_alias(reranker):
    document = " ".join(f"w{i}" for i in range(100, 160))
    by_alias = reranker.rerank(QUERY, [document], overlap=0)
    assert by_alias == reranker.rerank(QUERY, [document], overlap_tokens=0)
    assert by_alias != reranker.rerank(QUERY, [document])  # the default overlap (4) cuts other windows
    with pytest.raises(ValueError, match="not both"):
        reranker.rerank(QUERY, [document], overlap=1, overlap_tokens=2)


def test_score_compute_score_and_cache_agree(reranker):
    documents = ["w1 w2 w3", " ".join(f"w{i}" for i in range(40)), "w9"]
    scores = reranker.score(QUERY, documents)
    assert np.all((scores > 0) & (scores < 1))
    assert reranker.compute_score([[QUERY, d] for d in documents]) == pytest.approx(scores.tolist(), abs=1e-6)
    assert reranker.compute_score([QUERY, documents[0]]) == pytest.approx(float(scores[0]), abs=1e-6)
    hits = reranker.cache.hits
    shorter = reranker.compute_score([[QUERY, d] for d in documents], max_length=12)
    assert reranker.cache.hits == hits  # other settings bypass the cache
    assert shorter[0] == pytest.approx(float(scores[0]), abs=1e-6) and shorter[1] != pytest.approx(float(scores[1]))


def test_hf_directory_matches_the_transformers_backend(tmp_path, hf_model, tokenizer):
    hf_model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    native = load_reranker(str(tmp_path), precision="float32")
    assert isinstance(native, XLMRobertaReranker)
    reference = HFCrossEncoder(str(tmp_path), precision="float32")
    documents = ["w1 w2", "", "w5 w6 w7 w8 w9", "w400"]
    np.testing.assert_allclose(native.score(QUERY, documents), reference.score(QUERY, documents), atol=1e-5)


def test_hub_id_loads_from_the_local_cache(tmp_path, jina_dir):
    snapshot = tmp_path / "models--toolrouter-test--tiny-xlmr" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    for file in jina_dir.iterdir():
        (snapshot / file.name).write_bytes(file.read_bytes())
    (tmp_path / "models--toolrouter-test--tiny-xlmr" / "refs").mkdir()
    (tmp_path / "models--toolrouter-test--tiny-xlmr" / "refs" / "main").write_text("0123abcd")
    reranker = load_reranker("toolrouter-test/tiny-xlmr", cache_dir=str(tmp_path), precision="float32")
    assert isinstance(reranker, XLMRobertaReranker) and reranker.name == "toolrouter-test/tiny-xlmr"


def test_missing_weights_name_the_options(tmp_path, jina_dir):
    with pytest.raises(RerankerError) as error:
        XLMRobertaReranker.from_pretrained(JINA_RERANKER_V2, cache_dir=str(tmp_path))
    message = str(error.value)
    assert "not in the local Hugging Face cache" in message
    for option in ("local model directory", f"huggingface-cli download {JINA_RERANKER_V2}", "Router()",
                   "RemoteReranker("):
        assert option in message
    with pytest.raises(RerankerError, match="huggingface-cli download BAAI/bge-reranker-v2-m3"):
        load_reranker("BAAI/bge-reranker-v2-m3", cache_dir=str(tmp_path))
    no_weights = tmp_path / "no-weights"
    no_weights.mkdir()
    (no_weights / "config.json").write_text((jina_dir / "config.json").read_text())
    with pytest.raises(RerankerError, match=r"no model\.safetensors or pytorch_model\.bin"):
        XLMRobertaReranker.from_pretrained(no_weights)


def test_hf_cross_encoder_serves_xlmr_classifiers_on_the_native_module(hf_model, tokenizer, tiny_model_dir):
    reranker = HFCrossEncoder(hf_model, tokenizer, precision="float32", batch_size=2, cache_size=0)
    assert reranker.is_native and isinstance(reranker.model, XLMRobertaCrossEncoder)
    documents = ["w1 w2", "", "w5 w6 w7 w8 w9 w10 w11", "w400"]
    with torch.inference_mode():
        expected = [hf_model(input_ids=torch.tensor([ids])).logits[0, 0].sigmoid().item()
                    for ids, _ in reranker._encode_pairs([(QUERY, d) for d in documents])]
    np.testing.assert_allclose(reranker.score(QUERY, documents), expected, atol=1e-5)
    assert not HFCrossEncoder(tiny_model_dir, precision="float32").is_native  # BERT stays on transformers
