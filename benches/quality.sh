#!/usr/bin/env bash
# Every story-level quality set in one run, with the same scan flags for all, so that a change
# to the story weights or thresholds is judged on all of them at once (not tuned to one):
#   ecbplus-dev (ARI, pair precision / recall), the seeds (their expected clusters or not),
#   Clough's graded reuse (ARI), ecbplus-dev at 5 / 10 / 18 / 33 topics (benches/ecb_sizes.py,
#   mean ARI), ecbplus-dev among all 21,578 Reuters-21578 stories (benches/haystack.py: ARI,
#   pairs linking to the haystack), and Reuters-21578 alone (rewrite pairs: no labels, fewer is
#   better there, see README "Known limit: templated reports").
# With BIG=corpus.jsonl (made by gen_corpus.py, its .labels.jsonl beside it) also that corpus's ARI.
#   [BIG=/tmp/corpora/news-100000-seed1.jsonl] benches/quality.sh [SCAN FLAGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/wiredup
data=../shared/data
score=../shared/eval/score.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# `scan ARGS...`: a story-level scan; exit 3 (an input skipped, named on stderr: Reuters-21578 has
# one story with an empty text) is not a failure here.
scan() { "$bin" scan --level story -q "$@" >/dev/null || [ $? -eq 3 ]; }
# `pick KEYS...`: the named fields of one JSON line on stdin, rounded, space-separated.
pick() { python3 -c "import json, sys; d = json.load(sys.stdin); print(' '.join(str(round(d[k], 4)) for k in sys.argv[1:]))" "$@"; }

scan "$data/ecbplus-dev/docs.jsonl" --clusters "$tmp/ecb.jsonl" "$@"
echo "ecbplus-dev      ARI / precision / recall: $(python3 "$score" --gold "$data/ecbplus-dev/labels.jsonl" \
  --clusters "$tmp/ecb.jsonl" --json | pick ari precision recall)"

scan seeds --clusters "$tmp/seeds.jsonl" "$@"
echo "seeds            expected clusters: $(python3 "$score" --gold seeds/expected-clusters.jsonl \
  --clusters "$tmp/seeds.jsonl" --json | python3 -c "import json, sys; print('yes' if json.load(sys.stdin)['ari'] == 1.0 else 'NO')")"

python3 benches/clough.py gold "$tmp/clough-gold.jsonl"
scan "$data/clough/docs.jsonl" --clusters "$tmp/clough.jsonl" "$@"
echo "clough           ARI / precision / recall: $(python3 "$score" --gold "$tmp/clough-gold.jsonl" \
  --clusters "$tmp/clough.jsonl" --json | pick ari precision recall)"

echo "ecbplus subsets  mean ARI at 5 / 10 / 18 / 33 topics: $(python3 benches/ecb_sizes.py --bin "$bin" -- "$@" \
  | python3 -c "import json, sys; print(' / '.join(str(json.loads(l)['ari_mean']) for l in sys.stdin))")"

python3 benches/haystack.py make "$tmp/hay.jsonl" >/dev/null
scan "$tmp/hay.jsonl" --clusters "$tmp/hay-c.jsonl" --pairs "$tmp/hay-p.jsonl" "$@" 2>/dev/null
echo "haystack         ARI / pairs to Reuters: $(python3 benches/haystack.py score "$tmp/hay-c.jsonl" "$tmp/hay-p.jsonl" \
  | pick ari cross_pairs)"

scan "$data/reuters21578/docs.jsonl" --pairs "$tmp/r.jsonl" "$@" 2>/dev/null
echo "reuters-21578    rewrite pairs: $(grep -c '"rewrite"' "$tmp/r.jsonl")"

if [ -n "${BIG:-}" ]; then
  scan "$BIG" --clusters "$tmp/big.jsonl" "$@"
  echo "$(basename "$BIG")  ARI / precision / recall: $(python3 "$score" --gold "$BIG.labels.jsonl" \
    --clusters "$tmp/big.jsonl" --json | pick ari precision recall)"
fi
