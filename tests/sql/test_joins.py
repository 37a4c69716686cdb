"""FK bridges: chains, stars, composite and self-referencing keys, schemas without keys."""

from __future__ import annotations

import math

import pytest

from toolrouter.registry import parse_ddl
from toolrouter.router import Router
from toolrouter.sql.joins import Bridge, bridge_tables, fk_graph

CHAIN = """
CREATE TABLE alpha (id INT PRIMARY KEY);
CREATE TABLE beta (id INT PRIMARY KEY, alpha_id INT REFERENCES alpha(id), gamma_id INT REFERENCES gamma(id));
CREATE TABLE gamma (id INT PRIMARY KEY);
CREATE TABLE delta (id INT PRIMARY KEY, gamma_id INT REFERENCES gamma(id));
"""


def test_chain_gets_its_middle_table():
    tables = parse_ddl(CHAIN)
    assert bridge_tables(tables, ["alpha", "gamma"]) == [Bridge("beta", ("alpha", "gamma"))]
    assert bridge_tables(tables, ["alpha", "gamma"])[0].note == "joins alpha and gamma"


def test_connected_selection_needs_no_bridge():
    assert bridge_tables(parse_ddl(CHAIN), ["alpha", "beta", "gamma"]) == []


def test_only_path_tables_are_added():
    bridges = bridge_tables(parse_ddl(CHAIN), ["alpha", "delta"])
    assert [b.name for b in bridges] == ["beta", "gamma"]
    assert all(b.joins == ("alpha", "delta") for b in bridges)


def test_hub_joining_three_tables_names_them_all():
    tables = parse_ddl("""
        CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (id INT PRIMARY KEY); CREATE TABLE c (id INT PRIMARY KEY);
        CREATE TABLE hub (a_id INT REFERENCES a(id), b_id INT REFERENCES b(id), c_id INT REFERENCES c(id));
    """)
    [bridge] = bridge_tables(tables, ["a", "b", "c"])
    assert bridge.name == "hub"
    assert bridge.note == "joins a, b and c"


def test_composite_foreign_key_is_one_edge():
    tables = parse_ddl("""
        CREATE TABLE products (product_id INT PRIMARY KEY, name TEXT);
        CREATE TABLE order_lines (order_id INT, line_no INT, product_id INT REFERENCES products(product_id),
          PRIMARY KEY (order_id, line_no));
        CREATE TABLE returns (return_id INT PRIMARY KEY, order_id INT, line_no INT,
          FOREIGN KEY (order_id, line_no) REFERENCES order_lines(order_id, line_no));
    """)
    assert tables[2].foreign_keys[0].columns == ("order_id", "line_no")
    assert fk_graph(tables) == {"products": ["order_lines"], "order_lines": ["products", "returns"],
                                "returns": ["order_lines"]}
    assert bridge_tables(tables, ["returns", "products"]) == [Bridge("order_lines", ("returns", "products"))]


def test_self_reference_adds_no_edge():
    tables = parse_ddl("""
        CREATE TABLE departments (department_id INT PRIMARY KEY);
        CREATE TABLE employees (employee_id INT PRIMARY KEY, manager_id INT REFERENCES employees(employee_id),
          department_id INT REFERENCES departments(department_id));
    """)
    assert fk_graph(tables)["employees"] == ["departments"]
    assert bridge_tables(tables, ["employees"]) == []
    assert bridge_tables(tables, ["employees", "departments"]) == []


def test_schema_without_foreign_keys():
    tables = parse_ddl("CREATE TABLE a (id INT); CREATE TABLE b (id INT); CREATE TABLE c (id INT);")
    assert fk_graph(tables) == {"a": [], "b": [], "c": []}
    assert bridge_tables(tables, ["a", "c"]) == []


