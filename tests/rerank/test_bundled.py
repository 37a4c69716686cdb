"""The bundled default model: loads offline, routes the announcement's examples, exports to HF."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from toolrouter import Router, load_reranker
from toolrouter.rerank import Blend
from toolrouter.rerank.bundled import MODEL_DIR, bundled_metadata

pytestmark = pytest.mark.skipif(not (MODEL_DIR / "model.safetensors").exists(), reason="bundled model not built")

SKINCARE_QUERY = "Organic skincare products for sensitive skin"
SKINCARE_DOCS = [
    "Organic skincare for sensitive skin with aloe vera and chamomile.",
    "New makeup trends focus on bold colors and innovative techniques",
    "Bio-Hautpflege für empfindliche Haut mit Aloe Vera und Kamille",
    "Neue Make-up-Trends setzen auf kräftige Farben und innovative Techniken",
    "Cuidado de la piel orgánico para piel sensible con aloe vera y manzanilla",
    "Las nuevas tendencias de maquillaje se centran en colores vivos y técnicas innovadoras",
    "针对敏感肌专门设计的天然有机护肤产品",
    "新的化妆趋势注重鲜艳的颜色和创新的技巧",
    "敏感肌のために特別に設計された天然有機スキンケア製品",
    "新しいメイクのトレンドは鮮やかな色と革新的な技術に焦点を当てています",
]
ROAD_TRIP = ("I am planning a road trip from Berlin to Munich in my Volkswagen VII. "
             "Can you calculate the carbon footprint of this trip?")


@pytest.fixture(scope="module")
def bundled():
    return load_reranker()


def test_multilingual_skincare_relevant_above_irrelevant(bundled):
    scores = bundled.score(SKINCARE_QUERY, SKINCARE_DOCS)
    relevant, irrelevant = scores[0::2], scores[1::2]
    assert relevant.min() > irrelevant.max(), scores


def test_announcement_tool_and_table_examples(bundled, announcement_tools, announcement_ddl):
    router = Router(bundled)
    router.add_tools(announcement_tools)
    router.add_tables(announcement_ddl, dialect="mysql")
    assert router.select_tools(ROAD_TRIP, k=1)[0].name == "calculateCarbonFootprint"
    question = "which customers bought a summer outfit in the past 7 days?"
    # The sales and the products they were of; the customers table may rank first (it names customers).
    assert "transactions" in {t.name for t in router.select_tables(question, k=2, expand=None)}
    assert {"transactions", "products"} <= {t.name for t in router.select_tables(question)}


def test_router_defaults_to_the_bundled_model(bundled):
    assert Router().reranker is bundled
    assert 0.0 < bundled.default_threshold < 1.0
    assert bundled.default_threshold == pytest.approx(bundled_metadata()["threshold"])
    # The model ships as an ensemble with e5 and BM25 (see the model card), weighted per item kind.
    assert bundled.blend == {kind: Blend(**weights) for kind, weights in bundled_metadata()["blend"].items()}
    assert set(bundled.blend) == {"tool", "table"}
    # Tables route with an adapted e5 query vector; tools with e5's own.
    assert set(bundled.query_adapters) == {"table"}
    adapter = bundled.query_adapters["table"]
    assert adapter.weight.shape == (384, 384) and adapter.cosine_floor < adapter.cosine_ceiling


def test_export_model_loads_as_a_standard_cross_encoder(tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from toolrouter.rerank.bundled import export_bundled

    export_bundled(tmp_path / "export")
    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "export").eval()
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "export")
    inputs = tokenizer([SKINCARE_QUERY] * 2, SKINCARE_DOCS[:2], return_tensors="pt", padding=True)
    import torch

    with torch.inference_mode():
        exported = model(**inputs).logits[:, 0].sigmoid().numpy()
    # The export is fp32; the bundled reranker runs in bf16 on CPUs with native bf16 ("auto"), whose
    # rounding moves scores by up to 0.01. In fp32 both give the same scores to float precision.
    native = load_reranker(precision="float32").score(SKINCARE_QUERY, SKINCARE_DOCS[:2])
    np.testing.assert_allclose(exported, native, atol=1e-5)


def test_loading_the_bundled_model_needs_torch_but_not_transformers():
    """The serving path is assembled on the native module: importing transformers costs seconds."""
    script = ("import sys; from toolrouter.rerank.bundled import load_bundled; "
              "load_bundled().rerank('weather in Paris', ['get_weather(city)']); "
              "print(sorted(name for name in ('torch', 'transformers') if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    assert result.stdout.split("\n")[-2] == "['torch']"


def test_the_default_router_builds_the_cross_encoder_only_when_it_reranks(tmp_path):
    """rerank="auto" skips the bundled model's pass, so routing never pays for building it."""
    import shutil

    from toolrouter.errors import RerankerError
    from toolrouter.rerank.bundled import DeferredBundled

    directory = tmp_path / "default"
    shutil.copytree(MODEL_DIR, directory)
    deferred = DeferredBundled(directory)
    router = Router(deferred)
    router.add_tools([{"name": "get_weather", "description": "Weather for a city", "parameters": {}},
                      {"name": "create_invoice", "description": "Bill a customer", "parameters": {}}])
    assert router.select_tools("weather in Oslo", k=1)[0].name == "get_weather"
    assert deferred._built is None and deferred.blend["tool"] == Blend(0.85, 0.1)
    assert router.threshold_for("tool") == deferred.no_rerank_threshold
    scored = Router(deferred, registry=router.registry, rerank="cross-encoder").rank("weather in Oslo")
    assert deferred._built is not None and not np.isnan(scored[0].model_score)
    assert deferred.max_length == 128  # model attributes come from the built model
    (directory / "model.safetensors").unlink()
    with pytest.raises(RerankerError, match=r"model\.safetensors are missing"):
        DeferredBundled(directory)
