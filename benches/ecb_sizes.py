#!/usr/bin/env python3
"""Story level on smaller corpora: ecbplus-dev cut down to random sets of whole topics.

  python3 benches/ecb_sizes.py [--sizes 5,10,18,33] [--draws 6] [--bin target/release/wiredup] [-- SCAN FLAGS...]

The defaults were chosen on all of ecbplus-dev (33 topics, 772 articles). A corpus of another
size gives other document frequencies, so other weights and cosines. For each size, `--draws`
random sets of that many topics (each topic with both its events; draw d of size k is seeded
with 100 d + k, so every run scans the same subsets) are written to a temporary folder, scanned
at story level with the given flags, and scored with ../shared/eval/score.py over their own
articles. Prints one line per size: mean and lowest ARI over the draws, mean pair precision and
recall, mean articles per draw. Needs a release build (`cargo build --release`).
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared")
ECB = os.path.join(SHARED, "data", "ecbplus-dev")
SCORE = os.path.join(SHARED, "eval", "score.py")


def topic(doc_id):
    """ECB+ ids start with their topic number: `12_3ecbplus`."""
    return doc_id.split("_", 1)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5,10,18,33", help="topics per subset, comma-separated")
    ap.add_argument("--draws", type=int, default=6, help="random subsets per size (one when it is every topic)")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "wiredup"))
    ap.add_argument("flags", nargs=argparse.REMAINDER, help="after --: extra `scan` flags")
    a = ap.parse_args()
    flags = [f for f in a.flags if f != "--"]
    with open(os.path.join(ECB, "docs.jsonl"), encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    topics = sorted({topic(d["id"]) for d in docs}, key=lambda t: (len(t), t))
    with tempfile.TemporaryDirectory() as tmp:
        subset, clusters = os.path.join(tmp, "subset.jsonl"), os.path.join(tmp, "clusters.jsonl")
        for k in (int(s) for s in a.sizes.split(",")):
            if not 1 <= k <= len(topics):
                sys.exit(f"--sizes: {k} is not between 1 and {len(topics)} topics")
            rows = []
            for d in range(a.draws if k < len(topics) else 1):
                chosen = set(random.Random(100 * d + k).sample(topics, k))
                with open(subset, "w", encoding="utf-8") as f:
                    kept = [doc for doc in docs if topic(doc["id"]) in chosen]
                    f.writelines(json.dumps(doc) + "\n" for doc in kept)
                subprocess.run([a.bin, "scan", subset, "--level", "story", "--clusters", clusters, "-q", *flags],
                               check=True, stdout=subprocess.DEVNULL)
                run = subprocess.run([sys.executable, SCORE, "--gold", os.path.join(ECB, "labels.jsonl"),
                                      "--clusters", clusters, "--docs", subset, "--json"],
                                     check=True, capture_output=True, text=True)
                s = json.loads(run.stdout)
                rows.append((s["ari"], s["precision"], s["recall"], len(kept)))
            mean = [statistics.mean(r[i] for r in rows) for i in range(4)]
            print(json.dumps({"topics": k, "draws": len(rows), "ari_mean": round(mean[0], 4),
                              "ari_min": round(min(r[0] for r in rows), 4), "precision_mean": round(mean[1], 4),
                              "recall_mean": round(mean[2], 4), "articles_mean": round(mean[3], 1)}))


if __name__ == "__main__":
    main()