def test_foreign_keys_to_unknown_tables_are_ignored():
    tables = parse_ddl("""
        CREATE TABLE a (id INT PRIMARY KEY, ghost_id INT REFERENCES ghost(id));
        CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES A(id));
    """)
    assert fk_graph(tables) == {"a": ["b"], "b": ["a"]}  # "A" matches case-insensitively
    assert bridge_tables(tables, ["a", "ghost", "b"]) == []


def test_disconnected_groups_are_joined_separately():
    tables = parse_ddl(CHAIN + """
        CREATE TABLE x (id INT PRIMARY KEY); CREATE TABLE y (x_id INT REFERENCES x(id), z_id INT REFERENCES z(id));
        CREATE TABLE z (id INT PRIMARY KEY);
    """)
    bridges = bridge_tables(tables, ["alpha", "x", "gamma", "z"])
    assert bridges == [Bridge("beta", ("alpha", "gamma")), Bridge("y", ("x", "z"))]


def test_ties_go_to_the_better_ranked_table():
    tables = parse_ddl("""
        CREATE TABLE s (id INT PRIMARY KEY); CREATE TABLE t (id INT PRIMARY KEY);
        CREATE TABLE p (s_id INT REFERENCES s(id), t_id INT REFERENCES t(id));
        CREATE TABLE q (s_id INT REFERENCES s(id), t_id INT REFERENCES t(id));
    """)
    assert [b.name for b in bridge_tables(tables, ["s", "t"])] == ["p"]
    assert [b.name for b in bridge_tables(tables, ["s", "t"], priority=["t", "q", "s"])] == ["q"]


def test_far_tables_stay_apart_unless_unbounded():
    tables = parse_ddl("""
        CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (a_id INT REFERENCES a(id), id INT PRIMARY KEY);
        CREATE TABLE c (b_id INT REFERENCES b(id), id INT PRIMARY KEY);
        CREATE TABLE d (c_id INT REFERENCES c(id), id INT PRIMARY KEY);
        CREATE TABLE e (d_id INT REFERENCES d(id));
    """)
    assert bridge_tables(tables, ["a", "e"]) == []
    assert [b.name for b in bridge_tables(tables, ["a", "e"], max_bridges=None)] == ["b", "c", "d"]
    assert [b.name for b in bridge_tables(tables, ["a", "d"])] == ["b", "c"]


ROUTED = """
CREATE TABLE alpha (id INT PRIMARY KEY, name TEXT);
CREATE TABLE beta (id INT PRIMARY KEY, alpha_id INT REFERENCES alpha(id), gamma_id INT REFERENCES gamma(id));
CREATE TABLE gamma (id INT PRIMARY KEY, title TEXT);
CREATE TABLE delta (id INT PRIMARY KEY, gamma_id INT REFERENCES gamma(id), amount INT);
"""


def test_router_appends_bridges_after_ranked_tables(overlap_reranker):
    router = Router(overlap_reranker)
    router.add_tables(ROUTED)
    selections = router.select_tables("name or title", k=2)
    assert [(s.name, s.reason) for s in selections] == [("alpha", "ranked"), ("gamma", "ranked"), ("beta", "bridge")]
    assert selections[2].note == "joins alpha and gamma"
    assert selections[2].rank == 3
    assert not math.isnan(selections[2].score)  # bridges that were scored keep their score
    assert [s.name for s in router.select_tables("name or title", k=2, expand=None)] == ["alpha", "gamma"]


def test_router_bridges_always_kept_tables(overlap_reranker):
    router = Router(overlap_reranker)
    router.add_tables(ROUTED)
    selections = router.select_tables("amount", k=1, always=["alpha"])
    assert [(s.name, s.reason) for s in selections] == [
        ("alpha", "always"), ("delta", "ranked"), ("beta", "bridge"), ("gamma", "bridge")]


def test_router_rejects_unknown_expansion(overlap_reranker):
    router = Router(overlap_reranker)
    router.add_tables(ROUTED)
    with pytest.raises(ValueError, match="'fk', None"):
        router.select_tables("alpha", expand="graph")  # type: ignore[arg-type]
