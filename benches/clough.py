#!/usr/bin/env python3
"""Score wiredup on graded text reuse: the Clough & Stevenson short-answer corpus.

  python3 benches/clough.py gold  GOLD.jsonl
  python3 benches/clough.py score CLUSTERS.jsonl PAIRS.jsonl

The corpus (../shared/data/clough/) has 5 source texts and 95 answers, each labelled against its
task's source as `cut` (copied and pasted), `light` or `heavy` (revised), or `non` (written
independently on the same task: a hard negative, like a different event about the same people).

`gold` writes the labels as clusters for ../shared/eval/score.py: a source and its cut, light
and heavy answers form one cluster; every `non` answer is a cluster of its own.

`score` prints one JSON line: per label, how many (answer, source) pairs there are, how many are
listed in PAIRS, and how many are in one cluster of CLUSTERS (for `non`, both are false links).
Also, per label, the exact word 5-gram Jaccard and containment of the answer in the source
(median), with the tokenisation of ../shared/bench/peers.py, to show what a copy-level tool can
see. Standard library only.
"""
import argparse
import json
import os
import re
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data", "clough")
LEVELS = ["cut", "light", "heavy", "non"]
TOKEN = re.compile(r"[^\W_]+")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def shingles(text, n=5):
    w = TOKEN.findall(text.lower())
    if len(w) < n:
        return {" ".join(w)} if w else set()
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


def gold(out):
    labels = read_jsonl(os.path.join(DATA, "labels.jsonl"))
    docs = [d["id"] for d in read_jsonl(os.path.join(DATA, "docs.jsonl"))]
    cluster = {d: d for d in docs}
    for x in labels:
        if x["dup"]:
            cluster[x["a"]] = x["b"]
    with open(out, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d, "cluster": cluster[d]}) + "\n")


def score(clusters, pairs):
    labels = read_jsonl(os.path.join(DATA, "labels.jsonl"))
    text = {d["id"]: d["text"] for d in read_jsonl(os.path.join(DATA, "docs.jsonl"))}
    cluster = {}
    for c in read_jsonl(clusters):
        for m in c["members"]:
            cluster[m["id"] if isinstance(m, dict) else m] = c["cluster"]
    listed = set()
    for p in read_jsonl(pairs):
        listed.add((p["a"], p["b"]))
        listed.add((p["b"], p["a"]))
    out = {}
    for level in LEVELS:
        mine = [x for x in labels if x["level"] == level]
        jac, con = [], []
        for x in mine:
            a, b = shingles(text[x["a"]]), shingles(text[x["b"]])
            both = len(a & b)
            jac.append(both / len(a | b) if a | b else 0.0)
            con.append(both / len(a) if a else 0.0)
        out[level] = {
            "pairs": len(mine),
            "listed": sum(1 for x in mine if (x["a"], x["b"]) in listed),
            "same_cluster": sum(1 for x in mine if x["a"] in cluster and cluster[x["a"]] == cluster.get(x["b"])),
            "median_jaccard": round(statistics.median(jac), 3),
            "median_containment": round(statistics.median(con), 3),
        }
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gold")
    g.add_argument("out")
    s = sub.add_parser("score")
    s.add_argument("clusters")
    s.add_argument("pairs")
    a = ap.parse_args()
    if a.cmd == "gold":
        gold(a.out)
    else:
        score(a.clusters, a.pairs)


if __name__ == "__main__":
    main()
