"""benchmarks/plots.py: the README's pictures come from the committed JSON, the same bytes every run."""

from __future__ import annotations

import pytest

from tests.test_project import ROOT

pytest.importorskip("matplotlib")


def test_plots_are_reproducible_and_match_the_committed_pictures(tmp_path):
    from benchmarks.plots import main

    first = main(["--out", str(tmp_path / "a")])
    second = main(["--out", str(tmp_path / "b")])
    assert [p.name for p in first] == ["recall_bfcl.png", "recall_spider.png", "latency.png"]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes() and a.read_bytes().startswith(b"\x89PNG")
        committed = (ROOT / "docs" / a.name).read_bytes()
        assert committed == a.read_bytes(), f"docs/{a.name} is stale: run benchmarks/plots.py"
