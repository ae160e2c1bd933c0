"""The large-star / small-star loop against a plain union-find."""

import random

import wiredup_spark as ws


def union_find(edges):
    """{node: smallest node of its component} for the nodes of `edges`."""
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent)}


def labels(rng, prefix, n):
    """`n` distinct node names of different lengths, so string order differs from number order."""
    return [f"{prefix}{v}" for v in rng.sample(range(1, 50 * n), n)]


def chain(rng, prefix, n):
    nodes = labels(rng, prefix, n)
    return list(zip(nodes, nodes[1:]))


def star(rng, prefix, n, center_last=True):
    nodes = sorted(labels(rng, prefix, n))
    center = nodes[-1] if center_last else nodes[len(nodes) // 2]
    return [(center, x) if rng.random() < 0.5 else (x, center) for x in nodes if x != center]


def random_graph(rng, prefix, n, m):
    nodes = labels(rng, prefix, n)
    return [tuple(rng.sample(nodes, 2)) for _ in range(m)]


def graphs(seed):
    rng = random.Random(seed)
    edges = []
    edges += chain(rng, "c", 300)  # long path, labels in random order
    edges += [(f"o{i:04d}", f"o{i + 1:04d}") for i in range(200)]  # path with increasing labels
    edges += [(f"r{i:04d}", f"r{i - 1:04d}") for i in range(200, 0, -1)]  # and decreasing
    edges += star(rng, "s", 80)
    edges += star(rng, "t", 40, center_last=False)
    edges += [(f"i{2 * k}", f"i{2 * k + 1}") for k in range(100)]  # isolated edges
    for k in range(6):
        edges += random_graph(rng, f"g{k}_", rng.randint(20, 300), rng.randint(15, 250))
    nodes = labels(rng, "k", 8)
    edges += [(a, b) for a in nodes for b in nodes if a < b]  # a complete graph
    edges += [(b, a) for a, b in edges[:50]]  # both directions
    edges += [("self", "self"), ("self", "z")]  # a self loop
    rng.shuffle(edges)
    return edges


def components(spark, edges):
    df = spark.createDataFrame(edges, "a string, b string")
    clusters, rounds = ws.connected_components(df)
    rows = clusters.collect()
    got = {r["id"]: r["cluster"] for r in rows}
    assert len(got) == len(rows), "a node is in more than one cluster"
    return got, rounds


def test_components_equal_union_find_on_random_graphs(spark):
    # Two independent draws in one graph (node names kept apart), to keep the suite fast.
    edges = [(f"x{a}", f"x{b}") for a, b in graphs(1)] + [(f"y{a}", f"y{b}") for a, b in graphs(2)]
    got, rounds = components(spark, edges)
    assert got == union_find(edges)
    assert 0 < rounds < 30


def test_components_of_no_edges_and_of_a_finished_star(spark):
    assert components(spark, []) == ({}, 0)
    got, rounds = components(spark, [("b", "a"), ("a", "c"), ("d", "a")])
    assert got == {"a": "a", "b": "a", "c": "a", "d": "a"} and rounds == 0
