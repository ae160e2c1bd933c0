"""One local Spark session for the whole suite, and the wiredup binary the driver runs.

Java and the release binary are required: without them the suite fails (it never skips)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "spark"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _require_java():
    """Raises when no Java 17+ runs: Spark 4 needs it, and a missing JVM must fail the suite."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise RuntimeError(
            "Java 17+ is required by the Spark tests and was not found "
            f"(JAVA_HOME={home!r}, no `java` on PATH). Install a JDK 17+ (e.g. openjdk-17-jre-headless)."
        )
    out = subprocess.run([java, "-version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(found.group(1)) if found else 0
    if major == 1 and found.group(2):  # "1.8.0" style
        major = int(found.group(2))
    if major < 17:
        raise RuntimeError(f"Java 17+ is required by the Spark tests; {java} is:\n{out}")


_require_java()
# Python workers must see pyarrow: run them with this interpreter (the suite's venv).
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("wiredup-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def binary():
    """The release binary (WIREDUP_BIN, else target/release/wiredup); build it first with
    `cargo build --release`."""
    path = Path(os.environ.get("WIREDUP_BIN") or ROOT / "target" / "release" / "wiredup")
    if not path.is_file():
        pytest.fail(f"{path} not found: run `cargo build --release` first (or set WIREDUP_BIN)")
    help_text = subprocess.run([str(path), "--help"], stdout=subprocess.PIPE, text=True).stdout
    if "sign" not in help_text or "verify" not in help_text:
        pytest.fail(f"{path} has no `sign`/`verify` commands (docs/STAGED.md): rebuild it")
    return str(path)
