#!/usr/bin/env python3
"""How often is a wire story found inside a longer article that wraps it?

  python3 benches/containment.py make  OUT.jsonl [--stories 200] [--seed 1]
  python3 benches/containment.py score OUT.jsonl CLUSTERS.jsonl [PAIRS.jsonl]

`make` takes real Reuters-21578 stories (../shared/data/reuters21578/docs.jsonl) of 150-500
words as the wire copies, and for each one and each wrapping ratio R in 1.25 .. 6 writes an
article of about R times the story's words: local paragraphs (the first paragraphs of other
Reuters stories, each used once) before and after the story, which is kept verbatim. So the story
is wholly contained in the article (containment 1.0) and their word 5-gram Jaccard is about 1 / R.
Ids: `s<i>` for the story, `s<i>-x<R>` for its wrappers; OUT.jsonl.labels.jsonl lists the pairs.

`score` prints, per ratio, the share of (story, wrapper) pairs in one cluster of CLUSTERS (and,
given PAIRS, listed as a pair), as one JSON line. Standard library only.
"""
import argparse
import json
import os
import random
import re

RATIOS = [1.25, 1.5, 2, 3, 4, 6]
HERE = os.path.dirname(os.path.abspath(__file__))
REUTERS = os.path.join(HERE, "..", "..", "shared", "data", "reuters21578", "docs.jsonl")
WORD = re.compile(r"[^\W_]+")


def words(text):
    return len(WORD.findall(text))


def make(out, stories, seed):
    docs = []
    with open(REUTERS, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d.get("text", "").strip():
                docs.append(d["text"].strip())
    rng = random.Random(seed)
    rng.shuffle(docs)
    wire = [t for t in docs if 150 <= words(t) <= 500][:stories]
    chosen = set(wire)
    # Filler: paragraphs of the other stories, each used once, dropping exact repeats.
    seen, filler = set(), []
    for t in docs:
        if t in chosen:
            continue
        for para in t.split("\n    "):
            para = para.strip()
            if words(para) >= 20 and para not in seen:
                seen.add(para)
                filler.append(para)
    rng.shuffle(filler)
    lines, labels = [], []
    for i, story in enumerate(wire):
        sid = f"s{i}"
        lines.append({"id": sid, "text": story})
        for r in RATIOS:
            need = int(words(story) * (r - 1))
            before, after, got = [], [], 0
            while got < need:
                if not filler:
                    raise SystemExit("out of filler paragraphs: ask for fewer stories")
                p = filler.pop()
                (before if len(before) <= len(after) else after).append(p)
                got += words(p)
            wid = f"{sid}-x{r}"
            lines.append({"id": wid, "text": "\n\n".join(before + [story] + after)})
            labels.append({"a": sid, "b": wid, "ratio": r})
    with open(out, "w", encoding="utf-8") as f:
        for d in lines:
            f.write(json.dumps(d) + "\n")
    with open(out + ".labels.jsonl", "w", encoding="utf-8") as f:
        for x in labels:
            f.write(json.dumps(x) + "\n")
    print(json.dumps({"stories": len(wire), "documents": len(lines), "pairs": len(labels)}))


def score(corpus, clusters, pairs):
    cluster = {}
    with open(clusters, encoding="utf-8") as f:
        for line in f:
            c = json.loads(line)
            for m in c["members"]:
                cluster[m["id"] if isinstance(m, dict) else m] = c["cluster"]
    listed = set()
    if pairs:
        with open(pairs, encoding="utf-8") as f:
            for line in f:
                p = json.loads(line)
                listed.add((p["a"], p["b"]))
                listed.add((p["b"], p["a"]))
    out = {}
    with open(corpus + ".labels.jsonl", encoding="utf-8") as f:
        labels = [json.loads(line) for line in f]
    for r in RATIOS:
        mine = [x for x in labels if x["ratio"] == r]
        together = sum(1 for x in mine if x["a"] in cluster and cluster[x["a"]] == cluster.get(x["b"]))
        row = {"pairs": len(mine), "same_cluster": round(together / len(mine), 4)}
        if pairs:
            row["listed"] = round(sum(1 for x in mine if (x["a"], x["b"]) in listed) / len(mine), 4)
        out[f"x{r}"] = row
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out")
    m.add_argument("--stories", type=int, default=200)
    m.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("score")
    s.add_argument("corpus")
    s.add_argument("clusters")
    s.add_argument("pairs", nargs="?")
    a = ap.parse_args()
    if a.cmd == "make":
        make(a.out, a.stories, a.seed)
    else:
        score(a.corpus, a.clusters, a.pairs)


if __name__ == "__main__":
    main()
