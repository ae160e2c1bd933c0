#!/usr/bin/env bash
# Spark local mode against one `wiredup scan --level copy` on the same corpus: wall time and peak
# memory of each, and a check that both find the same clusters and pairs (exit 1 if not).
#   benches/spark_vs_scan.sh DOCS SEED        (e.g. 200000 1; run it on a quiet machine)
# The corpus is /tmp/corpora/news-DOCS-seedSEED.jsonl, generated if missing (gen_corpus.py).
# Needs Java 17+ and a venv with spark/requirements.txt (SPARK_VENV, default: the one .ci/run
# makes). Knobs: MASTER (local[2]), DRIVER_MEMORY (2g: in local mode the executors live in the
# driver's JVM), PARTITIONS (spark.sql.shuffle.partitions, 8), WORK (the output folder).
# Memory is reported twice: the largest single process (/usr/bin/time -v, "max RSS") and the sum
# over the whole process tree sampled every 0.2 s ("tree RSS": for Spark, the JVM plus the Python
# workers plus the wiredup processes they run; at least the max RSS, for runs shorter than that).
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:?usage: benches/spark_vs_scan.sh DOCS SEED}
seed=${2:?usage: benches/spark_vs_scan.sh DOCS SEED}
corpus=/tmp/corpora/news-$docs-seed$seed.jsonl
work=${WORK:-/tmp/spark_vs_scan.$docs.$seed}
venv=${SPARK_VENV:-${WIREDUP_SPARK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/wiredup/spark-venv}}
master=${MASTER:-local[2]}
if [ ! -f "$corpus" ]; then
  mkdir -p "$(dirname "$corpus")"
  python3 ../shared/bench/gen_corpus.py --docs "$docs" --seed "$seed" --out "$corpus"
fi
[ -x "$venv/bin/spark-submit" ] || { echo "error: no spark-submit in $venv (SPARK_VENV)" >&2; exit 2; }
cargo build --release --quiet
bin=$PWD/target/release/wiredup
rm -rf "$work"
mkdir -p "$work/scan"

# Runs "$@" under /usr/bin/time -v (report in $work/$name.time) while sampling the RSS of its
# process tree (peak in $work/$name.tree, kB); stdout to $work/$name.out, stderr to $work/$name.err.
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  local pid=$!
  "$venv/bin/python" - "$pid" >"$work/$name.tree" <<'EOF' &
import os, sys, time
root, peak = int(sys.argv[1]), 0
def tree_rss():
    children = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total
while os.path.exists(f"/proc/{root}"):
    peak = max(peak, tree_rss())
    time.sleep(0.2)
print(peak)
EOF
  local sampler=$!
  local status=0
  wait "$pid" || status=$?
  wait "$sampler" || true
  return "$status"
}

report() {
  local name=$1 wall rss tree
  wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$work/$name.time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$name.time")
  tree=$(cat "$work/$name.tree")
  [ "$tree" -ge "$rss" ] || tree=$rss  # a run shorter than the sampling interval
  printf '%-6s wall %8s   max RSS %6d MB   tree RSS %6d MB\n' "$name" "$wall" $((rss / 1024)) $((tree / 1024))
}

status=0
measure scan "$bin" scan "$corpus" --level copy --pairs "$work/scan/pairs.parquet" \
  --clusters "$work/scan/clusters.parquet" --format json -q || status=$?
[ "$status" = 0 ] || [ "$status" = 3 ] || { cat "$work/scan.err" >&2; exit 1; }

status=0
PYSPARK_PYTHON="$venv/bin/python" measure spark "$venv/bin/spark-submit" --master "$master" \
  --driver-memory "${DRIVER_MEMORY:-2g}" --conf spark.ui.enabled=false \
  --conf spark.sql.shuffle.partitions="${PARTITIONS:-8}" --files "$bin" \
  spark/wiredup_spark.py "$corpus" --output "$work/spark" || status=$?
[ "$status" = 0 ] || { tail -50 "$work/spark.err" >&2; exit 1; }

echo "corpus $corpus ($docs documents, seed $seed), Spark master $master"
report scan
report spark
echo "spark summary: $(tail -1 "$work/spark.out")"
"$venv/bin/python" - "$work" <<'EOF'
import sys
import pyarrow.parquet as pq
work = sys.argv[1]
def groups(path, cluster, member):
    out = {}
    for row in pq.read_table(path, columns=[cluster, member]).to_pylist():
        out.setdefault(row[cluster], set()).add(row[member])
    return {frozenset(m) for m in out.values()}
def pairs(path):
    return {(r["a"], r["b"], r["relation"]) for r in pq.read_table(path, columns=["a", "b", "relation"]).to_pylist()}
scan_c = groups(f"{work}/scan/clusters.parquet", "cluster", "member")
spark_c = groups(f"{work}/spark/clusters.parquet", "cluster", "id")
scan_p, spark_p = pairs(f"{work}/scan/pairs.parquet"), pairs(f"{work}/spark/pairs.parquet")
same = scan_c == spark_c and scan_p == spark_p
print(f"clusters: scan {len(scan_c)}, spark {len(spark_c)}, only in scan {len(scan_c - spark_c)}, "
      f"only in spark {len(spark_c - scan_c)}; pairs: scan {len(scan_p)}, spark {len(spark_p)}, "
      f"only in scan {len(scan_p - spark_p)}, only in spark {len(spark_p - scan_p)}")
print("AGREE" if same else "DIFFER")
sys.exit(0 if same else 1)
EOF
