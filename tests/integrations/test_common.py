"""What every adapter shares: the reranking helper, argument checks and the missing-framework error."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from toolrouter.errors import MissingDependencyError
from toolrouter.integrations._common import check_positive, top_texts
from toolrouter.router import QueryError


def test_top_texts_ranks_best_first_ties_in_input_order(overlap_router):
    texts = ["pizza in Naples", "weather in Lisbon", "Lisbon trams", "Porto wine", "Lisbon fado"]
    ranked = top_texts(overlap_router, "weather in Lisbon", texts, 3)
    assert [i for i, _ in ranked] == [1, 0, 2]  # 1.0, then 1/3 three times: input order
    assert ranked[0][1] == pytest.approx(1.0) and isinstance(ranked[0][1], float)
    assert top_texts(overlap_router, "weather", [], 3) == []
    with pytest.raises(QueryError):
        top_texts(overlap_router, "\x00 ", texts, 3)


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3", None])
def test_check_positive_names_the_argument(value):
    with pytest.raises(ValueError, match=f"top_n must be a positive integer, got {value!r}"):
        check_positive("top_n", value)


@pytest.mark.parametrize(("module", "frameworks", "extra"), [
    ("langchain", ("langchain", "langchain_core"), "langchain"), ("llamaindex", ("llama_index",), "llamaindex"),
    ("haystack", ("haystack",), "haystack"), ("litellm", ("litellm",), "litellm")])
def test_missing_framework_names_the_extra(monkeypatch, module, frameworks, extra):
    for name in [*frameworks, *(n for n in sys.modules if n.startswith(tuple(f"{f}." for f in frameworks)))]:
        monkeypatch.setitem(sys.modules, name, None)  # `import name` now fails, as if not installed
    monkeypatch.delitem(sys.modules, f"toolrouter.integrations.{module}", raising=False)
    with pytest.raises(MissingDependencyError, match=rf"pip install 'toolrouter\[{extra}\]'"):
        importlib.import_module(f"toolrouter.integrations.{module}")


def test_import_toolrouter_loads_no_framework():
    code = ("import sys, toolrouter, toolrouter.integrations; "
            "print(sorted(m for m in ('langchain', 'langchain_core', 'llama_index', 'haystack', 'litellm') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
