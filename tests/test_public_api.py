"""The public surface other code relies on."""

import subprocess
import sys

import toolrouter


def test_exported_names():
    assert sorted(toolrouter.__all__) == sorted(
        ["Registry", "Reranker", "Router", "ScoredItem", "Selection", "ToolrouterError", "load_reranker"]
    )


def test_import_stays_light():
    code = "import sys, toolrouter; print(sorted(m for m in ('torch', 'transformers', 'fastapi') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
