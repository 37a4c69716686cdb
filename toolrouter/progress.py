"""A progress bar for long embedding work (a rich bar on stderr).

Indexing a catalog of thousands of items takes minutes on a CPU; a user should see it move. The
bar appears on a terminal when at least :data:`PROGRESS_MIN_ITEMS` texts are to be encoded, never
when stderr is not a terminal (logs, pipes, CI) unless asked for, and never when ``enabled`` is False.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from toolrouter.encoder import Progress

# Fewer new texts than this encode in seconds: no bar.
PROGRESS_MIN_ITEMS = 200


def shows_progress(total: int, enabled: bool | None) -> bool:
    """Whether encoding ``total`` texts shows a bar: ``enabled`` decides when given (True, False);
    None shows one on a terminal for at least :data:`PROGRESS_MIN_ITEMS` texts."""
    if total <= 0 or enabled is False:
        return False
    return enabled is True or (total >= PROGRESS_MIN_ITEMS and sys.stderr.isatty())


@contextmanager
def encoding_progress(total: int, enabled: bool | None, description: str) -> Iterator[Progress | None]:
    """Yield a callback that advances a bar by the texts just encoded, or None when no bar is shown."""
    if not shows_progress(total, enabled):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(description, total=total)
        yield lambda count: bar.advance(task, count)
