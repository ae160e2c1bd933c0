#!/usr/bin/env python3
"""wiredup on Apache Spark: `wiredup scan --level copy` with Spark doing the shuffles.

    spark-submit [--master M] --files target/release/wiredup spark/wiredup_spark.py \
        INPUT... --output OUTDIR [--params P | --threshold ... --max-bucket N] [--id-field id]
        [--text-field text] [--format json|parquet] [--partitions N] [--binary PATH]

Flow (see spark/README.md, "Running on Spark"):

1. read the documents (JSONL, plain or .gz, or Parquet) as (id, text);
2. sign each partition by piping it through `wiredup sign --ipc --params P` (`mapInArrow`):
   one row per document with its LSH band keys and sorted shingle hashes; an id seen twice
   keeps its first row with a text (by file, then position in the file), as `scan` does; rows
   without an id are dropped (both counted in the summary);
3. bucket the band keys of documents that have shingles: a bucket of up to `max_bucket`
   documents gives all its pairs, a larger one (boilerplate, very short texts) a star around its
   smallest id, without ever collecting its members into one row; with `--wrapped`, also the
   pairs sharing half the smaller text's sampled shingles, as `wiredup scan --wrapped`;
4. join each distinct candidate pair (a < b) to both signatures and verify it exactly with
   `wiredup verify --ipc --params P` (`mapInArrow`);
5. connected components of the verified pairs by alternating large-star / small-star steps on
   DataFrames until every component is a star around its smallest id;
6. write OUTDIR/pairs.parquet (a, b, relation, score, jaccard, a_in_b, b_in_a; sorted by a, b)
   and OUTDIR/clusters.parquet (cluster = smallest member id, id; sorted by cluster, id) as
   Spark writes Parquet: directories of part files, in sorted order across the parts.

The parameters: `--params P` (from `wiredup params`, or the `.params.json` beside any staged
output), or, without it, made by `wiredup params` from the matching flags given here
(`--threshold`, `--containment`, `--ngram`, `--num-perm`, `--bands`, `--rows`, `--max-bucket`,
`--wrapped`).
A one-line JSON summary (counts, step times and the parameters' fingerprint) goes to stdout.

Also a library: `run(spark, argv)` runs the job in an existing session, and
`connected_components(edges_df)` is usable on its own.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

# Columns of `wiredup sign --ipc` the driver keeps (plus where each row came from).
SIGNATURES = T.StructType(
    [
        T.StructField("id", T.StringType()),
        T.StructField("params", T.LongType()),
        T.StructField("features", T.LongType()),
        T.StructField("keys", T.ArrayType(T.LongType())),
        T.StructField("shingles", T.ArrayType(T.LongType())),
        T.StructField("_file", T.StringType()),
        T.StructField("_row", T.LongType()),
    ]
)

# Columns of `wiredup verify --ipc` (and of the pairs written).
PAIRS = T.StructType(
    [
        T.StructField("a", T.StringType()),
        T.StructField("b", T.StringType()),
        T.StructField("relation", T.StringType()),
        T.StructField("score", T.DoubleType()),
        T.StructField("jaccard", T.DoubleType()),
        T.StructField("a_in_b", T.DoubleType()),
        T.StructField("b_in_a", T.DoubleType()),
    ]
)

# Exit codes of the binary: 0 success, 3 finished with warnings (skipped rows), else failure.
EXIT_OK = (0, 3)
# Flags that make the parameters when no --params file is given (passed on to `wiredup params`).
PARAM_FLAGS = ("threshold", "containment", "ngram", "num_perm", "bands", "rows", "max_bucket", "wrapped")
# `--wrapped` (a text inside one many times its length): the binary's shingle sampling and
# candidate rule, which must equal src/shingle.rs (`sampled`, SAMPLE_BITS) and src/config.rs
# (WRAPPED_MIN_SHARE, WRAPPED_MAX_BUCKET); the tests hold the driver's pairs equal to a scan's.
SAMPLE_SEED = 0x7361_6D70_6C65_7331
SAMPLE_BITS = 4
WRAPPED_MIN_SHARE = 0.5
WRAPPED_MAX_BUCKET = 1000
# A table of at most this many small rows is broadcast to a join rather than shuffled.
BROADCAST_ROWS = 1_000_000
# How many stderr lines of one binary run are kept for the error message and the logs.
STDERR_LINES = 40


class WiredupError(RuntimeError):
    """A refused input or parameter, or a failed run of the binary."""


# ---------------------------------------------------------------------------------------------
# Parameters


def parse_params(text, origin):
    """The parameters in `text` (a wiredup params file) as a dict, checked for what the driver
    relies on: the copy level, no --window (dates are not carried through Spark), a max_bucket
    and a fingerprint."""
    try:
        params = json.loads(text)
    except ValueError as e:
        raise WiredupError(f"{origin}: not a wiredup params file: {e}") from None
    if not isinstance(params, dict) or params.get("format") != "wiredup-params":
        raise WiredupError(f'{origin}: not a wiredup params file (no "format": "wiredup-params")')
    if params.get("level") != "copy":
        raise WiredupError(f"{origin}: level {params.get('level')!r}: the staged run is copy level only")
    if params.get("window") is not None:
        raise WiredupError(
            f"{origin}: window {params['window']!r}: --window is not supported on Spark "
            "(use `wiredup scan --window` or the staged `wiredup cluster`)"
        )
    for key in ("max_bucket", "fingerprint"):
        if key not in params:
            raise WiredupError(f"{origin}: no {key!r} in the params file")
    if not isinstance(params["max_bucket"], int) or params["max_bucket"] < 1:
        raise WiredupError(f"{origin}: max_bucket must be a positive integer, not {params['max_bucket']!r}")
    return params


def fingerprint_i64(params):
    """The fingerprint as stored in the signatures' `params` column (u64 bits as i64)."""
    value = int(str(params["fingerprint"]), 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def make_params(binary, flags):
    """Params file text made by `wiredup params` from `flags` (option name -> value; None
    values are left to the binary's defaults)."""
    with tempfile.TemporaryDirectory(prefix="wiredup-params-") as tmp:
        path = os.path.join(tmp, "run.params.json")
        cmd = [binary, "params", "--output", path]
        for name, value in flags.items():
            if value is True:
                cmd += ["--" + name.replace("_", "-")]
            elif value is not None and value is not False:
                cmd += ["--" + name.replace("_", "-"), str(value)]
        run = _run_binary(subprocess.run, cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if run.returncode != 0:
            raise WiredupError(
                f"making the parameters: {' '.join(cmd)} exited with {run.returncode}:\n"
                + run.stderr.decode(errors="replace").strip()
            )
        with open(path) as f:
            return f.read()


# ---------------------------------------------------------------------------------------------
# The binary


def default_binary():
    """The binary the driver runs when no --binary is given: the one shipped with
    `--files .../wiredup`, else `wiredup` on PATH, else ../target/release/wiredup beside this
    script. Returns (path on the driver, fallback path for executors)."""
    here = os.path.dirname(os.path.abspath(__file__))
    fallback = os.path.normpath(os.path.join(here, "..", "target", "release", "wiredup"))
    shipped = _shipped_binary()
    if shipped:
        return shipped, fallback
    on_path = shutil.which("wiredup")
    if on_path:
        return on_path, fallback
    return fallback, fallback


def _shipped_binary():
    """The `wiredup` file shipped with --files, if any (on the driver or an executor): where
    SparkFiles puts it, or the working directory (YARN localizes --files there)."""
    candidates = []
    try:
        from pyspark import SparkFiles

        candidates.append(SparkFiles.get("wiredup"))
    except Exception:
        pass
    candidates.append(os.path.join(os.getcwd(), "wiredup"))
    for path in candidates:
        if os.path.isfile(path):
            if not os.access(path, os.X_OK):
                try:
                    os.chmod(path, os.stat(path).st_mode | 0o111)
                except OSError:
                    continue
            return path
    return None


def _run_binary(how, cmd, **kwargs):
    """`how(cmd, **kwargs)`, with a clear message when the binary cannot be started."""
    try:
        return how(cmd, **kwargs)
    except OSError as e:
        raise WiredupError(
            f"cannot run {cmd[0]} ({e.strerror or e}): ship the binary with `spark-submit --files "
            "target/release/wiredup`, or name it with --binary"
        ) from None


def executor_binary(explicit, fallback):
    """Resolves the binary inside a task: --binary as given, else as `default_binary`."""
    if explicit:
        return explicit
    return _shipped_binary() or shutil.which("wiredup") or fallback


def pipe_through(cmd, batches, on_stderr=None):
    """Runs `cmd`, writes `batches` (pyarrow RecordBatches, the first one non-empty) to its
    stdin as an Arrow IPC stream on a thread, and yields the record batches of the IPC stream it
    writes on stdout. Raises WiredupError naming the command, its exit code and the end of its
    stderr when it exits with anything but 0 or 3. `on_stderr(lines)` gets its stderr lines."""
    proc = _run_binary(subprocess.Popen, cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stderr_lines = []
    write_error = []

    def drain_stderr():
        for raw in proc.stderr:
            stderr_lines.append(raw.decode(errors="replace").rstrip("\n"))

    def write():
        try:
            first = next(batches)
            with pa.ipc.new_stream(proc.stdin, first.schema) as writer:
                writer.write_batch(first)
                for batch in batches:
                    writer.write_batch(batch)
        except (BrokenPipeError, OSError) as e:
            write_error.append(e)  # the binary stopped reading: its exit code tells why
        except BaseException as e:  # noqa: BLE001 - reported by the reading side
            write_error.append(e)
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def failure(what):
        tail = "\n".join(stderr_lines[-STDERR_LINES:])
        return WiredupError(f"{' '.join(cmd)}: {what}\n{tail}".rstrip())

    err_thread = threading.Thread(target=drain_stderr, daemon=True)
    writer_thread = threading.Thread(target=write, daemon=True)
    err_thread.start()
    writer_thread.start()
    finished = False

    def check(what):
        """Raises the first failure: feeding the binary (an upstream task error), else its exit."""
        code = proc.wait()
        writer_thread.join()
        err_thread.join()
        if write_error and not isinstance(write_error[0], OSError):
            raise write_error[0]
        if code not in EXIT_OK:
            raise failure(f"exited with {code}")
        if write_error:
            raise failure(f"exited with {code} before reading all its input ({write_error[0]})")
        if what:
            raise failure(what)

    try:
        try:
            reader = pa.ipc.open_stream(proc.stdout)
            for batch in reader:
                yield batch
        except pa.ArrowInvalid as e:
            check(f"wrote no valid Arrow IPC stream ({e})")
        check(None)
        if on_stderr:
            on_stderr(stderr_lines)
        finished = True
    finally:
        if not finished and proc.poll() is None:
            proc.kill()
            proc.wait()


def _non_empty(batches):
    """`batches` without its empty batches, or None when there is no row at all."""
    for batch in batches:
        if batch.num_rows:
            break
    else:
        return None

    def rest():
        yield batch
        for b in batches:
            if b.num_rows:
                yield b

    return rest()


def _name_rows(lines, sent):
    """The binary's warnings about rows of its input stream ("<stdin>:ROW: why") with the row
    named by its document id and file."""

    def name(match):
        row = int(match.group(1))
        if not 1 <= row <= len(sent):
            return match.group(0)
        doc, path = sent[row - 1]
        return f"{path}: id {doc!r}"

    return [_STDIN_ROW.sub(name, line) for line in lines]


_STDIN_ROW = re.compile(r"<stdin>:(\d+)")


def _log_stderr(lines):
    """The stderr of a successful binary run, into the task's log."""
    for line in lines[:STDERR_LINES]:
        print(line, file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Stages


def read_documents(spark, inputs, id_field="id", text_field="text", fmt=None):
    """(id, text, _file, _row) from JSONL (plain or compressed as Spark reads it) or Parquet
    files; `_row` increases along each file."""
    if fmt is None:
        fmt = "parquet" if all(p.rstrip("/").endswith(".parquet") for p in inputs) else "json"
    if fmt == "json":
        schema = T.StructType([T.StructField(id_field, T.StringType()), T.StructField(text_field, T.StringType())])
        df = spark.read.schema(schema).json(inputs)
    elif fmt == "parquet":
        df = spark.read.parquet(*inputs)
        missing = [c for c in (id_field, text_field) if c not in df.columns]
        if missing:
            raise WiredupError(
                f"the Parquet input has no column {', '.join(map(repr, missing))}; its columns: "
                + ", ".join(df.columns)
            )
    else:
        raise WiredupError(f"unknown input format {fmt!r} (json or parquet)")
    return df.select(
        F.col(id_field).cast("string").alias("id"),
        F.col(text_field).cast("string").alias("text"),
        F.input_file_name().alias("_file"),
        F.monotonically_increasing_id().alias("_row"),
    )


def sign(docs, params_text, explicit_binary=None, fallback_binary=None, stats=None, threads=1):
    """Signatures (SIGNATURES columns) of `docs` (id, text, _file, _row), one partition at a
    time through `wiredup sign --ipc`. The binary sees each row under the row's number, so it
    signs every row it accepts, repeated ids included (`first_rows` then keeps the first, as
    `scan` keeps the first document it accepts under an id). Counted in `stats`
    (accumulators): rows without an id, dropped here ('missing_ids'), and rows the binary
    skipped (no or empty text: 'skipped_rows')."""
    sc = docs.sparkSession.sparkContext
    stats = stats if stats is not None else {}
    missing = stats.setdefault("missing_ids", sc.accumulator(0))
    skipped = stats.setdefault("skipped_rows", sc.accumulator(0))

    def sign_partition(batches):
        origin = {}  # str(_row) -> (id, _file, _row)
        sent = []  # (id, _file) of each row sent, for the binary's warnings

        def to_binary():
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                ids = batch.column("id")
                if ids.null_count:
                    missing.add(ids.null_count)
                    batch = batch.filter(ids.is_valid())
                    if batch.num_rows == 0:
                        continue
                keys = []
                for i, f, r in zip(
                    batch.column("id").to_pylist(), batch.column("_file").to_pylist(), batch.column("_row").to_pylist()
                ):
                    key = str(r)
                    origin[key] = (i, f, r)
                    keys.append(key)
                    sent.append((i, f))
                keyed = [pa.array(keys, pa.string()), batch.column("text")]
                yield pa.RecordBatch.from_arrays(keyed, names=["id", "text"])

        rows = _non_empty(to_binary())
        if rows is None:
            return
        binary = executor_binary(explicit_binary, fallback_binary)
        received = 0
        with _params_file(params_text) as params_path:
            cmd = [binary, "sign", "--ipc", "--params", params_path, "--threads", str(threads)]
            for out in pipe_through(cmd, rows, lambda lines: _log_stderr(_name_rows(lines, sent))):
                where = [origin.pop(k) for k in out.column("id").to_pylist()]
                received += len(where)
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.array([w[0] for w in where], pa.string()),
                        out.column("params"),
                        out.column("features"),
                        out.column("keys").cast(pa.list_(pa.int64())),
                        out.column("shingles").cast(pa.list_(pa.int64())),
                        pa.array([w[1] for w in where], pa.string()),
                        pa.array([w[2] for w in where], pa.int64()),
                    ],
                    schema=_ARROW_SIGNATURES,
                )
        skipped.add(len(sent) - received)

    return docs.mapInArrow(sign_partition, SIGNATURES)


_ARROW_SIGNATURES = pa.schema(
    [
        ("id", pa.string()),
        ("params", pa.int64()),
        ("features", pa.int64()),
        ("keys", pa.list_(pa.int64())),
        ("shingles", pa.list_(pa.int64())),
        ("_file", pa.string()),
        ("_row", pa.int64()),
    ]
)


class _params_file:
    """A temporary file holding the params text, for the binary's --params."""

    def __init__(self, text):
        self.text = text

    def __enter__(self):
        fd, self.path = tempfile.mkstemp(prefix="wiredup-", suffix=".params.json")
        with os.fdopen(fd, "w") as f:
            f.write(self.text)
        return self.path

    def __exit__(self, *exc):
        try:
            os.unlink(self.path)
        except OSError:
            pass


def first_rows(signatures):
    """`signatures` with one row per id: the first one read (smallest (_file, _row)), and how many
    rows were dropped. `signatures` should be persisted: this runs a job on it."""
    first = F.min(F.struct("_file", "_row")).alias("first")
    repeated = signatures.groupBy("id").agg(F.count(F.lit(1)).alias("n"), first).filter("n > 1")
    counts = repeated.agg(F.count(F.lit(1)).alias("ids"), F.sum("n").alias("rows")).collect()[0]
    if not counts["ids"]:
        return signatures, 0
    firsts = repeated.select("id", "first")
    if counts["ids"] <= BROADCAST_ROWS:
        firsts = F.broadcast(firsts)
    keep = (
        signatures.join(firsts, "id", "left")
        .filter(F.col("first").isNull() | (F.struct("_file", "_row") == F.col("first")))
        .drop("first")
    )
    return keep, counts["rows"] - counts["ids"]


def candidates(signatures, max_bucket):
    """Distinct candidate pairs (a, b), a < b, from the band keys of documents with shingles;
    the number of oversized buckets; and the persisted table of those (band, key, hub) to
    unpersist when done. A bucket (band, key) of more than `max_bucket` documents becomes a star
    around its smallest id (the hub); its members are never collected into one row."""
    entries = signatures.filter(F.col("features") > 0).select(
        "id", F.posexplode("keys").alias("band", "key")
    )
    sizes = entries.groupBy("band", "key").agg(F.count(F.lit(1)).alias("n"), F.min("id").alias("hub"))
    oversized = sizes.filter(F.col("n") > max_bucket).select("band", "key", "hub").persist(StorageLevel.MEMORY_AND_DISK)
    n_oversized = oversized.count()
    if n_oversized:
        hubs = F.broadcast(oversized) if n_oversized <= BROADCAST_ROWS else oversized
        small_entries = entries.join(hubs, ["band", "key"], "left_anti")
        stars = (
            entries.join(hubs, ["band", "key"])
            .filter(F.col("id") != F.col("hub"))
            .select(F.col("hub").alias("a"), F.col("id").alias("b"))
        )
    else:
        small_entries = entries
        stars = None
    buckets = (
        small_entries.groupBy("band", "key")
        .agg(F.array_sort(F.array_distinct(F.collect_list("id"))).alias("ids"))
        .filter(F.size("ids") > 1)
    )
    pairs = buckets.select(F.explode("ids").alias("a"), "ids").select(
        "a", F.explode(F.filter("ids", lambda x: x > F.col("a"))).alias("b")
    )
    if stars is not None:
        pairs = pairs.unionByName(stars)
    return pairs.distinct(), n_oversized, oversized


def _sampled_batches(batches):
    """(id, sample) of every sampled shingle of each row's `shingles` (`wiredup`'s
    `shingle::sampled`: splitmix64's finalizer of the hash xor SAMPLE_SEED has its top
    SAMPLE_BITS bits 0), the sample cut to its top 32 bits as `lsh::Samples` keeps it."""
    import numpy as np

    u = np.uint64
    for batch in batches:
        lists = batch.column("shingles")
        flat = lists.flatten()  # the rows' values only, also for a sliced array
        if len(flat) == 0:
            continue
        h = flat.to_numpy(zero_copy_only=False).astype(np.int64).view(np.uint64)
        z = h ^ u(SAMPLE_SEED)
        z = (z ^ (z >> u(30))) * u(0xBF58_476D_1CE4_E5B9)
        z = (z ^ (z >> u(27))) * u(0x94D0_49BB_1331_11EB)
        z = z ^ (z >> u(31))
        keep = (z >> u(64 - SAMPLE_BITS)) == 0
        lengths = lists.value_lengths().fill_null(0).to_numpy(zero_copy_only=False)
        owner = np.repeat(np.arange(batch.num_rows), lengths)[keep]
        ids = batch.column("id").take(pa.array(owner))
        cut = (h[keep] >> u(32)).astype(np.int64)
        yield pa.RecordBatch.from_arrays([ids, pa.array(cut, pa.int64())], names=["id", "sample"])


def contained_candidates(signatures):
    """`scan --wrapped`'s extra candidate pairs (a, b), a < b: documents sharing at least 2, and
    at least WRAPPED_MIN_SHARE of the smaller one's, sampled shingles, counting only samples
    held by 2 to WRAPPED_MAX_BUCKET documents."""
    samples = (
        signatures.filter(F.col("features") > 0)
        .select("id", "shingles")
        .mapInArrow(_sampled_batches, "id string, sample long")
        .distinct()
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    sizes = samples.groupBy("id").agg(F.count(F.lit(1)).alias("n"))
    linking = (
        samples.groupBy("sample")
        .agg(F.count(F.lit(1)).alias("n"))
        .filter((F.col("n") > 1) & (F.col("n") <= WRAPPED_MAX_BUCKET))
        .select("sample")
    )
    buckets = samples.join(linking, "sample", "left_semi").groupBy("sample").agg(F.array_sort(F.collect_list("id")).alias("ids"))
    shared = (
        buckets.select(F.explode("ids").alias("a"), "ids")
        .select("a", F.explode(F.filter("ids", lambda x: x > F.col("a"))).alias("b"))
        .groupBy("a", "b")
        .agg(F.count(F.lit(1)).alias("k"))
    )
    pairs = (
        shared.join(sizes.select(F.col("id").alias("a"), F.col("n").alias("na")), "a")
        .join(sizes.select(F.col("id").alias("b"), F.col("n").alias("nb")), "b")
        .filter((F.col("k") >= 2) & (F.col("k") >= F.lit(WRAPPED_MIN_SHARE) * F.least("na", "nb")))
        .select("a", "b")
    )
    return pairs, samples


def verify(pairs, signatures, params_text, explicit_binary=None, fallback_binary=None, stats=None, threads=1):
    """Verified pairs (PAIRS columns): each candidate (a, b) joined to both signatures and
    checked exactly by `wiredup verify --ipc`."""
    sc = pairs.sparkSession.sparkContext
    stats = stats if stats is not None else {}
    checked = stats.setdefault("candidates", sc.accumulator(0))
    side = signatures.select("id", "shingles", "params")
    joined = (
        pairs.join(side.toDF("a", "a_shingles", "a_params"), "a")
        .join(side.toDF("b", "b_shingles", "b_params"), "b")
        .select("a", "a_shingles", "a_params", "b", "b_shingles", "b_params")
    )

    def verify_partition(batches):
        def counted():
            for batch in batches:
                checked.add(batch.num_rows)
                yield batch

        rows = _non_empty(counted())
        if rows is None:
            return
        binary = executor_binary(explicit_binary, fallback_binary)
        with _params_file(params_text) as params_path:
            cmd = [binary, "verify", "--ipc", "--params", params_path, "--threads", str(threads)]
            for out in pipe_through(cmd, rows, _log_stderr):
                yield pa.RecordBatch.from_arrays(
                    [out.column(f.name).cast(_ARROW_PAIRS.field(f.name).type) for f in _ARROW_PAIRS],
                    schema=_ARROW_PAIRS,
                )

    return joined.mapInArrow(verify_partition, PAIRS)


_ARROW_PAIRS = pa.schema(
    [
        ("a", pa.string()),
        ("b", pa.string()),
        ("relation", pa.string()),
        ("score", pa.float64()),
        ("jaccard", pa.float64()),
        ("a_in_b", pa.float64()),
        ("b_in_a", pa.float64()),
    ]
)


# ---------------------------------------------------------------------------------------------
# Connected components: alternating large-star and small-star (Kiveris et al., "Connected
# Components in MapReduce and Beyond", SoCC 2014) on DataFrames of directed edges (src, dst)
# with src > dst. Both steps keep every component connected and never add a node; together they
# turn each component into a star around its smallest node, which is when the loop stops.


def _large_star(edges):
    """Each node u links every larger neighbour to the smallest of u's closed neighbourhood.
    (May repeat an edge; the small-star step removes repeats.)"""
    both = edges.select(F.col("src").alias("u"), F.col("dst").alias("v")).unionByName(
        edges.select(F.col("dst").alias("u"), F.col("src").alias("v"))
    )
    smallest = F.least(F.col("u"), F.min("v").over(Window.partitionBy("u")))
    return (
        both.select("u", "v", smallest.alias("m"))
        .filter(F.col("v") > F.col("u"))
        .select(F.col("v").alias("src"), F.col("m").alias("dst"))
    )


def _small_star(edges):
    """Each node u links itself and its smaller neighbours to the smallest of them."""
    smallest = F.min("dst").over(Window.partitionBy("src"))
    return (
        edges.select("src", "dst", smallest.alias("m"))
        .select(
            F.when(F.col("dst") == F.col("m"), F.col("src")).otherwise(F.col("dst")).alias("src"),
            F.col("m").alias("dst"),
        )
        .distinct()
    )


def _stars(edges):
    """Whether every node has at most one edge to a smaller node and no node has edges both to
    a smaller and from a larger one: then each component is a star around its smallest node."""
    degrees = (
        edges.select(F.col("src").alias("n"), F.lit(1).alias("out"), F.lit(0).alias("inn"))
        .unionByName(edges.select(F.col("dst").alias("n"), F.lit(0).alias("out"), F.lit(1).alias("inn")))
        .groupBy("n")
        .agg(F.sum("out").alias("out"), F.sum("inn").alias("inn"))
    )
    bad = (F.col("out") > 1) | ((F.col("out") > 0) & (F.col("inn") > 0))
    return degrees.agg(F.count(F.when(bad, 1)).alias("bad")).collect()[0]["bad"] == 0


def connected_components(edges, a="a", b="b", max_rounds=100):
    """(cluster, id) for every node of the undirected graph `edges` (columns `a`, `b`; self
    loops ignored), cluster = the smallest id of its component; and the number of rounds.
    Each round's edges are checkpointed locally so that the plans do not grow."""
    current = (
        edges.select(F.greatest(a, b).alias("src"), F.least(a, b).alias("dst"))
        .filter(F.col("src") != F.col("dst"))
        .distinct()
        .localCheckpoint()
    )
    rounds = 0
    while not _stars(current):
        rounds += 1
        if rounds > max_rounds:
            raise WiredupError(f"connected components did not converge in {max_rounds} rounds")
        current = _small_star(_large_star(current)).localCheckpoint()
    clusters = current.select(F.col("dst").alias("cluster"), F.col("src").alias("id")).unionByName(
        current.select(F.col("dst").alias("cluster"), F.col("dst").alias("id"))
    )
    return clusters.distinct(), rounds


# ---------------------------------------------------------------------------------------------
# The job


class _Clock:
    """Wall time of each step, for the summary."""

    def __init__(self):
        self.laps = {}
        self.last = time.monotonic()

    def lap(self, name):
        now = time.monotonic()
        self.laps[name] = round(now - self.last, 2)
        self.last = now


def _exists(spark, path):
    """Whether `path` exists, on whatever file system Spark writes it to."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(hadoop_path)


def _round4(name):
    """Rounded to 4 decimals, half away from zero, as `scan` writes scores."""
    return F.round(F.col(name) * 10000.0, 0) / 10000.0


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="wiredup_spark.py",
        description="Near-duplicate pairs and clusters (wiredup scan --level copy) on Spark.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL (plain or .gz) or Parquet files or folders")
    p.add_argument("--output", required=True, help="folder for pairs.parquet and clusters.parquet")
    p.add_argument("--params", help="a wiredup params file (`wiredup params`, or beside a staged output); "
                   "default: made by `wiredup params` from the flags below")
    p.add_argument("--binary", help="path of wiredup on every node (default: the file shipped with --files, "
                   "else wiredup on PATH, else ../target/release/wiredup beside this script)")
    p.add_argument("--id-field", default="id")
    p.add_argument("--text-field", default="text")
    p.add_argument("--format", choices=["json", "parquet"], help="input format (default: parquet when every "
                   "input ends in .parquet, else json)")
    p.add_argument("--partitions", type=int, help="repartition the documents into N partitions before signing "
                   "(one binary run per partition; default: as Spark reads the input, but at least "
                   "spark.default.parallelism)")
    p.add_argument("--threads", type=int, help="threads of each wiredup process (default: spark.task.cpus, "
                   "the cores Spark gives a task)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    group = p.add_argument_group("parameters, when no --params is given (passed to `wiredup params`)")
    group.add_argument("--threshold", type=float)
    group.add_argument("--containment", type=float)
    group.add_argument("--ngram", type=int)
    group.add_argument("--num-perm", type=int)
    group.add_argument("--bands", type=int)
    group.add_argument("--rows", type=int)
    group.add_argument("--max-bucket", type=int)
    group.add_argument("--wrapped", action="store_true", default=None,
                       help="also find a text inside one many times its length, as `wiredup scan --wrapped`")
    args = p.parse_args(argv)
    given = [f for f in PARAM_FLAGS if getattr(args, f) is not None]
    if args.params and given:
        p.error(f"--{given[0].replace('_', '-')} cannot be combined with --params (set it in the params file)")
    for flag in ("partitions", "threads"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            p.error(f"--{flag} must be at least 1")
    return args


def run(spark, argv):
    """Runs the job in `spark` with command-line arguments `argv`; returns the summary dict."""
    args = parse_args(argv)
    shipped_or_found, fallback = default_binary()
    binary = args.binary or shipped_or_found
    if args.params:
        with open(args.params) as f:
            params_text = f.read()
        origin = args.params
    else:
        params_text = make_params(binary, {f: getattr(args, f) for f in PARAM_FLAGS})
        origin = "the parameters made by `wiredup params`"
    params = parse_params(params_text, origin)
    out = args.output.rstrip("/")
    outputs = [out + "/pairs.parquet", out + "/clusters.parquet"]
    if not args.overwrite:
        for path in outputs:
            if _exists(spark, path):
                raise WiredupError(f"{path} already exists (use --overwrite to replace it)")
    clock = _Clock()

    threads = args.threads or int(spark.conf.get("spark.task.cpus", "1"))
    stats = {}
    docs = read_documents(spark, args.inputs, args.id_field, args.text_field, args.format)
    if args.partitions:
        docs = docs.repartition(args.partitions)
    elif docs.rdd.getNumPartitions() < spark.sparkContext.defaultParallelism:
        # e.g. one small file or one .gz: give every core a share of the signing
        docs = docs.repartition(spark.sparkContext.defaultParallelism)
    signed = sign(docs, params_text, args.binary, fallback, stats, threads).persist(StorageLevel.MEMORY_AND_DISK)
    signed_rows = signed.count()
    signatures, repeated = first_rows(signed)
    clock.lap("sign")
    pairs, n_oversized, oversized = candidates(signatures, params["max_bucket"])
    samples = None
    if params.get("wrapped"):
        wrapped, samples = contained_candidates(signatures)
        pairs = pairs.unionByName(wrapped).distinct()
    verified = verify(pairs, signatures, params_text, args.binary, fallback, stats, threads).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    n_pairs = verified.count()
    clock.lap("candidates_verify")
    clusters, rounds = connected_components(verified)
    clock.lap("components")
    mode = "overwrite" if args.overwrite else "errorifexists"
    scores = [_round4(c).alias(c) for c in ("score", "jaccard", "a_in_b", "b_in_a")]
    report = verified.select("a", "b", "relation", *scores)
    report.orderBy("a", "b").write.mode(mode).parquet(outputs[0])
    clusters.orderBy("cluster", "id").write.mode(mode).parquet(outputs[1])
    written = spark.read.parquet(outputs[1])
    summary = {
        "documents": signed_rows - repeated,
        "repeated_ids": repeated,
        "missing_ids": stats["missing_ids"].value,
        "skipped_rows": stats["skipped_rows"].value,
        "oversized_buckets": n_oversized,
        "candidates": stats["candidates"].value,
        "pairs": n_pairs,
        "clusters": written.select("cluster").distinct().count(),
        "clustered_documents": written.count(),
        "component_rounds": rounds,
        "max_bucket": params["max_bucket"],
        "fingerprint": params["fingerprint"],
        "pairs_path": outputs[0],
        "clusters_path": outputs[1],
    }
    clock.lap("write")
    summary["seconds"] = clock.laps
    for df in (signed, verified, oversized, samples):
        if df is not None:
            df.unpersist()
    return summary


def main(argv=None):
    """The command line: runs the job, prints the summary; 0 on success, 2 on a refused input or
    a failed task. Stops the Spark session unless one was already running (a notebook, a test)."""
    argv = sys.argv[1:] if argv is None else argv
    parse_args(argv)  # bad flags fail before Spark starts
    running = SparkSession.getActiveSession()
    spark = running or SparkSession.builder.appName("wiredup").getOrCreate()
    if running is None:
        spark.sparkContext.setLogLevel(os.environ.get("WIREDUP_SPARK_LOG", "WARN"))
    try:
        summary = run(spark, argv)
    except WiredupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        from pyspark.errors import AnalysisException, PythonException

        if isinstance(e, PythonException):  # a task failed: the message holds the binary's stderr
            print(f"error: a task failed: {e}", file=sys.stderr)
        elif isinstance(e, AnalysisException):  # a missing input, an existing output...
            print(f"error: {e}", file=sys.stderr)
        else:
            raise
        return 2
    finally:
        if running is None:
            spark.stop()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
else:
    # Imported (tests, notebooks): pickle this module's functions by value, so that executors
    # need not import it.
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
