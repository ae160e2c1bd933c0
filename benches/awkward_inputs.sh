#!/usr/bin/env bash
# Inputs that are legal but unlike a plain dump of articles, made from a generated corpus, each
# scanned at both levels with wall time and peak RSS printed:
#   - one story copied 6,000 times (three words edited in each) among 4,000 other articles;
#   - three documents of 33 MB between them (a whole dump as one text, and its first half);
#   - the corpus as one pretty-printed .json array;
#   - 30,000 articles that are three texts repeated.
#   benches/awkward_inputs.sh [CORPUS.jsonl]   (default: gen_corpus.py --docs 100000 --seed 1)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-/tmp/corpora/news-100000-seed1.jsonl}
if [ ! -f "$corpus" ]; then
  mkdir -p "$(dirname "$corpus")"
  python3 ../shared/bench/gen_corpus.py --docs 100000 --seed 1 --out "$corpus"
fi
cargo build --release --quiet
bin=$PWD/target/release/wiredup
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$corpus" "$work" <<'EOF'
import json, random, sys
corpus, work = sys.argv[1:3]
docs = [json.loads(line) for line in open(corpus)]
random.seed(1)
words = docs[0]["text"].split()
with open(f"{work}/big-cluster.jsonl", "w") as f:
    for i in range(6000):
        w = list(words)
        for _ in range(3):
            w[random.randrange(len(w))] = "edit%d" % random.randrange(10**6)
        f.write(json.dumps({"id": "c%05d" % i, "text": " ".join(w)}) + "\n")
    for d in docs[1:4000]:
        f.write(json.dumps(d) + "\n")
big = " ".join(d["text"] for d in docs[:8000])
with open(f"{work}/long-docs.jsonl", "w") as f:
    f.write(json.dumps({"id": "big", "text": big}) + "\n")
    f.write(json.dumps({"id": "half", "text": big[: len(big) // 2]}) + "\n")
    f.write(json.dumps({"id": "small", "text": docs[0]["text"]}) + "\n")
with open(f"{work}/array.json", "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(d, indent=1) for d in docs) + "\n]\n")
with open(f"{work}/repeated.jsonl", "w") as f:
    for i in range(30000):
        f.write(json.dumps({"id": "s%05d" % i, "text": docs[i % 3]["text"]}) + "\n")
EOF
for input in big-cluster.jsonl long-docs.jsonl array.json repeated.jsonl; do
  for level in copy story; do
    out=$( { /usr/bin/time -f "%e %M" "$bin" scan "$work/$input" --level "$level" -q \
        --pairs "$work/pairs.jsonl" --clusters "$work/clusters.jsonl" >/dev/null; } 2>&1 | tail -1)
    read -r wall rss <<<"$out"
    printf '%-18s %-6s wall %7.2f s   peak RSS %5d MB   pairs %d\n' \
      "$input" "$level" "$wall" $(( rss / 1024 )) "$(wc -l < "$work/pairs.jsonl")"
  done
done
