"""The shared pieces of the training-data builder: a query group, a source's contribution,
input reading with checksums, and seeded random streams."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Group:
    """One training row: a query, its relevant texts and hard-first irrelevant texts."""

    query: str
    positives: list[str]
    negatives: list[str]
    source: str
    kind: str
    lang: str = "en"
    weight: float = 1.0


@dataclass
class SourceSplit:
    """What one source contributes: groups, what was held out, and texts train must not contain."""

    train: list[Group] = field(default_factory=list)
    dev: list[Group] = field(default_factory=list)
    held_out: dict[str, list[str]] = field(default_factory=dict)
    excluded: dict[str, Any] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)

    def add(self, group: Group, is_dev: bool) -> None:
        """Append ``group`` to dev or train."""
        (self.dev if is_dev else self.train).append(group)


class Inputs:
    """Reads files under the data folder and remembers each one's sha256 for the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sha256: dict[str, str] = {}

    def text(self, relative: str) -> str:
        """The file's text (UTF-8); its checksum is recorded."""
        data = (self.root / relative).read_bytes()
        self.sha256[relative] = hashlib.sha256(data).hexdigest()
        return data.decode("utf-8")

    def json(self, relative: str) -> Any:
        """The file parsed as JSON."""
        return json.loads(self.text(relative))

    def jsonl(self, relative: str) -> list[dict[str, Any]]:
        """The file parsed as JSON lines (blank lines skipped)."""
        return [json.loads(line) for line in self.text(relative).splitlines() if line.strip()]


def seeded(seed: int, purpose: str) -> random.Random:
    """An independent random stream per purpose, so changing one use never shifts another."""
    return random.Random(f"{seed}:{purpose}")
