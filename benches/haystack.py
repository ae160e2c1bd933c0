#!/usr/bin/env python3
"""Story level in a haystack: the labelled ECB+ articles mixed into real, unrelated wire news.

  python3 benches/haystack.py make  OUT.jsonl [--reuters N]
  python3 benches/haystack.py score CLUSTERS.jsonl PAIRS.jsonl

ecbplus-dev alone is a dense corpus: 772 articles, every topic holding two similar events, so a
topic's words are common in it. A real dump is diverse. `make` writes the ecbplus-dev articles
followed by the first N Reuters-21578 stories (default: all 21,578; 1987 business news, no
ECB+ event among them), so that the same labelled articles are scanned among many others:
document frequencies, and with them every weight, come from the mixed corpus.

`score` prints one JSON line: ../shared/eval/score.py's figures over the ecbplus-dev articles
only (a Reuters story in an ECB+ cluster does not count there), and the false links with the
haystack: pairs and clusters that join an ECB+ article to a Reuters story (none are true).
Standard library only, apart from running score.py.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared")
ECB = os.path.join(SHARED, "data", "ecbplus-dev")
REUTERS = os.path.join(SHARED, "data", "reuters21578", "docs.jsonl")
SCORE = os.path.join(SHARED, "eval", "score.py")


def ids(path):
    with open(path, encoding="utf-8") as f:
        return {json.loads(line)["id"] for line in f if line.strip()}


def make(out, reuters):
    ecb_ids = set()
    tmp = out + ".tmp"
    written = 0
    with open(tmp, "w", encoding="utf-8") as w:
        with open(os.path.join(ECB, "docs.jsonl"), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    ecb_ids.add(json.loads(line)["id"])
                    w.write(line.rstrip("\n") + "\n")
        with open(REUTERS, encoding="utf-8") as f:
            for line in f:
                if reuters is not None and written >= reuters:
                    break
                if not line.strip():
                    continue
                if json.loads(line)["id"] in ecb_ids:
                    sys.exit(f"{REUTERS}: id collides with an ecbplus-dev id: {line[:80]}")
                w.write(line.rstrip("\n") + "\n")
                written += 1
    os.replace(tmp, out)
    print(json.dumps({"ecbplus_docs": len(ecb_ids), "reuters_docs": written, "out": out}))


def member_id(m):
    return str(m["id"]) if isinstance(m, dict) else str(m)


def score(clusters, pairs):
    ecb_ids = ids(os.path.join(ECB, "docs.jsonl"))
    run = subprocess.run(
        [sys.executable, SCORE, "--gold", os.path.join(ECB, "labels.jsonl"), "--clusters", clusters,
         "--docs", os.path.join(ECB, "docs.jsonl"), "--json"],
        check=True, capture_output=True, text=True)
    result = json.loads(run.stdout)
    cross_pairs = 0
    with open(pairs, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                p = json.loads(line)
                cross_pairs += (str(p["a"]) in ecb_ids) != (str(p["b"]) in ecb_ids)
    mixed_clusters = reuters_in_ecb_clusters = 0
    with open(clusters, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            members = [member_id(m) for m in json.loads(line)["members"]]
            ecb = sum(m in ecb_ids for m in members)
            if 0 < ecb < len(members):
                mixed_clusters += 1
                reuters_in_ecb_clusters += len(members) - ecb
    result.update({"cross_pairs": cross_pairs, "mixed_clusters": mixed_clusters,
                   "reuters_docs_in_mixed_clusters": reuters_in_ecb_clusters})
    print(json.dumps(result))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out")
    m.add_argument("--reuters", type=int, default=None, help="Reuters-21578 stories to add (default: all)")
    s = sub.add_parser("score")
    s.add_argument("clusters")
    s.add_argument("pairs")
    a = ap.parse_args()
    if a.cmd == "make":
        make(a.out, a.reuters)
    else:
        score(a.clusters, a.pairs)


if __name__ == "__main__":
    main()
