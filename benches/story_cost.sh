#!/usr/bin/env bash
# Wall time and peak RSS of --level copy and --level story on the same corpus, one after the
# other in one run, and their ratio.
#   benches/story_cost.sh [CORPUS.jsonl]   (default: a 100k corpus made by gen_corpus.py --seed 7)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-/tmp/corpora/news-100k.jsonl}
if [ ! -f "$corpus" ]; then
  mkdir -p "$(dirname "$corpus")"
  python3 ../shared/bench/gen_corpus.py --docs 100000 --seed 7 --out "$corpus"
fi
cargo build --release --quiet
bin=target/release/wiredup
declare -A wall
for level in copy story; do
  out=$( { /usr/bin/time -f "%e %M" "$bin" scan "$corpus" --level "$level" -q \
      --pairs "/tmp/story_cost.$level.pairs.jsonl" --clusters "/tmp/story_cost.$level.clusters.jsonl" >/dev/null; } 2>&1 | tail -1)
  wall[$level]=${out%% *}
  printf '%-6s wall %6.2f s   peak RSS %5d MB   pairs %d\n' "$level" "${out%% *}" $(( ${out##* } / 1024 )) \
    "$(wc -l < "/tmp/story_cost.$level.pairs.jsonl")"
done
python3 -c "print('story / copy wall-time ratio: %.2f' % (${wall[story]} / ${wall[copy]}))"
