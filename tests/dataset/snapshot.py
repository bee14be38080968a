"""What a dataset holds, in a form two datasets can be compared by: rows, rejects, votes and LSH bands."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Snapshot:
    """Everything a run leaves that a later run depends on."""

    rows: list[tuple[Any, ...]]      # (doc_id, raw_ref, content_hash) of every clean row
    rejects: list[tuple[Any, ...]]   # (raw_ref, reason, duplicate_of)
    votes: list[tuple[Any, ...]]     # (site, para_hash, n_docs)
    bands: list[tuple[Any, ...]]     # (band, band_hash, doc_id)


def _query(sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    try:
        return sorted(con.sql(sql).fetchall())
    finally:
        con.close()


def snapshot(out: Path) -> Snapshot:
    """The dataset at `out` read back with DuckDB (only Parquet files, as a consumer reads them)."""
    rows = _query(f"SELECT doc_id, raw_ref, content_hash FROM read_parquet('{out}/site=*/*.parquet', hive_partitioning=true)")
    rejects = _query(f"SELECT raw_ref, reason, duplicate_of FROM read_parquet('{out}/_rejects/*.parquet')") \
        if any((out / "_rejects").glob("*.parquet")) else []
    votes = _query(f"SELECT site, para_hash, n_docs FROM read_parquet('{out}/_state/paragraph_counts/*/*.parquet', "
                   "hive_partitioning=true)") if any((out / "_state" / "paragraph_counts").glob("*/*.parquet")) else []
    band_files = sorted(str(p) for p in (out / "_state" / "lsh_bands").rglob("*.parquet") if not p.name.startswith("."))
    bands = _query(f"SELECT band, band_hash, doc_id FROM read_parquet({band_files!r})") if band_files else []
    return Snapshot(rows, rejects, votes, bands)


def run_child(source: Path, out: Path, run_id: str, *extra: str, timeout: float = 300) -> subprocess.Popen[str]:
    """Start tests.dataset.child in a real process (see its docstring for `extra`)."""
    return subprocess.Popen([sys.executable, "-m", "tests.dataset.child", str(source), str(out), run_id, *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(child: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str, str]:
    """Wait for a child; its return code (-9 when it was killed), stdout and stderr."""
    stdout, stderr = child.communicate(timeout=timeout)
    return child.returncode, stdout, stderr


def run_once(source: Path, out: Path, run_id: str, *extra: str) -> str:
    """Run a child to completion and return its JSON line; fail with its stderr if it failed."""
    code, stdout, stderr = finish(run_child(source, out, run_id, *extra))
    assert code == 0, stderr[-3000:]
    return stdout.strip().splitlines()[-1]


def wait_for(paths: list[Path], timeout: float = 120) -> None:
    """Until every path exists."""
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, f"gave up waiting for {paths}"
        time.sleep(0.02)
