#!/usr/bin/env python3
"""Score a wiredup pairs file against a generated corpus (gen_corpus.py) and its labels.

  python3 benches/score_pairs.py CORPUS.jsonl PAIRS.jsonl [--threshold 0.5] [--containment 0.8] [--ngram 5]

Truth: labelled near-duplicate pairs (same "cluster" in CORPUS.jsonl.labels.jsonl) whose EXACT
word n-gram Jaccard is >= threshold, with the tokenisation of ../shared/bench/peers.py (lower
case, runs of Unicode letters/digits; a text of fewer than n words is one shingle).
Prints one JSON line:
  recall_at_t     share of the truth pairs that PAIRS holds
  precision       share of PAIRS whose exact Jaccard >= threshold or exact containment >= containment
                  (what wiredup promises to report), checked independently here
  precision_at_t  share of PAIRS whose exact Jaccard >= threshold
  label_precision share of PAIRS inside one labelled cluster
Standard library only.
"""
import argparse
import itertools
import json
import re
from collections import defaultdict

TOKEN = re.compile(r"[^\W_]+")


def shingles(text, n):
    w = TOKEN.findall(text.lower())
    if len(w) < n:
        return {" ".join(w)} if w else set()
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("pairs")
    ap.add_argument("--labels")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--containment", type=float, default=0.8)
    ap.add_argument("--ngram", type=int, default=5)
    a = ap.parse_args()
    labels = {}
    with open(a.labels or a.corpus + ".labels.jsonl") as f:
        for line in f:
            r = json.loads(line)
            labels[r["id"]] = r["cluster"]
    found = set()
    with open(a.pairs) as f:
        for line in f:
            r = json.loads(line)
            found.add(tuple(sorted((r["a"], r["b"]))))
    members = defaultdict(list)
    for i, c in labels.items():
        members[c].append(i)
    wanted = {i for c in members.values() if len(c) > 1 for i in c} | {i for p in found for i in p}
    sets = {}
    with open(a.corpus) as f:
        for line in f:
            r = json.loads(line)
            if r["id"] in wanted:
                sets[r["id"]] = shingles(r["text"], a.ngram)

    def overlap(x, y):
        sx, sy = sets[x], sets[y]
        inter = len(sx & sy)
        union = len(sx) + len(sy) - inter
        return (inter / union if union else 0.0,
                max(inter / len(sx) if sx else 0.0, inter / len(sy) if sy else 0.0))

    truth = set()
    for c in members.values():
        for x, y in itertools.combinations(sorted(c), 2):
            if overlap(x, y)[0] >= a.threshold:
                truth.add((x, y))
    ok = at_t = same = 0
    for x, y in found:
        j, cont = overlap(x, y)
        ok += j >= a.threshold or cont >= a.containment
        at_t += j >= a.threshold
        same += labels.get(x) == labels.get(y)
    n = max(1, len(found))
    print(json.dumps({
        "truth_pairs": len(truth), "found_pairs": len(found), "found_truth": len(truth & found),
        "recall_at_t": round(len(truth & found) / max(1, len(truth)), 4),
        "precision": round(ok / n, 4), "precision_at_t": round(at_t / n, 4),
        "label_precision": round(same / n, 4),
    }))


if __name__ == "__main__":
    main()
