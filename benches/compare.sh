#!/usr/bin/env bash
# wiredup beside the established MinHash tools on one generated corpus, one table.
#   benches/compare.sh [DOCS] [SEED] [PEERS...]      (defaults: 100000 1 gaoya rensa datasketch)
#   BIG_DOCS=1000000 BIG_SEED=3 benches/compare.sh ... also runs wiredup (2 threads) on a second,
#   larger corpus (made when missing: 2.8 GB, about 15 minutes of gen_corpus.py); PEERS=none
#   skips the peers.
# Needs ../shared/bench (gen_corpus.py, peers.py) and the peers' venv from
# ../shared/bench/setup_peers.sh (made here when missing). Copy level, 128 permutations,
# word 5-grams, threshold 0.5 for everyone. Recall and precision count the labelled pairs
# whose exact 5-gram Jaccard is >= 0.5 (peers.py's definitions; benches/score_pairs.py for
# wiredup, which also reports pairs kept by containment: "precision" below is the share of
# wiredup's pairs meeting its own criterion, Jaccard >= 0.5 or containment >= 0.8).
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-100000}
seed=${2:-1}
shift $(( $# > 2 ? 2 : $# )) || true
peers=("$@")
[ ${#peers[@]} -gt 0 ] || peers=(gaoya rensa datasketch)
[ "${peers[0]}" != none ] || peers=()
bench=../shared/bench
corpus=/tmp/corpora/news-${docs}-seed${seed}.jsonl
mkdir -p /tmp/corpora
[ -f "$corpus" ] || python3 "$bench/gen_corpus.py" --docs "$docs" --seed "$seed" --out "$corpus"
[ -x /tmp/peers-venv/bin/python ] || bash "$bench/setup_peers.sh" >/dev/null
cargo build --release --quiet
results=/tmp/compare.$$.jsonl
: > "$results"
# Every tool starts with the corpus in the page cache: some hosts drop a file's pages after a
# minute unread, and the first run would pay for reading it again (~1 s per 280 MB here).
warm() { cat "$1" >/dev/null; }
# wiredup CORPUS THREADS: one copy-level scan, timed, scored, appended to the results.
run_wiredup() {
  local corpus=$1 threads=$2 pairs=/tmp/compare.$$.pairs.jsonl t score
  warm "$corpus"
  t=$( { /usr/bin/time -f "%e %M" target/release/wiredup scan "$corpus" --level copy -q --threads "$threads" \
        --pairs "$pairs" >/dev/null; } 2>&1 | tail -1)
  score=$(python3 benches/score_pairs.py "$corpus" "$pairs")
  python3 -c "import json,sys; s=json.loads(sys.argv[3]); print(json.dumps({'tool':'wiredup --threads '+sys.argv[4]+sys.argv[5],'wall_s':float(sys.argv[1]),'rss_mb':int(sys.argv[2])//1024,'recall':s['recall_at_t'],'precision':s['precision']}))" \
    ${t% *} ${t#* } "$score" "$threads" "$(basename "$corpus" | sed -E 's/news-([0-9]+)-seed.*/ (\1 docs)/')" >> "$results"
}
for threads in 2 1; do
  run_wiredup "$corpus" "$threads"
done
for peer in "${peers[@]}"; do
  warm "$corpus"
  line=$(/tmp/peers-venv/bin/python "$bench/peers.py" "$peer" "$corpus" --labels "$corpus.labels.jsonl" 2>/dev/null | tail -1)
  python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(json.dumps({'tool':r['peer']+' '+r['version'],'wall_s':r['total_s'],'rss_mb':int(r['peak_rss_mb']),'recall':r['recall_at_t'],'precision':r['precision_at_t']}))" "$line" >> "$results"
done
if [ -n "${BIG_DOCS:-}" ]; then
  big=/tmp/corpora/news-${BIG_DOCS}-seed${BIG_SEED:-3}.jsonl
  [ -f "$big" ] || python3 "$bench/gen_corpus.py" --docs "$BIG_DOCS" --seed "${BIG_SEED:-3}" --out "$big"
  run_wiredup "$big" 2
fi
python3 - "$results" "$corpus" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"corpus: {sys.argv[2]}")
print(f"| {'tool':<34} | {'wall s':>7} | {'peak RSS MB':>11} | {'recall':>6} | {'precision':>9} |")
print(f"|{'-'*36}|{'-'*9}|{'-'*13}|{'-'*8}|{'-'*11}|")
for r in rows:
    print(f"| {r['tool']:<34} | {r['wall_s']:>7.2f} | {r['rss_mb']:>11} | {r['recall']:>6.4f} | {r['precision']:>9.4f} |")
PY
rm -f "$results" /tmp/compare.$$.pairs.jsonl
