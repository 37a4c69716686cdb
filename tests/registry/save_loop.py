"""Fork server for ``test_atomic_save``: saves registries in a loop, in workers the test kills.

Usage: ``python save_loop.py MODE TARGET VERSION_A.json VERSION_B.json``

Loads both registries once. For each line read on stdin it forks a worker that writes them to
TARGET in turn until it is killed (MODE ``save``: ``Registry.save``, serializing each time; MODE
``write``: ``write_atomic`` of the files' bytes, so nearly all its time is spent writing), prints
the worker's pid, waits for the worker to die and prints its wait status. Forking from this
single-threaded process makes each kill cost milliseconds rather than an interpreter start, so a
test can afford many kills.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from toolrouter.registry import Registry
from toolrouter.registry.store import write_atomic


def main(mode: str, target: str, *sources: str) -> None:
    registries = [Registry.load(source) for source in sources]
    contents = [Path(source).read_bytes() for source in sources]
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                while True:
                    for registry, content in zip(registries, contents):
                        if mode == "save":
                            registry.save(target)
                        else:
                            write_atomic(target, content)
            finally:
                os._exit(1)  # a save failed: the status tells the test it was not killed
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(status, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
