"""Router selection policy: k, always, threshold, conversations, empty registries, two stages."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from toolrouter import Registry, Router, Selection
from toolrouter import router as router_module
from toolrouter.rerank import Blend
from toolrouter.router import FULL_RERANK_LIMIT, QueryError, name_length_penalty, reachable_scores


@pytest.fixture()
def router(overlap_reranker, announcement_tools, announcement_ddl) -> Router:
    router = Router(overlap_reranker)
    router.add_tools(announcement_tools)
    router.add_tables(announcement_ddl, dialect="mysql")
    return router


def test_select_tools_ranks_and_returns_selections(router):
    picked = router.select_tools("calculate the carbon footprint of my trip", k=2)
    assert [s.name for s in picked] == ["calculateCarbonFootprint", "calculateDistance"]
    assert all(isinstance(s, Selection) and s.item.kind == "tool" for s in picked)
    assert [s.rank for s in picked] == [1, 2]
    assert picked[0].score >= picked[1].score


def test_k_larger_than_registry_and_empty_registry(router, overlap_reranker):
    assert len(router.select_tools("weather", k=50)) == 3
    assert Router(overlap_reranker).select_tools("weather") == []
    assert Router(overlap_reranker).select_tables("weather") == []


def test_always_kept_and_not_counted(router):
    picked = router.select_tools("carbon footprint", k=1, always=["getWeather"])
    assert [(s.name, s.reason) for s in picked] == [("getWeather", "always"), ("calculateCarbonFootprint", "ranked")]


def test_threshold_empties_irrelevant(router):
    assert router.select_tools("zzz qqq", k=3, threshold=0.5) == []


def test_messages_route_on_latest_user_intent_and_keep_called_tools(router):
    messages = [
        {"role": "user", "content": "What's the weather in Berlin?"},
        {"role": "assistant", "tool_calls": [{"id": "1", "type": "function",
                                              "function": {"name": "getWeather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "1", "content": "sunny"},
        {"role": "user", "content": [{"type": "text", "text": "Now the carbon footprint of driving there"}]},
    ]
    picked = router.select_tools(messages=messages, k=1)
    assert [(s.name, s.reason) for s in picked] == [("getWeather", "called"), ("calculateCarbonFootprint", "ranked")]
    assert not math.isnan(picked[0].score)


def test_select_tables(router):
    picked = router.select_tables("which customers bought products: transaction date and quantity", k=1)
    assert picked[0].name == "transactions" and picked[0].item.kind == "table"


@pytest.mark.parametrize("query", ["", "   \n\t", None, 42])
def test_unusable_queries_raise_clear_errors(router, query):
    with pytest.raises(QueryError):
        router.select_tools(query, k=2)


def test_hostile_query_text_is_cleaned(router):
    query = "carbon\x00 footprint \ud800 " + "x" * 1_000_000
    assert router.select_tools(query, k=1)[0].name == "calculateCarbonFootprint"


def test_large_registries_use_a_first_stage(overlap_reranker):
    registry = Registry()
    registry.add_tools([{"name": f"tool_{i}", "description": f"Operation number {i} on widgets",
                         "parameters": {"type": "object"}} for i in range(200)])
    registry.add_tools([{"name": "convert_currency", "description": "Convert an amount between currencies",
                         "parameters": {"type": "object"}}])
    router = Router(overlap_reranker, registry=registry, first_stage="bm25")
    assert router.candidate_count(201, 5) < 201 and router.candidate_count(FULL_RERANK_LIMIT, 5) == FULL_RERANK_LIMIT
    assert router.select_tools("convert currency amount", k=1)[0].name == "convert_currency"


def test_lexical_blend_weight_mixes_in_stemmed_bm25(overlap_reranker):
    overlap_reranker.blend = {"tool": Blend(lexical=0.5)}  # the bundled model reads its blend from toolrouter.json
    router = Router(overlap_reranker)
    router.add_tools([{"name": "get_weather", "description": "Current weather for a city",
                       "parameters": {"type": "object"}},
                      {"name": "create_invoice", "description": "Bill a customer",
                       "parameters": {"type": "object"}}])
    # No word matches exactly (the overlap reranker scores both 0); stems do: invoices/invoice, customers/customer.
    top = router.select_tools("invoices of my customers", k=2)
    assert [s.name for s in top] == ["create_invoice", "get_weather"]
    assert top[0].score == pytest.approx(0.5) and top[1].score == pytest.approx(0.0)


def test_query_adapter_steers_the_first_stage_and_the_e5_blend(overlap_reranker):
    from toolrouter.retrieve import EMBEDDINGS, QueryAdapter

    tools = [{"name": f"tool_{i}", "description": f"Internal operation number {i}",
              "parameters": {"type": "object"}} for i in range(FULL_RERANK_LIMIT + 10)]
    tools[7] = {"name": "get_weather", "description": "Current weather for a city", "parameters": {"type": "object"}}
    tools[33]["description"] = "Sends the quarterly audit report to the board"
    query = "is it raining in Paris?"
    overlap_reranker.blend = {"tool": Blend(bi_encoder=1.0)}
    router = Router(overlap_reranker, candidates=5)
    router.add_tools(tools)
    assert router.select_tools(query, k=1)[0].name == "get_weather"
    # An adapter that adds the audit tool's vector to every query: first stage and blend follow it.
    audit = router.registry["tool_33"].text
    weight = 3.0 * np.outer(EMBEDDINGS.passages([audit])[0], EMBEDDINGS.query(query)).astype(np.float32)
    overlap_reranker.query_adapters = {"tool": QueryAdapter(weight, cosine_floor=0.0, cosine_ceiling=1.0)}
    steered = Router(overlap_reranker, candidates=5)
    steered.add_tools(tools)
    assert steered.select_tools(query, k=1)[0].name == "tool_33"
    # Adapters are per item kind: one for tables leaves tool routing alone.
    overlap_reranker.query_adapters = {"table": overlap_reranker.query_adapters["tool"]}
    unsteered = Router(overlap_reranker, candidates=5)
    unsteered.add_tools(tools)
    assert unsteered.select_tools(query, k=1)[0].name == "get_weather"


def test_adapted_cosines_are_mapped_by_the_adapters_range():
    from toolrouter.retrieve import QueryAdapter
    from toolrouter.router import E5_COSINE_FLOOR, bi_encoder_relevance

    cosines = np.array([-0.1, 0.0, 0.2, 0.4, 0.75, 0.9], np.float32)
    adapter = QueryAdapter(np.zeros((2, 2), np.float32), cosine_floor=0.0, cosine_ceiling=0.4)
    assert bi_encoder_relevance(cosines, adapter).tolist() == pytest.approx([0, 0, 0.5, 1, 1, 1])
    plain = bi_encoder_relevance(cosines)
    assert plain[:4].tolist() == [0, 0, 0, 0] and plain[4] == pytest.approx((0.75 - E5_COSINE_FLOOR) / 0.3)


@pytest.mark.parametrize("weights", [{"bi_encoder": -0.1}, {"lexical": -0.5}, {"bi_encoder": 0.8, "lexical": 0.3}])
def test_blend_weights_are_validated(weights):
    with pytest.raises(ValueError, match="blend weights"):
        Blend(**weights)


def test_router_save_and_load(router, tmp_path, overlap_reranker):
    router.save(tmp_path / "r.json")
    loaded = Router.load(tmp_path / "r.json", model=overlap_reranker)
    assert list(loaded.registry) == list(router.registry)


def test_construction_is_lazy():
    router = Router("/no/such/model")
    assert router.registry is not None  # nothing loaded until the first scoring call


def filler_tools(count: int) -> list[dict]:
    return [{"name": f"tool_{i}", "description": f"Does task number {i} for the user."} for i in range(count)]


def test_adding_a_large_registry_embeds_it_once_with_a_progress_bar(overlap_reranker, capsys):
    from toolrouter.router import FULL_RERANK_LIMIT

    router = Router(overlap_reranker)
    router.add_tools(filler_tools(FULL_RERANK_LIMIT), progress=True)
    assert capsys.readouterr().err == ""  # small enough to rerank whole: nothing to embed
    router.add_tools(filler_tools(FULL_RERANK_LIMIT + 5)[FULL_RERANK_LIMIT:], progress=True)
    shown = capsys.readouterr().err
    assert "embedding tools" in shown and f"{FULL_RERANK_LIMIT + 5}/{FULL_RERANK_LIMIT + 5}" in shown
    assert router.embed("tool", progress=True) == 0  # cached: nothing encoded, no bar
    assert capsys.readouterr().err == ""
    assert router.select_tools("task number 7", k=1)[0].name == "tool_7"


def test_progress_is_quiet_when_asked_or_not_on_a_terminal(overlap_reranker, capsys):
    from toolrouter.progress import PROGRESS_MIN_ITEMS, shows_progress

    router = Router(overlap_reranker)
    router.add_tools(filler_tools(50), progress=False)
    assert capsys.readouterr().err == ""
    assert not shows_progress(PROGRESS_MIN_ITEMS * 10, None)  # stderr is captured, not a terminal
    assert not shows_progress(PROGRESS_MIN_ITEMS * 10, False)
    assert shows_progress(1, True) and not shows_progress(0, True)
    lexical = Router(overlap_reranker, first_stage="bm25")
    lexical.add_tools(filler_tools(50))
    assert lexical.embed("tool", progress=True) == 0  # BM25 needs no vectors


def test_explain_shows_what_select_tools_did_and_why(overlap_reranker):
    overlap_reranker.blend = {"tool": Blend(lexical=0.5)}
    registry = Registry()
    registry.add_tools([{"name": f"tool_{i}", "description": f"Operation number {i} on widgets",
                         "parameters": {"type": "object"}} for i in range(60)])
    registry.add_tools([{"name": "convert_currency", "description": "Convert an amount between currencies",
                         "parameters": {"type": "object"}}])
    router = Router(overlap_reranker, registry=registry, first_stage="bm25")
    messages = [{"role": "user", "content": "convert this currency amount"},
                {"role": "assistant", "tool_calls": [{"id": "1", "type": "function",
                                                      "function": {"name": "tool_7", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "1", "content": "ok"}]
    explanation = router.explain(kind="tool", k=1, messages=messages, always=["tool_3"])
    assert explanation.selections == router.select_tools(k=1, messages=messages, always=["tool_3"])
    assert [(s.name, s.reason) for s in explanation.selections] == [
        ("tool_3", "always"), ("tool_7", "called"), ("convert_currency", "ranked")]
    assert explanation.pool == 61 and explanation.first_stage == "bm25" and explanation.k == 1
    assert explanation.query.startswith("convert this currency amount")
    best = explanation.ranking[0]
    assert best.item.name == "convert_currency" and best.first_stage_rank == 1 and best.first_stage_score > 0
    assert best.bi_encoder is None and best.lexical is not None
    assert best.score == pytest.approx(0.5 * best.model_score + 0.5 * best.lexical)
    assert len(explanation.ranking) == router.candidate_count(61, 1)
    assert [s.rank for s in explanation.ranking] == list(range(1, len(explanation.ranking) + 1))


def test_explain_tables_includes_bridges_and_the_threshold(router):
    explanation = router.explain("customers and their purchased products", kind="table", k=2, threshold=0.0)
    assert explanation.selections == router.select_tables("customers and their purchased products", k=2,
                                                          threshold=0.0)
    assert explanation.first_stage is None and explanation.threshold == 0.0
    assert all(s.first_stage_rank is None and s.model_score == s.score for s in explanation.ranking)
    with pytest.raises(ValueError, match="kind must be one of"):
        router.explain("q", kind="column")


def test_a_tool_named_in_the_request_is_kept_by_full_or_short_name(overlap_reranker):
    router = Router(overlap_reranker)
    router.add_tools([{"name": "ask_codex", "description": "Ask Codex to review code",
                       "parameters": {"type": "object"}},
                      {"name": "search_issues", "description": "Find issues", "parameters": {"type": "object"}},
                      {"name": "search", "description": "Search the web", "parameters": {"type": "object"}},
                      {"name": "getWeather", "description": "Weather for a city", "parameters": {"type": "object"}}],
                     namespace="server")
    router.add_tools([{"name": "search_issues", "description": "Find issues", "parameters": {"type": "object"}}],
                     namespace="gitlab")
    picked = router.select_tools("please ask_codex whether the weather code is fine", k=1)
    assert (picked[0].name, picked[0].reason) == ("server__ask_codex", "named")
    assert [s.reason for s in picked].count("ranked") == 1  # naming a tool does not use up k
    # An ambiguous short name keeps every namespace's tool; a full name only its own.
    named = {s.name for s in router.select_tools("run search_issues for me", k=1) if s.reason == "named"}
    assert named == {"server__search_issues", "gitlab__search_issues"}
    named = {s.name for s in router.select_tools("run gitlab__search_issues", k=1) if s.reason == "named"}
    assert named == {"gitlab__search_issues"}
    assert {s.name for s in router.select_tools("what does GETWEATHER say", k=1) if s.reason == "named"} == {
        "server__getWeather"}
    # Plain words never name a tool, even when a tool is called that.
    assert not [s for s in router.select_tools("search the web for issues", k=2) if s.reason == "named"]
    assert router.explain("please ask_codex", k=1).selections[0].reason == "named"
    assert router.select_tools("ask_codexでこのコードをレビューして", k=1)[0].name == "server__ask_codex"


def test_rerank_none_scores_with_e5_and_bm25_alone(overlap_reranker):
    class NeverScores(type(overlap_reranker)):
        def _score_pairs(self, pairs):
            raise AssertionError("rerank='none' must not run the cross-encoder")

    reranker = NeverScores()
    reranker.blend = {"tool": Blend(lexical=0.5)}  # the model's share is dropped: BM25 alone here
    router = Router(reranker, rerank="none")
    router.add_tools([{"name": "get_weather", "description": "Current weather for a city",
                       "parameters": {"type": "object"}},
                      {"name": "create_invoice", "description": "Bill a customer", "parameters": {"type": "object"}}])
    scored = router.rank("invoices of my customers")
    assert [s.item.name for s in scored] == ["create_invoice", "get_weather"]
    assert all(math.isnan(s.model_score) for s in scored) and scored[0].score == pytest.approx(scored[0].lexical)
    with pytest.raises(ValueError, match="rerank must be one of 'auto', 'cross-encoder', 'none'"):
        Router(overlap_reranker, rerank="fast")


def test_auto_rerank_follows_the_model_per_kind_with_its_thresholds(overlap_reranker):
    assert Router(overlap_reranker).rerank_mode("tool") == "cross-encoder"  # a model that says nothing reranks
    overlap_reranker.auto_rerank = {"tool": "none"}
    overlap_reranker.default_threshold, overlap_reranker.no_rerank_threshold = 0.4, 0.3
    router = Router(overlap_reranker, threshold="auto")
    assert (router.rerank_mode("tool"), router.rerank_mode("table")) == ("none", "cross-encoder")
    assert (router.threshold_for("tool"), router.threshold_for("table")) == (0.3, 0.4)
    assert Router(overlap_reranker, rerank="cross-encoder").threshold_for("tool") == 0.4
    router.add_tools([{"name": "get_weather", "description": "Weather for a city", "parameters": {}}])
    assert all(math.isnan(s.model_score) for s in router.rank("weather in Oslo"))  # no cross-encoder pass


def test_the_bundled_model_skips_its_pass_by_default():
    from toolrouter.rerank.bundled import MODEL_DIR

    meta = json.loads((MODEL_DIR / "toolrouter.json").read_text())
    assert meta["auto_rerank"] == {"tool": "none", "table": "cross-encoder"} and 0 < meta["no_rerank_threshold"] < 1


def service_tools(service: str) -> list[dict]:
    return [{"name": f"{service}_ListIssues", "description": "List the open issues of a repository",
             "parameters": {"type": "object"}},
            {"name": f"{service}_CreateIssue", "description": "Open a new issue in a repository",
             "parameters": {"type": "object"}}]


def test_a_service_named_in_the_request_ranks_its_tools_first(overlap_reranker):
    grouped = Router(overlap_reranker)
    grouped.add_tools(service_tools("Github") + service_tools("Gitlab"))
    plain = Router(overlap_reranker, registry=grouped.registry, groups=False)
    query = "show me the open issues on GitLab"  # the word-overlap scorer reads "git lab"
    assert plain.select_tools(query, k=1)[0].name == "Github_ListIssues"  # a tie, kept in registry order
    ranking = grouped.explain(query, k=1).ranking
    assert ranking[0].item.name == "Gitlab_ListIssues"
    assert (ranking[0].group, ranking[0].group_named) == ("Gitlab", True)
    assert ranking[0].group_score is not None and 0.0 <= ranking[0].group_score <= 1.0
    assert {s.group for s in ranking} == {"Github", "Gitlab"}
    assert all(s.group is None for s in plain.explain(query).ranking)


def test_groups_given_when_adding_tools_and_their_descriptions_steer_the_ranking(overlap_reranker):
    router = Router(overlap_reranker)
    spec = [{"name": "create_item", "description": "Create an item", "parameters": {"type": "object"}},
            {"name": "delete_item", "description": "Delete an item", "parameters": {"type": "object"}}]
    router.add_tools(spec, namespace="calendar", group_description="Events, meetings and reminders on a calendar")
    router.add_tools(spec, namespace="shop", group_description="An online store: products, carts, orders")
    ranking = router.explain("put a meeting with the dentist in my diary", k=1).ranking
    assert ranking[0].item.name == "calendar__create_item" and not ranking[0].group_named
    assert ranking[0].group_score > next(s.group_score for s in ranking if s.group == "shop")


JIRA_OPERATIONS = ("CreateIssue", "CreateIssueFromTemplateForBoard", "GetIssue", "DeleteIssue", "AssignIssue",
                   "AddComment", "ListProjects", "GetUser", "AddWorklog", "DoTransition")


def test_a_large_groups_longer_tool_names_cost_the_log_of_their_words(overlap_reranker, monkeypatch):
    router = Router(overlap_reranker, rerank="none")
    router.add_tools([{"name": f"Jira_{operation}", "description": "Work with the issues of a project",
                       "parameters": {"type": "object"}} for operation in JIRA_OPERATIONS]
                     + service_tools("Github") + [{"name": "shout", "description": "Say it loud"}])
    query = "open a new issue in the WEB project"
    ranking = {s.item.name: s for s in router.explain(query, k=20).ranking}
    weight = router_module.NAME_LENGTH_WEIGHT
    assert ranking["Jira_CreateIssue"].name_penalty == pytest.approx(weight * math.log(2))
    assert ranking["Jira_CreateIssueFromTemplateForBoard"].name_penalty == pytest.approx(weight * math.log(6))
    assert name_length_penalty(router.registry["Jira_GetUser"], "Jira") == pytest.approx(weight * math.log(2))
    # A group of two tools and a tool of no group keep their scores.
    assert ranking["Github_ListIssues"].group == "Github" and ranking["Github_ListIssues"].name_penalty is None
    assert ranking["shout"].group is None and ranking["shout"].name_penalty is None
    monkeypatch.setattr(router_module, "NAME_LENGTH_WEIGHT", 0.0)
    unpenalized = {s.item.name: s for s in router.explain(query, k=20).ranking}
    for name, scored in ranking.items():
        assert scored.score == pytest.approx(unpenalized[name].score - (scored.name_penalty or 0.0), abs=1e-6)


def test_reachable_scores_give_the_top_k_of_scoring_every_candidate():
    rng = np.random.default_rng(3)
    for _ in range(200):
        size, k, weight = int(rng.integers(2, 60)), int(rng.integers(1, 8)), float(rng.choice([0.05, 0.1, 0.5, 1.0]))
        partial, relevance = rng.random(size).astype(np.float32), rng.random(size).astype(np.float32)
        asked: list[int] = []

        def score(picks: np.ndarray, asked: list[int] = asked, relevance: np.ndarray = relevance) -> np.ndarray:
            asked.extend(picks.tolist())
            return relevance[picks]

        model = reachable_scores(partial, weight, k, score)
        assert len(asked) == len(set(asked))  # nobody scored twice
        final, every = partial + weight * np.nan_to_num(model), partial + weight * relevance
        top = min(k, size)
        assert np.allclose(np.sort(final)[::-1][:top], np.sort(every)[::-1][:top])
        assert set(np.argsort(-final, kind="stable")[:top]) == set(np.argsort(-every, kind="stable")[:top])
        assert np.array_equal(np.isnan(model), ~np.isin(np.arange(size), asked))
    # A confident first stage: one candidate far ahead needs only itself scored for the top 1.
    assert np.isnan(reachable_scores(np.array([0.9, 0.2, 0.1]), 0.1, 1, lambda picks: np.ones(len(picks))))[1:].all()
    assert not np.isnan(reachable_scores(np.array([0.9, 0.2]), 0.1, None, lambda picks: np.ones(len(picks)))).any()


def test_the_model_scores_only_candidates_that_can_reach_the_top_k(overlap_reranker):
    overlap_reranker.blend = {"tool": Blend(lexical=0.8)}  # the model adds at most 0.2
    scored: list[int] = []
    score_pairs = overlap_reranker._score_pairs
    overlap_reranker._score_pairs = lambda pairs: scored.append(len(pairs)) or score_pairs(pairs)
    router = Router(overlap_reranker, rerank="cross-encoder", first_stage="bm25")
    router.add_tools([
        *filler_tools(30),
        {"name": "convert_currency", "description": "Convert an amount of money between currencies",
         "parameters": {"type": "object"}},
        {"name": "currency_rates", "description": "Exchange rates of a currency", "parameters": {"type": "object"}}])
    query = "convert this amount of money to another currency"
    whole = router.rank(query, k=None)
    assert sum(scored) == len(whole)
    scored.clear()
    overlap_reranker.cache.clear()
    top = router.rank(query, k=2)
    assert 2 <= sum(scored) < len(whole)
    assert [(s.item.name, s.score) for s in top[:2]] == [(s.item.name, s.score) for s in whole[:2]]
    skipped = [s for s in top if math.isnan(s.model_score)]
    assert skipped and all(s.score + 0.2 < top[1].score for s in skipped)
    # Kept items do not count against k, and are scored whatever their rank: the selection is the
    # one scoring every candidate gives.
    overlap_reranker.cache.clear()
    kept = [whole[0].item.name, whole[-1].item.name]
    picked = router.select_tools(query, k=1, always=kept)
    full = {s.item.name: s.score for s in whole}
    assert [(s.name, s.reason) for s in picked] == [(kept[0], "always"), (kept[1], "always"),
                                                     (whole[1].item.name, "ranked")]
    assert [s.score for s in picked] == [full[s.name] for s in picked]
    explanation = router.explain(query, k=1, always=kept)
    assert explanation.rerank == "cross-encoder" and explanation.selections == picked


def test_reachable_scores_score_everything_when_the_bound_cannot_help_or_hold():
    calls: list[int] = []

    def score_with(values: np.ndarray):
        return lambda picks: calls.append(len(picks)) or values[picks]

    partial = np.array([0.9, 0.5, 0.1, 0.0])
    # The model alone (no partial scores): nobody can be spared, so one call scores all.
    assert not np.isnan(reachable_scores(np.zeros(4), 1.0, 1, score_with(np.full(4, 0.5)))).any()
    assert calls == [4]
    calls.clear()
    # Scores outside [0, 1] (a custom reranker's logits) or NaN break the bound: everything is scored.
    for values in (np.array([3.0, -2.0, 5.0, 1.0]), np.array([np.nan, 0.2, 0.3, 0.4])):
        model = reachable_scores(partial, 0.1, 1, score_with(values))
        assert np.allclose(model, values, equal_nan=True)
    assert calls == [1, 4, 1, 4]


def test_names_with_letters_beyond_ascii_are_found():
    from toolrouter.router import named_items, names_index

    index = names_index(["año_2024", "ventas_año", "get_weather"])
    assert named_items("compara año_2024 con ventas_año", index) == ["año_2024", "ventas_año"]
    assert named_items("用get_weather查一下天气", index) == ["get_weather"]


def test_payload_does_not_route():
    """The text a request carries after a stated task is not what it asks a tool to do; a preamble
    before a colon is not a task, and the request routes whole."""
    router = Router(rerank="none")
    router.add_tools([
        {"name": "jira_create_issue", "description": "Create an issue (a ticket) in a Jira project"},
        {"name": "square_create_checkout", "description": "Create a checkout page that takes a card payment"},
        {"name": "slack_post_message", "description": "Post a message to a Slack channel"},
        {"name": "maps_directions", "description": "Get driving directions between two places"},
    ])
    routed = {}
    for request in ("open a jira ticket: the checkout button does nothing on Safari",
                    "post in #eng on Slack: the checkout page is back up",
                    "here's what I need: driving directions from Berlin to Hamburg"):
        explanation = router.explain(request, k=1)
        assert explanation.query == request
        assert explanation.selections == router.select_tools(request, k=1)
        routed[explanation.routed_text] = explanation.selections[0].name
    assert routed == {"open a jira ticket": "jira_create_issue", "post in #eng on Slack": "slack_post_message",
                      "here's what I need: driving directions from Berlin to Hamburg": "maps_directions"}


def test_index_of_a_pool_listed_before_a_change_is_not_cached_as_the_new_one(overlap_reranker, announcement_tools):
    # A request lists the pool, another thread adds a tool, then the request builds its first-stage
    # index: that index covers the old pool and must not be served to later requests.
    router = Router(overlap_reranker, first_stage="bm25", candidates=2)
    router.add_tools(announcement_tools)
    stale_pool = router._pool("tool")
    router.add_tools([{"name": "convertCurrency", "description": "Convert an amount between currencies.",
                       "parameters": {"type": "object", "properties": {"amount": {"type": "number"}}}}])
    assert router._index("tool", stale_pool).size == len(stale_pool)
    best = router.rank("convert an amount between currencies", k=1)[0]
    assert (best.item.name, best.first_stage_rank) == ("convertCurrency", 1)
