"""The Spark driver end to end, against `wiredup scan --level copy` on the same corpus."""

import contextlib
import json
import os
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import wiredup_spark as ws
from corpus import generate

PAIR_VALUES = ("relation", "score", "jaccard", "a_in_b", "b_in_a")


def scan(binary, corpus, out, *flags):
    """Pairs {(a, b): values} and clusters {frozenset of ids} of a copy-level scan, and its
    JSON summary."""
    out.mkdir(parents=True, exist_ok=True)
    pairs, clusters = out / "pairs.parquet", out / "clusters.parquet"
    run = subprocess.run(
        [binary, "scan", str(corpus), "--level", "copy", "--pairs", str(pairs), "--clusters", str(clusters),
         "--format", "json", "-q", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert run.returncode in (0, 3), run.stderr
    members = {}
    for row in pq.read_table(clusters).to_pylist():
        members.setdefault(row["cluster"], set()).add(row["member"])
    return pair_map(pq.read_table(pairs).to_pylist()), {frozenset(m) for m in members.values()}, json.loads(run.stdout)


@contextlib.contextmanager
def spark_conf(spark, values):
    """The session with the SQL settings `values` for the duration."""
    old = {key: spark.conf.get(key, None) for key in values}
    try:
        for key, value in values.items():
            spark.conf.set(key, value)
        yield
    finally:
        for key, value in old.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def pair_map(rows):
    return {(r["a"], r["b"]): tuple(r[k] for k in PAIR_VALUES) for r in rows}


def spark_outputs(out):
    """Pairs as `scan` gives them and clusters as sets, from a driver's output folder; checks the
    order and the cluster naming on the way."""
    pairs = pq.read_table(out / "pairs.parquet").to_pylist()
    keys = [(r["a"], r["b"]) for r in pairs]
    assert keys == sorted(keys) and all(a < b for a, b in keys), "pairs are sorted, a < b"
    rows = pq.read_table(out / "clusters.parquet").to_pylist()
    named = [(r["cluster"], r["id"]) for r in rows]
    assert named == sorted(named), "clusters are sorted by (cluster, id)"
    members = {}
    for cluster, doc in named:
        members.setdefault(cluster, set()).add(doc)
    assert all(min(m) == c for c, m in members.items()), "a cluster is named by its smallest id"
    assert len({d for _, d in named}) == len(named), "a document is in one cluster"
    return pair_map(pairs), {frozenset(m) for m in members.values()}


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    """About 2,000 articles with clusters of copies, repeated ids, empty, short and boilerplate
    texts, and blank rows before a document with the same id."""
    path = tmp_path_factory.mktemp("news") / "news.jsonl"
    generate(path, 2000, seed=11, repeated_ids=6, short=15, empty=3, boilerplate=25, blank_first=4)
    return path


def test_clusters_and_pairs_equal_scan(spark, binary, news, tmp_path):
    want_pairs, want_clusters, summary = scan(binary, news, tmp_path / "scan")
    got = ws.run(spark, [str(news), "--output", str(tmp_path / "spark"), "--binary", binary, "--partitions", "3"])
    pairs, clusters = spark_outputs(tmp_path / "spark")
    assert len(want_clusters) > 100 and max(map(len, want_clusters)) >= 5
    assert clusters == want_clusters
    assert pairs == want_pairs
    assert got["pairs"] == len(want_pairs) and got["clusters"] == len(want_clusters)
    assert got["repeated_ids"] == 6, "each repeated id keeps its first row with a text"
    assert got["skipped_rows"] == 3 + 4
    assert got["skipped_rows"] + got["repeated_ids"] == len(summary["problems"])
    assert got["documents"] == summary["documents"]


def test_wrapped_equals_scan_wrapped(spark, binary, tmp_path):
    corpus = tmp_path / "wrapped.jsonl"
    generate(corpus, 400, seed=21, wrapped=12, boilerplate=5, repeated_ids=2)
    want_pairs, want_clusters, _ = scan(binary, corpus, tmp_path / "scan", "--wrapped")
    plain_pairs, _, _ = scan(binary, corpus, tmp_path / "plain")
    assert len(want_pairs) >= len(plain_pairs) + 12, "the 8x wrappers are found only with --wrapped"
    argv = [str(corpus), "--output", str(tmp_path / "spark"), "--binary", binary, "--partitions", "3", "--wrapped"]
    got = ws.run(spark, argv)
    pairs, clusters = spark_outputs(tmp_path / "spark")
    assert pairs == want_pairs and clusters == want_clusters
    assert got["pairs"] == len(want_pairs)


@pytest.mark.parametrize("broadcast", [True, False], ids=["broadcast", "shuffled"])
def test_oversized_buckets_become_stars_around_the_smallest_id(spark, binary, tmp_path, monkeypatch, broadcast):
    # Ids increase along the file, so scan's star centre (the bucket's first document) is also
    # the smallest id and both must give the same pairs. The small tables (oversized buckets,
    # repeated ids) are broadcast, or, as for big ones, shuffled.
    no_broadcast = {}
    if not broadcast:
        monkeypatch.setattr(ws, "BROADCAST_ROWS", 0)
        no_broadcast = {
            "spark.sql.autoBroadcastJoinThreshold": "-1",
            "spark.sql.adaptive.autoBroadcastJoinThreshold": "-1",
        }
    corpus = tmp_path / "boiler.jsonl"
    generate(corpus, 300, seed=5, short=12, boilerplate=30, ordered_ids=True, repeated_ids=3)
    want_pairs, want_clusters, _ = scan(binary, corpus, tmp_path / "scan", "--max-bucket", "10")
    with spark_conf(spark, no_broadcast):
        argv = [str(corpus), "--output", str(tmp_path / "spark"), "--binary", binary, "--max-bucket", "10"]
        got = ws.run(spark, argv)
    pairs, clusters = spark_outputs(tmp_path / "spark")
    assert got["oversized_buckets"] > 0 and got["max_bucket"] == 10 and got["repeated_ids"] == 3
    assert clusters == want_clusters and pairs == want_pairs
    boiler = max(clusters, key=len)
    assert len(boiler) == 30
    assert sum(1 for a, b in pairs if a in boiler) == 29, "a star, not all 435 pairs"


def test_signatures_of_other_parameters_are_refused(spark, binary):
    params = ws.make_params(binary, {"ngram": 4})
    fingerprint = ws.fingerprint_i64(ws.parse_params(params, "test"))
    rows = [("x", fingerprint, [1, 2, 3]), ("y", fingerprint, [1, 2, 3]), ("z", fingerprint ^ 1, [1, 2, 3])]
    signatures = spark.createDataFrame(rows, "id string, params long, shingles array<long>")
    good = spark.createDataFrame([("x", "y")], "a string, b string")
    assert [(r.a, r.b, r.relation) for r in ws.verify(good, signatures, params, binary).collect()] == [
        ("x", "y", "duplicate")
    ]
    bad = spark.createDataFrame([("x", "z")], "a string, b string")
    with pytest.raises(Exception, match="exited with 2") as refused:
        ws.verify(bad, signatures, params, binary).collect()
    assert "param" in str(refused.value)


def test_a_failing_binary_is_reported_with_its_stderr(spark, binary, tmp_path):
    fake = tmp_path / "wiredup"
    fake.write_text("#!/bin/sh\necho 'error: the disk is on fire' >&2\nexit 2\n")
    fake.chmod(0o755)
    docs = spark.createDataFrame([("a", "some text", "f", 0)], "id string, text string, _file string, _row long")
    with pytest.raises(Exception, match="exited with 2") as failed:
        ws.sign(docs, ws.make_params(binary, {}), str(fake)).collect()
    assert "the disk is on fire" in str(failed.value)


def test_refused_parameters(binary, tmp_path):
    params = json.loads(ws.make_params(binary, {"threshold": 0.6}))
    assert params["threshold"] == 0.6
    for key, value, message in [
        ("window", 3600, "window"),
        ("level", "story", "copy level"),
        ("format", "other", "not a wiredup params file"),
        ("max_bucket", 0, "max_bucket"),
    ]:
        with pytest.raises(ws.WiredupError, match=message):
            ws.parse_params(json.dumps(dict(params, **{key: value})), "p.json")
    with pytest.raises(ws.WiredupError, match="not a wiredup params file"):
        ws.parse_params("{", "p.json")
    with pytest.raises(SystemExit):
        ws.parse_args(["in.jsonl", "--output", "out", "--params", "p.json", "--threshold", "0.6"])
    with pytest.raises(ws.WiredupError, match="cannot run .*--files"):
        ws.make_params(str(tmp_path / "missing" / "wiredup"), {})
    with pytest.raises(ws.WiredupError, match="--num-perm"):
        ws.make_params(binary, {"num_perm": 0})


def test_the_command_line_with_the_binary_shipped_and_parquet_input(spark, binary, tmp_path, capsys):
    """main() as spark-submit runs it, on Parquet input with integer ids under other column names,
    with the binary found only where --files puts it (SparkFiles): no --binary, no wiredup on
    PATH, and the fallback beside the script pointed at nothing. (benches/spark_vs_scan.sh runs
    the real spark-submit line.)"""
    corpus = tmp_path / "small.jsonl"
    generate(corpus, 300, seed=3)
    rows = [json.loads(line) for line in corpus.read_text().splitlines()]
    table = pa.table({"doc_id": [int(r["id"][1:]) for r in rows], "body": [r["text"] for r in rows]})
    pq.write_table(table, tmp_path / "small.parquet")
    want_pairs, want_clusters, _ = scan(
        binary, tmp_path / "small.parquet", tmp_path / "scan", "--id-field", "doc_id", "--text-field", "body"
    )
    spark.sparkContext.addFile(binary)  # what spark-submit --files does
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "wiredup").exists())
    argv = [str(tmp_path / "small.parquet"), "--output", str(tmp_path / "spark"), "--id-field", "doc_id",
            "--text-field", "body", "--threshold", "0.5"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", path)
        mp.setattr(ws, "__file__", str(tmp_path / "nowhere" / "wiredup_spark.py"))
        assert ws.main(argv) == 0
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        pairs, clusters = spark_outputs(tmp_path / "spark")
        assert clusters == want_clusters and pairs == want_pairs and summary["pairs"] == len(pairs) > 0
        assert ws.main(argv) == 2, "an existing output is refused"
        assert "already exists (use --overwrite" in capsys.readouterr().err
    assert not spark.sparkContext._jsc.sc().isStopped(), "main() leaves a running session alone"


def test_the_binarys_warnings_name_the_document():
    lines = ["warning: <stdin>:2: empty text; skipped", "warning: <stdin>:9: beyond the rows sent"]
    assert ws._name_rows(lines, [("a", "f.jsonl"), ("b", "g.jsonl")]) == [
        "warning: g.jsonl: id 'b': empty text; skipped",
        "warning: <stdin>:9: beyond the rows sent",
    ]
