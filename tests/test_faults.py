"""Faults: a run killed with SIGKILL at any point of its writes, then run again, leaves the dataset as
one uninterrupted run would: no partial files, no duplicate rows, nothing lost.

The run is the flows' own sequence without Prefect (discover, process_batch per batch, commit) in a
child process (tests/dataset/child.py); the child kills itself with SIGKILL (no cleanup handler runs)
the n-th time it reaches a chosen point of the write path.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from dataset import store
from tests.dataset.snapshot import finish, run_child, snapshot
from tests.fixture_site import article

ROOT = Path(__file__).resolve().parent.parent


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


def _run(inputs: Path, out: Path, run_id: str, kill: str | None = None) -> int:
    code, _, stderr = finish(run_child(inputs, out, run_id, "--batch", "3", *(["--kill", kill] if kill else [])))
    assert code in (0, -9), stderr[-2000:]
    return code


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The dataset of one uninterrupted run."""
    base = tmp_path_factory.mktemp("faults")
    inputs = base / "inputs"
    count = _corpus(inputs)
    out = base / "reference"
    assert _run(inputs, out, "20260101T000000Z-ref") == 0
    expected = snapshot(out)
    assert len({r[1] for r in expected.rows} | {r[0] for r in expected.rejects}) == count  # every input accounted for
    assert len(expected.rows) == 9 and {"empty", "unreadable", "duplicate"} <= {r[1] for r in expected.rejects}
    return inputs, expected


@pytest.mark.parametrize("kill", [
    "batch_staged:2",   # while batches are being cleaned and staged
    "rows_written:1",   # inside a site's Parquet file, before it is renamed into place
    "file_renamed:2",   # one site's bands and data file in place, the other sites' not yet
    "state_update:1",   # all rows in place, the dedup state not yet updated
    "atomic_write:3",   # state partly written, rejects not yet
])
def test_a_run_killed_mid_write_then_run_again_equals_one_clean_run(tmp_path, reference, kill):
    inputs, expected = reference
    out = tmp_path / "out"
    assert _run(inputs, out, "20260101T000001Z-killed", kill) == -9  # it really died there
    assert _run(inputs, out, "20260101T000002Z-rerun") == 0

    # no partial files: every file a reader lists is a whole Parquet file; temp files are hidden
    listed = ds.dataset(out, format="parquet", partitioning="hive").files
    for path in listed:
        assert not Path(path).name.startswith((".", "_")) and pq.read_metadata(path).num_rows > 0
    # the same rows, rejects and dedup state as one uninterrupted run: none duplicated, none lost, each
    # document voted once, every kept document indexed once
    assert snapshot(out) == expected
    assert len({r[0] for r in expected.rows}) == len(expected.rows)
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
    assert snapshot(out).rows == expected.rows
    shutil.rmtree(out)
