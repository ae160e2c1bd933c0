#!/usr/bin/env bash
# Wall time, CPU time and peak RSS of --level copy and --level story on the same corpus, one
# right after the other, RUNS times (default 3), and the story / copy ratio of each round and
# of the medians, and the same for CPU time (user + system) and for user CPU time alone (the
# system time, mostly the kernel zeroing fresh pages, swings with the host).
# Alternating the levels keeps a machine's slow spells from favouring either.
#   [RUNS=5] [THREADS=1] benches/story_cost.sh [CORPUS.jsonl]   (default: gen_corpus.py --docs 100000 --seed 7)
# THREADS passes --threads (default: every core).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-/tmp/corpora/news-100k.jsonl}
runs=${RUNS:-3}
threads=()
if [ -n "${THREADS:-}" ]; then threads=(--threads "$THREADS"); fi
if [ ! -f "$corpus" ]; then
  mkdir -p "$(dirname "$corpus")"
  python3 ../shared/bench/gen_corpus.py --docs 100000 --seed 7 --out "$corpus"
fi
cargo build --release --quiet
bin=target/release/wiredup
declare -a copy_walls story_walls copy_cpus story_cpus copy_users story_users
for round in $(seq 1 "$runs"); do
  for level in copy story; do
    out=$( { /usr/bin/time -f "%e %U %S %M" "$bin" scan "$corpus" --level "$level" "${threads[@]}" -q \
        --pairs "/tmp/story_cost.$level.pairs.jsonl" --clusters "/tmp/story_cost.$level.clusters.jsonl" >/dev/null; } 2>&1 | tail -1)
    read -r wall user sys rss <<<"$out"
    printf 'round %d %-6s wall %6.2f s   user CPU %6.2f s   system CPU %5.2f s   peak RSS %5d MB   pairs %d\n' \
      "$round" "$level" "$wall" "$user" "$sys" $(( rss / 1024 )) "$(wc -l < "/tmp/story_cost.$level.pairs.jsonl")"
    cpu=$(python3 -c "print($user + $sys)")
    if [ "$level" = copy ]; then
      copy_walls+=("$wall"); copy_cpus+=("$cpu"); copy_users+=("$user")
    else
      story_walls+=("$wall"); story_cpus+=("$cpu"); story_users+=("$user")
    fi
  done
  python3 -c "print('round $round story / copy wall-time ratio: %.2f' % (${story_walls[-1]} / ${copy_walls[-1]}))"
done
python3 - "${copy_walls[*]}" "${story_walls[*]}" "${copy_cpus[*]}" "${story_cpus[*]}" "${copy_users[*]}" "${story_users[*]}" <<'EOF'
import statistics, sys
copy, story, copy_cpu, story_cpu, copy_user, story_user = ([float(x) for x in arg.split()] for arg in sys.argv[1:7])
c, s = statistics.median(copy), statistics.median(story)
print('median wall: copy %.2f s, story %.2f s; story / copy ratio of medians: %.2f' % (c, s, s / c))
c, s = statistics.median(copy_cpu), statistics.median(story_cpu)
print('median CPU (user + system): copy %.2f s, story %.2f s; story / copy ratio: %.2f' % (c, s, s / c))
# System time is mostly the kernel zeroing fresh pages, whose cost swings with the host's state;
# user time is the program's own work.
c, s = statistics.median(copy_user), statistics.median(story_user)
print('median user CPU: copy %.2f s, story %.2f s; story / copy ratio: %.2f' % (c, s, s / c))
EOF
