"""The commit: a run's staged batches become rows of the dataset, one commit at a time.

Every commit on a dataset holds its lock (`filelock`, a file beside the data) from the moment it reads
what the dataset holds until its last file is written: two runs at once give the rows, rejects, votes
and bands of the same runs one after the other. Under the lock a commit first sweeps what dead runs
left (staging folders, temporary files) and checks the dedup state against the data
(`dataset.corpus.reconcile`). Cleaning is not under the lock: runs overlap everywhere but here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from cleaners.document import ARTICLE_MIN_WORDS
from dataset import corpus
from dataset.store import (
    COMPRESSION,
    FILE_SCHEMA,
    PIPELINE_VERSION,
    REJECT_SCHEMA,
    STAGING_SCHEMA,
    publish,
    quarantine,
    temp_path,
    write_atomic,
)

log = logging.getLogger(__name__)

LOCK_FILE = ".tinsach.lock"  # hidden: readers skip it
HOLDER_FILE = ".tinsach.lock.holder"  # who holds the lock, for the message of a run that waits
STAGING = "_staging"
# A commit waits this long for another run's commit before it fails (with the holder named). Commits
# of 20,000 inputs take about a minute here; an hour means something is stuck, not busy.
LOCK_TIMEOUT_SECONDS = 3600.0
# A run's own staging lock: taken at its start, a fraction of a second at most after a sweeper that
# happened to probe it at that instant lets go.
STAGING_LOCK_SECONDS = 30.0


@contextlib.contextmanager
def dataset_lock(out: Path, run_id: str, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[float]:
    """Hold the dataset's commit lock (yields the seconds waited for it). A run that has to wait says so,
    naming the run that holds it; a run killed while holding it releases it (the OS drops the lock)."""
    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out / LOCK_FILE)
    started = time.monotonic()
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("run %s: waiting for the commit of another run on %s (%s)", run_id, out, _holder(out))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise TimeoutError(f"{out} stayed locked by another run's commit for {timeout:g} s ({_holder(out)})") from None
    waited = time.monotonic() - started
    if waited >= 0.1:
        log.info("run %s: waited %.1f s for the commit lock of %s", run_id, waited, out)
    try:
        with contextlib.suppress(OSError):
            (out / HOLDER_FILE).write_text(json.dumps({
                "run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(timespec="seconds")}), encoding="utf-8")
        yield waited
    finally:
        lock.release()


def _holder(out: Path) -> str:
    try:
        holder = json.loads((out / HOLDER_FILE).read_text(encoding="utf-8"))
        return f"run {holder['run_id']}, pid {holder['pid']} on {holder['host']}, committing since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


@contextlib.contextmanager
def staging(out: Path, run_id: str) -> Iterator[Path]:
    """The run's staging folder, `_staging/<run_id>/`, held (a lock beside it) for as long as the run lives
    and removed when it ends, whether it succeeded or failed. A run killed outright leaves the folder with
    its lock free: the next commit on the dataset sweeps it."""
    root = out / STAGING
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(root / f"{run_id}.lock")
    lock.acquire(timeout=STAGING_LOCK_SECONDS)
    folder = root / run_id
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        (root / f"{run_id}.lock").unlink(missing_ok=True)
        lock.release()
        with contextlib.suppress(OSError):
            root.rmdir()  # only when no other run is staging


def sweep(out: Path, keep: frozenset[str] = frozenset()) -> dict[str, int]:
    """Remove what dead runs left (under the dataset lock): staging folders whose run no longer holds its
    lock (but those named in `keep`: the committing run's own), and temporary files of interrupted
    writes. Returns what went, in files and bytes."""
    swept = Counter[str]()

    def remove(path: Path) -> None:
        if path.is_dir():
            files = [p for p in path.rglob("*") if p.is_file()]
            swept["files"] += len(files)
            swept["bytes"] += sum(p.stat().st_size for p in files)
            shutil.rmtree(path, ignore_errors=True)
        else:
            swept["files"] += 1
            swept["bytes"] += path.stat().st_size
            path.unlink(missing_ok=True)

    root = out / STAGING
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            run_id = entry.name.removesuffix(".lock")
            if run_id in keep or (entry.name.endswith(".lock") and (root / run_id).exists()):
                continue  # judged with its folder
            lock = FileLock(root / f"{run_id}.lock")
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue  # a live run holds it
            try:
                for leftover in (root / run_id, root / f"{run_id}.lock"):
                    if leftover.exists():
                        remove(leftover)
            finally:
                lock.release()
        with contextlib.suppress(OSError):
            root.rmdir()
    # Every other writer of the dataset's files holds the dataset lock: a temporary file now is an orphan.
    for top in [p for p in out.iterdir() if p.name != STAGING] if out.is_dir() else []:
        for path in (top.rglob(".*.tmp") if top.is_dir() else [top] if top.name.endswith(".tmp") else []):
            if path.is_file():
                remove(path)
    if swept:
        log.info("%s: swept %d files (%.1f MB) left by dead runs", out, swept["files"], swept["bytes"] / 1e6)
    return dict(swept)


def _staged(paths: list[Path], schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
    tables = [pq.read_table(p, schema=schema, columns=columns) for p in paths if p.exists()]
    return pa.concat_tables(tables) if tables else schema.empty_table().select(columns or schema.names)


def _known_rejects(out: Path, run_id: str, quarantined: list[dict[str, str]]) -> set[tuple[str, str]]:
    """(raw_ref, reason) of the rejects already recorded; a rejects file that cannot be read is quarantined."""
    known: set[tuple[str, str]] = set()
    for path in sorted((out / "_rejects").glob("*.parquet")):
        if path.name.startswith((".", "_")):
            continue
        try:
            table = pq.read_table(path, columns=["raw_ref", "reason"], schema=REJECT_SCHEMA)
        except Exception as exc:  # a damaged rejects file must not stop every later commit
            quarantined.append(quarantine(out, path, f"unreadable rejects file ({type(exc).__name__}: {exc})", run_id))
            continue
        known.update(zip(table.column("raw_ref").to_pylist(), table.column("reason").to_pylist(), strict=True))
    return known


def _canonical_order(clean: pa.Table) -> pa.Table:
    # Which copy of a duplicate is kept must not depend on input order: earliest published first (unknown
    # dates last), then the most words, then the smallest doc_id.
    order = pc.sort_indices(
        clean,
        options=pc.SortOptions(
            sort_keys=[("published", "ascending", "at_end"), ("n_words", "descending", "at_end"),
                       ("doc_id", "ascending", "at_end")],
        ),
    )
    return clean.take(order)


_PLAN_COLUMNS = ["doc_id", "content_hash", "published", "n_words", "site", "paragraph_hashes", "signature",
                 "raw_ref", "url", "ingested_at", "pipeline_version"]


class _SiteFiles:
    """One Parquet file per site for a commit, appended batch by batch; when all is written, each site's
    bands file is written, then its data file is renamed into place."""

    def __init__(self, state: corpus.State, decided: corpus.Plan, run_id: str) -> None:
        self.state, self.decided, self.run_id = state, decided, run_id
        self.writers: dict[str, tuple[pq.ParquetWriter, Path, Path]] = {}
        self.written: dict[str, list[dict[str, Any]]] = {}  # doc_id and raw_ref of each site's rows
        self.rows = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        by_site: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_site.setdefault(row["site"], []).append({k: v for k, v in row.items() if k not in ("site", "signature")})
        for site, site_rows in sorted(by_site.items()):
            if site not in self.writers:
                target = self.state.out / f"site={site}" / f"part-{self.run_id}.parquet"
                tmp = temp_path(target)
                self.writers[site] = (pq.ParquetWriter(tmp, FILE_SCHEMA, compression=COMPRESSION), tmp, target)
            self.writers[site][0].write_table(pa.Table.from_pylist(site_rows, schema=FILE_SCHEMA))
            self.written.setdefault(site, []).extend({"doc_id": r["doc_id"], "raw_ref": r["raw_ref"]} for r in site_rows)
            self.rows += len(site_rows)

    def close(self) -> None:
        for site, (writer, tmp, target) in sorted(self.writers.items()):
            writer.close()
            self.decided.write_bands(self.state, target, self.written[site])
            publish(tmp, target)
            self.state.files.append(target)
            self.state.record(target, len(self.written[site]))

    def abort(self) -> None:
        for writer, tmp, _ in self.writers.values():
            with contextlib.suppress(Exception):
                writer.close()
            tmp.unlink(missing_ok=True)


def commit(staged_clean: list[Path], staged_rejects: list[Path], out: Path, run_id: str,
           lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Merge a run's staged batches into the dataset, under its lock: sweep what dead runs left, check and
    heal the dedup state, skip rows already there, reject duplicates and site boilerplate
    (dataset.corpus), write atomically, record the commit in the state, remove the staged files.

    Memory stays bounded by one staged batch plus the small columns of the run: decisions are taken
    on doc ids, hashes and signatures first, then the batches are streamed into per-site files.
    """
    meta = _canonical_order(_staged(staged_clean, STAGING_SCHEMA, _PLAN_COLUMNS))
    rejects = _staged(staged_rejects, REJECT_SCHEMA)
    with dataset_lock(out, run_id, lock_timeout) as waited:
        own = frozenset(p.relative_to(out / STAGING).parts[0] for p in [*staged_clean, *staged_rejects]
                        if p.is_relative_to(out / STAGING))
        swept = sweep(out, own)
        state = corpus.reconcile(out, run_id)
        existing = corpus.read_existing(state, ["doc_id", "content_hash"])
        result = _commit(meta, rejects, existing, staged_clean, state, run_id)
    for path in [*staged_clean, *staged_rejects]:  # consumed: a re-run of this commit adds nothing anyway
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()
    with contextlib.suppress(OSError):
        (out / STAGING).rmdir()  # only when no other run is staging
    return {**result, "waited_seconds": round(waited, 3), "swept": swept,
            "quarantined": state.quarantined, "healed": state.healed}


def _commit(meta: pa.Table, rejects: pa.Table, existing: pa.Table, staged_clean: list[Path], state: corpus.State,
            run_id: str) -> dict[str, Any]:
    out = state.out
    known_ids = set(existing.column("doc_id").to_pylist())
    known_hashes: dict[str, str] = dict(
        zip(existing.column("content_hash").to_pylist(), existing.column("doc_id").to_pylist(), strict=True)
    )
    del existing
    duplicates: list[dict[str, Any]] = []
    unchanged = same_url = same_text = 0
    seen_ids: set[str] = set()
    chosen: list[int] = []
    doc_ids, hashes = meta.column("doc_id").to_pylist(), meta.column("content_hash").to_pylist()
    for i, (doc_id, content_hash) in enumerate(zip(doc_ids, hashes, strict=True)):
        if doc_id in known_ids:
            unchanged += 1  # this page is in the dataset already (a re-run): nothing to add, nothing lost
            continue
        canonical = doc_id if doc_id in seen_ids else known_hashes.get(content_hash)
        if canonical is not None:
            same_url += canonical == doc_id
            same_text += canonical != doc_id
            row = meta.slice(i, 1).to_pylist()[0]
            duplicates.append({
                "raw_ref": row["raw_ref"], "reason": "duplicate", "step": "commit",
                "message": "same URL as another input" if canonical == doc_id else "same text as another document",
                "url": row["url"], "site": row["site"], "doc_id": doc_id, "duplicate_of": canonical,
                "ingested_at": row["ingested_at"], "pipeline_version": PIPELINE_VERSION,
            })
            continue
        seen_ids.add(doc_id)
        known_hashes[content_hash] = doc_id
        chosen.append(i)
    candidates = meta.take(pa.array(chosen, pa.int64()))
    del meta, doc_ids, hashes  # the run's small columns live on only in `candidates`
    decided = corpus.plan(candidates, state)
    files = _SiteFiles(state, decided, run_id)
    try:
        for path in staged_clean:
            if not path.exists():
                continue
            batch = pq.read_table(path, schema=STAGING_SCHEMA)
            wanted = [r for r in batch.to_pylist() if r["raw_ref"] in decided.keep]
            files.write([r for r in (corpus.apply(r, decided, ARTICLE_MIN_WORDS) for r in wanted) if r is not None])
        files.close()
    except BaseException:
        files.abort()
        raise
    corpus.index(state, decided)
    duplicates += decided.report.rejects
    if duplicates:
        rejects = pa.concat_tables([rejects, pa.Table.from_pylist(duplicates, schema=REJECT_SCHEMA)])
    known_rejects = _known_rejects(out, run_id, state.quarantined)
    fresh = [i for i, r in enumerate(rejects.select(["raw_ref", "reason"]).to_pylist())
             if (r["raw_ref"], r["reason"]) not in known_rejects]
    rejects = rejects.take(pa.array(fresh, pa.int64()))
    if rejects.num_rows:
        write_atomic(rejects, out / "_rejects" / f"part-{run_id}.parquet")
    return {"written": files.rows, "unchanged": unchanged,
            "rejected": dict(Counter(d["reason"] for d in duplicates)), "rejects_written": rejects.num_rows,
            "dedup": {"same_url": same_url, "same_text": same_text, **decided.report.counts()}}
