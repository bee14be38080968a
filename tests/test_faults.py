"""Faults: a run killed with SIGKILL at any point of its writes, then run again, leaves the dataset as
one uninterrupted run would: no partial files, no duplicate rows, nothing lost.

The run is the flows' own sequence without Prefect (discover, process_batch per batch, commit) in a
child process; the child kills itself with SIGKILL (no cleanup handler runs) the n-th time it reaches
a chosen point of the write path.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from dataset import store
from tests.fixture_site import article

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import os, signal, sys
from pathlib import Path
from dataset import commit, corpus, inputs, runner, store

source, out, point, nth = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
seen = {"n": 0}

def at(name):
    if name == point:
        seen["n"] += 1
        if seen["n"] == nth:
            os.kill(os.getpid(), signal.SIGKILL)

def wrap(owner, attr, before=None, after=None):
    original = getattr(owner, attr)
    def wrapped(*args, **kwargs):
        if before: at(before)
        result = original(*args, **kwargs)
        if after: at(after)
        return result
    setattr(owner, attr, wrapped)

wrap(runner, "process_batch", after="batch_staged")
wrap(store.pq.ParquetWriter, "write_table", after="site_rows_written")
wrap(store.os, "replace", after="file_renamed")
wrap(corpus, "index", before="state_update")
wrap(commit, "write_atomic", before="atomic_write")
wrap(corpus, "write_atomic", before="atomic_write")

refs = inputs.discover([source])
batches = [refs[i:i + 3] for i in range(0, len(refs), 3)]
run_id = sys.argv[5]
staging = out / "_staging" / run_id
results = [runner.process_batch(b, staging, n) for n, b in enumerate(batches)]
commit.commit([Path(r.clean_path) for r in results if r.clean_path],
             [Path(r.rejects_path) for r in results if r.rejects_path], out, run_id)
"""


def _corpus(folder: Path) -> int:
    """Distinct articles on three sites, a copy of one, rejects (empty, binary) and two real pages."""
    folder.mkdir()
    n = 0
    for i in range(7):
        site = ("baomau.vn", "tinmau.vn", "baokhac.vn")[i % 3]
        html = article(f"bai-{i}", f"Bài số {i} trên {site}", words=200)
        html = html.replace("<head>", f"<head><link rel='canonical' href='https://{site}/bai-{i}.html'>")
        (folder / f"a{i}.html").write_text(html, encoding="utf-8")
        if i == 0:
            (folder / "copy.html").write_text(html.replace("/bai-0.html", "/bai-0-copy.html"), encoding="utf-8")
        n += 1
    (folder / "empty.html").write_bytes(b"")
    (folder / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    for path in sorted((ROOT / "raw" / "samples" / "html").glob("*.html.gz"))[:2]:
        (folder / path.name.removesuffix(".gz")).write_bytes(gzip.decompress(path.read_bytes()))
    return n + 3 + 2


def _run(inputs: Path, out: Path, run_id: str, point: str = "-", nth: int = 0) -> int:
    child = subprocess.run([sys.executable, "-c", CHILD, str(inputs), str(out), point, str(nth), run_id],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert child.returncode in (0, -9), child.stderr[-2000:]
    return child.returncode


def _counts(out: Path) -> list[tuple[str, int, int]]:
    """The site-boilerplate votes in the dedup state."""
    return sorted(duckdb.connect().sql(f"SELECT site, para_hash, n_docs FROM read_parquet('{out}/_state/paragraph_counts/*/*.parquet', "
                             "hive_partitioning=true)").fetchall())


def _snapshot(out: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    clean = store.read_clean(out)
    rejects = store.read_rejects(out)
    return (sorted(zip(clean.column("raw_ref").to_pylist(), clean.column("content_hash").to_pylist(), strict=True)),
            sorted(zip(rejects.column("raw_ref").to_pylist(), rejects.column("reason").to_pylist(), strict=True)))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The dataset of one uninterrupted run."""
    base = tmp_path_factory.mktemp("faults")
    inputs = base / "inputs"
    count = _corpus(inputs)
    out = base / "reference"
    assert _run(inputs, out, "20260101T000000Z-ref") == 0
    clean, rejects = _snapshot(out)
    votes = _counts(out)
    assert len({ref for ref, _ in clean} | {ref for ref, _ in rejects}) == count  # every input accounted for
    assert len(clean) == 9 and {"empty", "unreadable", "duplicate"} <= {reason for _, reason in rejects}
    return inputs, clean, rejects, votes


@pytest.mark.parametrize(("point", "nth"), [
    ("batch_staged", 2),        # while batches are being cleaned and staged
    ("site_rows_written", 1),   # inside a site's Parquet file, before it is renamed into place
    ("file_renamed", 1),        # one site's file in place, the other sites' not yet
    ("state_update", 1),        # all rows in place, the dedup state not yet updated
    ("atomic_write", 3),        # state partly written, rejects not yet
])
def test_a_run_killed_mid_write_then_run_again_equals_one_clean_run(tmp_path, reference, point, nth):
    inputs, clean, rejects, votes = reference
    out = tmp_path / "out"
    assert _run(inputs, out, "20260101T000001Z-killed", point, nth) == -9  # it really died there
    assert _run(inputs, out, "20260101T000002Z-rerun") == 0

    # no partial files: every file a reader lists is a whole Parquet file; temp files are hidden
    listed = ds.dataset(out, format="parquet", partitioning="hive").files
    for path in listed:
        assert not Path(path).name.startswith((".", "_")) and pq.read_metadata(path).num_rows > 0
    # the same rows and rejects as one uninterrupted run: none duplicated, none lost
    assert _snapshot(out) == (clean, rejects)
    doc_ids = duckdb.connect().sql(f"SELECT doc_id FROM read_parquet('{out}/site=*/*.parquet', hive_partitioning=true)").fetchall()
    assert len(doc_ids) == len(set(doc_ids)) == len(clean)
    # the dedup state is the one-run state: each document voted once, every kept document indexed
    assert _counts(out) == votes
    near = tmp_path / "near"
    near.mkdir()
    original = (inputs / "a0.html").read_text(encoding="utf-8")
    first_word = original.split("<p>", 1)[1].split(" ", 1)[0]
    (near / "a0-edited.html").write_text(original.replace("/bai-0.html", "/bai-0-sua.html")
                                         .replace(f"<p>{first_word} ", "<p>Hôm qua ", 1), encoding="utf-8")
    assert _run(near, out, "20260101T000003Z-near") == 0
    late = store.read_rejects(out).to_pylist()
    assert [r["reason"] for r in late if r["raw_ref"].endswith("a0-edited.html")] == ["duplicate"]
    # and a third run of the same inputs adds nothing
    assert _run(inputs, out, "20260101T000004Z-third") == 0
    assert _snapshot(out)[0] == clean
    shutil.rmtree(out)
