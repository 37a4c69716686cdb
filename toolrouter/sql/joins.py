"""Foreign-key bridges: the extra tables needed to join the selected tables to each other.

A schema's foreign keys form an undirected graph of tables. Given the selected tables (the
terminals), :func:`bridge_tables` returns the other tables of a small Steiner tree connecting
them, found by the shortest-path heuristic (Takahashi & Matsuyama 1980): grow a tree from the first
terminal, each time adding a shortest path (fewest joins) to the nearest terminal not yet in it.
Only path tables are added, so every bridge lies between two selected tables. Ties go to the
tables the caller ranks higher (``priority``), then to registry order. A path may cross at most
``max_bridges`` tables: a selected table farther from the others is more likely a wrong pick than
a needed join, so it stays apart, as do terminals with no FK path at all; each group of terminals
is connected on its own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from toolrouter.registry.items import TableItem

# Bridging tables one path may add between a selected table and the others (3 joins).
DEFAULT_MAX_BRIDGES = 2


@dataclass(frozen=True)
class Bridge:
    """A table added to connect selected tables.

    Attributes:
        name: The bridging table's registry name.
        joins: The selected tables it connects: in each branch of the tree that it links, the one
            closest to it (two or more).
    """

    name: str
    joins: tuple[str, ...]

    @property
    def note(self) -> str:
        """``joins A and B`` / ``joins A, B and C``."""
        names = list(self.joins)
        listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
        return f"joins {listed}"


def fk_graph(tables: Iterable[TableItem]) -> dict[str, list[str]]:
    """The undirected FK adjacency of ``tables``, neighbours in table order.

    Self-references and foreign keys to tables outside ``tables`` (matched case-insensitively)
    add no edge; two keys between the same pair of tables add one.
    """
    tables = list(tables)
    by_folded = {table.name.casefold(): table.name for table in tables}
    linked: dict[str, set[str]] = {table.name: set() for table in tables}
    for table in tables:
        for key in table.foreign_keys:
            target = by_folded.get(key.ref_table.casefold())
            if target is not None and target != table.name:
                linked[table.name].add(target)
                linked[target].add(table.name)
    order = {name: i for i, name in enumerate(linked)}
    return {name: sorted(neighbours, key=order.__getitem__) for name, neighbours in linked.items()}


def bridge_tables(tables: Iterable[TableItem], selected: Sequence[str], priority: Sequence[str] = (),
                  max_bridges: int | None = DEFAULT_MAX_BRIDGES) -> list[Bridge]:
    """The tables that connect ``selected`` through foreign keys, in the order they were added.

    Args:
        tables: Every table that may be joined (usually the registry's tables).
        selected: The selected table names (the terminals), best first; unknown names are ignored.
        priority: Names to prefer between equally short paths, best first (e.g. the reranker's
            ranking); other tables follow in ``tables`` order. Defaults to ().
        max_bridges: Tables one path may cross; None for no limit. Defaults to ``DEFAULT_MAX_BRIDGES``.
    """
    graph = fk_graph(tables)
    ranked = dict.fromkeys(n for n in (*selected, *priority) if n in graph)  # selected first, for notes
    preference = {name: i for i, name in enumerate(ranked)}
    order = {name: (preference.get(name, len(preference)), i) for i, name in enumerate(graph)}
    graph = {name: sorted(neighbours, key=order.__getitem__) for name, neighbours in graph.items()}
    terminals = [name for name in dict.fromkeys(selected) if name in graph]

    tree: dict[str, set[str]] = {}  # the Steiner forest's adjacency
    added: list[str] = []  # bridge tables in the order they joined the forest
    waiting = list(terminals)
    while waiting:
        component = {waiting.pop(0)}
        while waiting:
            path = _shortest_path(graph, component, set(waiting), order, max_bridges)
            if path is None:
                break
            waiting.remove(path[-1])
            for a, b in pairwise(path):
                tree.setdefault(a, set()).add(b)
                tree.setdefault(b, set()).add(a)
            added.extend(node for node in path[1:-1] if node not in component)
            component.update(path)
    terminal_set = set(terminals)
    return [Bridge(name, _joined_terminals(tree, name, terminal_set, order)) for name in added]


def _shortest_path(graph: dict[str, list[str]], sources: set[str], targets: set[str],
                   order: dict[str, tuple[int, int]], max_bridges: int | None) -> list[str] | None:
    """A fewest-hop path from any of ``sources`` to the nearest of ``targets`` (multi-source BFS)."""
    parent: dict[str, str | None] = {name: None for name in sorted(sources, key=order.__getitem__)}
    depth = dict.fromkeys(parent, 0)
    queue = deque(parent)
    while queue:
        node = queue.popleft()
        for neighbour in graph[node]:
            if neighbour in parent:
                continue
            parent[neighbour] = node
            if neighbour in targets:
                path = [neighbour]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])  # type: ignore[arg-type]
                return path[::-1]
            depth[neighbour] = depth[node] + 1
            if max_bridges is None or depth[neighbour] <= max_bridges:
                queue.append(neighbour)
    return None


def _joined_terminals(tree: dict[str, set[str]], bridge: str, terminals: set[str],
                      order: dict[str, tuple[int, int]]) -> tuple[str, ...]:
    """For each branch of the tree at ``bridge``, the terminal nearest to it; best-ranked first."""
    joined = []
    for start in sorted(tree[bridge], key=order.__getitem__):
        seen, frontier = {bridge, start}, [start]
        while frontier:
            found = sorted((n for n in frontier if n in terminals), key=order.__getitem__)
            if found:
                joined.append(found[0])
                break
            frontier = [n for node in frontier for n in sorted(tree[node], key=order.__getitem__) if n not in seen]
            seen.update(frontier)
    return tuple(sorted(joined, key=order.__getitem__))
