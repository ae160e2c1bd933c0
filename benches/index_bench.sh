#!/usr/bin/env bash
# The persistent index at scale: build time and size, time to open (and check every byte of) the
# index, and time to check 100 new articles against it (50 edited copies of indexed articles, a
# paragraph cut and a new lede each, and 50 unrelated ones). Asserts that every edited copy is
# found, naming its original, so that a broken benchmark fails.
#   [WRAPPED=1] benches/index_bench.sh [DOCS] [SEED]     (default: 1000000 3)
# WRAPPED=1 builds the index with --wrapped (sampled shingles kept, for wrapped copies).
# The corpus is /tmp/corpora/news-DOCS-seedSEED.jsonl, generated if missing (gen_corpus.py).
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-1000000}
seed=${2:-3}
corpus=/tmp/corpora/news-$docs-seed$seed.jsonl
work=/tmp/index_bench.$docs
if [ ! -f "$corpus" ]; then
  mkdir -p "$(dirname "$corpus")"
  python3 ../shared/bench/gen_corpus.py --docs "$docs" --seed "$seed" --out "$corpus"
fi
cargo build --release --quiet
bin=target/release/wiredup
mkdir -p "$work"
rm -rf "$work/idx"
build_flags=()
if [ -n "${WRAPPED:-}" ]; then build_flags=(--wrapped); fi

out=$( { /usr/bin/time -f "%e %M" "$bin" index build "$work/idx" "$corpus" "${build_flags[@]}" -q >/dev/null; } 2>&1 | tail -1)
bytes=$(du -cb "$work"/idx/* | tail -1 | cut -f1)
printf 'build   %d documents: %.1f s, peak RSS %d MB, index %d bytes (%d per document)\n' \
  "$docs" "${out%% *}" $(( ${out##* } / 1024 )) "$bytes" $(( bytes / docs ))

# 50 edited copies of indexed articles and 50 unrelated ones (another seed).
python3 ../shared/bench/gen_corpus.py --docs 50 --seed 99 --out "$work/other.jsonl" >/dev/null 2>&1
python3 - "$corpus" "$docs" "$work" <<'EOF'
import json, sys
corpus, docs, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
step = docs // 50
picked, expect = [], []
with open(corpus) as f:
    for i, line in enumerate(f):
        if i % step == step // 2 and len(picked) < 50:
            d = json.loads(line)
            paras = [p for p in d["text"].split("\n") if p.strip()]
            if len(paras) > 3:
                del paras[2]
            text = "Readers were told on Monday of a development that changes the picture.\n" + "\n".join(paras)
            picked.append({"id": "edited-%d" % i, "text": text})
            expect.append((picked[-1]["id"], d["id"]))
with open(work + "/other.jsonl") as f:
    others = [dict(json.loads(l), id="other-%d" % k) for k, l in enumerate(f)]
with open(work + "/new100.jsonl", "w") as out:
    for d in picked + others:
        out.write(json.dumps({"id": d["id"], "text": d["text"]}) + "\n")
json.dump(expect, open(work + "/expect.json", "w"))
EOF

best() { sort -n | head -1; }
open_s=$(for i in 1 2 3 4 5; do "$bin" index info "$work/idx" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["open_seconds"])'; done | best)
printf 'open    %.3f s (manifest, map, xxh3 of every section; best of 5, warm page cache)\n' "$open_s"

for level in copy story; do
  t=$(for i in 1 2 3 4 5; do
        s=$(date +%s.%N)
        "$bin" check --index "$work/idx" "$work/new100.jsonl" --level "$level" --format json -q >"$work/check.$level.jsonl" || true
        e=$(date +%s.%N)
        python3 -c "print($e - $s)"
      done | best)
  python3 - "$work" "$level" "$t" "$open_s" <<'EOF'
import json, sys
work, level, t, open_s = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
rows = {r["id"]: r for r in map(json.loads, open(f"{work}/check.{level}.jsonl"))}
expect = json.load(open(f"{work}/expect.json"))
found = sum(1 for new, orig in expect if any(m["id"] == orig and m["relation"] in ("duplicate", "copy") for m in rows[new]["matches"]))
# Unrelated articles copying an indexed one (they may copy each other: gen_corpus makes copies).
false = sum(1 for k, r in rows.items() if k.startswith("other-")
            for m in r["matches"] if m["in"] == "index" and m["relation"] != "rewrite")
rewrites = sum(1 for r in rows.values() for m in r["matches"] if m["relation"] == "rewrite")
print(f"check   100 articles, --level {level}: {t:.3f} s in all, {t - open_s:.3f} s after opening; "
      f"edited copies found {found}/{len(expect)}, unrelated ones copying the index {false}, rewrite matches {rewrites}")
assert found == len(expect), "an edited copy was missed"
assert false == 0, "an unrelated article matched the index as a copy"
EOF
done
