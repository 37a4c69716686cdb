"""Atomic saves: a process SIGKILLed at random points mid-save never leaves a broken registry file.

A fork server (``save_loop.py``, started with this interpreter) forks workers that save two
versions of a 2,000-tool registry to one path in turn; each worker is killed after a seeded random
delay. Every kill must leave the path absent (only before the first save finished) or holding one
version byte for byte, and leave at most one temporary file behind. ``Registry.save`` spends most
of its time serializing, so a second run kills workers that only call ``write_atomic`` with ready
bytes, landing most kills inside the write, fsync and rename.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from toolrouter.registry import Registry, ToolItem
from toolrouter.registry.store import STALE_TEMP_SECONDS

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")

REPO_ROOT = Path(__file__).resolve().parents[2]
SAVE_LOOP = Path(__file__).resolve().parent / "save_loop.py"
TOOLS = 2000
KILLS = 25
SEED = 8


def version(tag: str, extra_parameters: int) -> Registry:
    """TOOLS tools whose descriptions and parameters differ between versions (and so do file sizes)."""
    parameters = {"type": "object", "properties": {f"{tag}_{n}": {"type": "integer", "description": f"{tag} {n}"}
                                                   for n in range(1 + extra_parameters)}}
    return Registry(ToolItem(name=f"tool_{i}", description=f"version {tag}: tool {i} " * 3, parameters=parameters)
                    for i in range(TOOLS))


def temp_files(target: Path) -> list[Path]:
    return list(target.parent.glob(f".{target.name}.*.tmp"))


# Worker mode and the upper bound of the random delay before each kill: a Registry.save of TOOLS tools
# takes a few tenths of a second, a write_atomic of its ~1.5 MB a few hundredths.
@pytest.mark.parametrize("mode, max_delay_s", [("save", 0.6), ("write", 0.08)])
def test_killed_saves_leave_the_old_or_the_new_registry(tmp_path, mode, max_delay_s):
    sources = {"A": tmp_path / "a.json", "B": tmp_path / "b.json"}
    version("A", 0).save(sources["A"])
    version("B", 2).save(sources["B"])
    expected = {tag: path.read_bytes() for tag, path in sources.items()}
    target = tmp_path / "live" / "registry.json"
    target.parent.mkdir()
    server = subprocess.Popen(
        [sys.executable, str(SAVE_LOOP), mode, str(target), *map(str, sources.values())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    rng = random.Random(SEED)
    seen: Counter[str] = Counter()
    try:
        for kill in range(1, KILLS + 1):
            server.stdin.write("go\n")
            server.stdin.flush()
            worker = int(server.stdout.readline())
            time.sleep(rng.uniform(0, max_delay_s))
            os.kill(worker, signal.SIGKILL)
            status = int(server.stdout.readline())
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"worker died on its own: {status}"
            if not target.exists():
                assert not (seen["A"] or seen["B"]), f"kill {kill}: the registry vanished after a save"
                seen["absent"] += 1
                continue
            data = target.read_bytes()
            matches = [tag for tag, content in expected.items() if data == content]
            assert matches, f"kill {kill}: {len(data)} bytes at the path are neither version"
            seen[matches[0]] += 1
            loaded = Registry.load(target)
            assert len(loaded) == TOOLS and loaded["tool_0"].description.startswith(f"version {matches[0]}")
            assert len(temp_files(target)) <= kill  # a kill leaves at most its own temporary file
    finally:
        server.stdin.close()
        server.wait()
    assert seen["A"] + seen["B"] + seen["absent"] == KILLS
    # Each temporary file left is a kill that landed between creating it and the rename.
    print(f"\n{mode}: {KILLS} kills, outcomes {dict(seen)}, killed mid-write {len(temp_files(target))}")


def test_a_save_removes_stale_temporary_files_only(tmp_path):
    target = tmp_path / "registry.json"
    stale, fresh = tmp_path / f".registry.json.{'0' * 16}.tmp", tmp_path / f".registry.json.{'1' * 16}.tmp"
    unrelated = tmp_path / ".registry.json.backup.tmp"
    for path in (stale, fresh, unrelated):
        path.write_bytes(b'{"format": "toolrouter-re')
    long_ago = time.time() - 2 * STALE_TEMP_SECONDS
    os.utime(stale, (long_ago, long_ago))
    os.utime(unrelated, (long_ago, long_ago))
    Registry([ToolItem(name="only")]).save(target)
    assert not stale.exists() and fresh.exists() and unrelated.exists()
    assert list(Registry.load(target)) == ["only"]
