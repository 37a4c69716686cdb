"""The public surface other code relies on."""

import subprocess
import sys

import toolrouter


def test_exported_names():
    assert {"Registry", "Reranker", "Router", "ScoredItem", "Selection", "ToolrouterError", "load_reranker",
            "RemoteReranker", "SpecError", "QueryError", "SQLPipeline", "validate_sql"} <= set(toolrouter.__all__)


def test_every_exported_name_imports_from_the_top_level():
    code = ("import toolrouter\n"
            "for name in toolrouter.__all__: getattr(toolrouter, name)\n"
            "from toolrouter import RemoteReranker, SQLPipeline\n"
            "print(RemoteReranker.__module__, SQLPipeline.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["toolrouter.rerank.remote", "toolrouter.sql.pipeline"]


def test_unknown_name_raises_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        toolrouter.Nope  # noqa: B018


def test_import_stays_light():
    code = "import sys, toolrouter; print(sorted(m for m in ('torch', 'transformers', 'fastapi') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
