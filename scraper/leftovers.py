"""What dead crawls leave in the raw store: each crawl holds a lock file while it writes; the next crawl
removes the temporary files of runs whose lock nobody holds any more (a SIGKILLed crawl's lock is
released by the kernel, a live crawl's is not)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from scraper import state

log = logging.getLogger(__name__)

# Temporary names written by a run: the WARC (scraper.warc) and the state part (dataset.store.temp_path).
_WARC_TMP = re.compile(r"^\.crawl-(?P<run>[^.]+)\.[0-9a-f]{32}\.warc\.gz\.tmp$")
_STATE_TMP = re.compile(r"^\.part-(?P<run>[^.]+)\.parquet\.[0-9a-f]{32}\.tmp$")
# A lock file with no temporary file beside it is removed only when this old: a crawl creates its lock
# file and takes the lock within milliseconds, so an hour-old free lock file is a dead run's.
STALE_LOCK_SECONDS = 3600.0


def lock_path(raw_dir: Path, run_id: str) -> Path:
    """The lock file a crawl run holds while it writes into `raw_dir`."""
    return raw_dir / "_state" / "locks" / f"crawl-{run_id}.lock"


@contextmanager
def run_lock(raw_dir: Path, run_id: str) -> Iterator[None]:
    """Hold the run's lock for the block: its temporary files are not swept while it lives."""
    path = lock_path(raw_dir, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    with lock:
        yield
    path.unlink(missing_ok=True)


def _dead(raw_dir: Path, run_id: str) -> FileLock | None:
    """The run's lock, acquired, when no live process holds it; None while its crawl runs."""
    lock = FileLock(lock_path(raw_dir, run_id))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return lock


def sweep(raw_dir: Path, own_run: str) -> list[Path]:
    """Remove the temporary WARC and state files of dead crawls; returns what was removed."""
    removed: list[Path] = []
    lock_path(raw_dir, own_run).parent.mkdir(parents=True, exist_ok=True)
    for folder, pattern in ((raw_dir / "warc", _WARC_TMP), (state.folder(raw_dir), _STATE_TMP)):
        if not folder.is_dir():
            continue
        for tmp in sorted(folder.glob(".*.tmp")):
            match = pattern.match(tmp.name)
            if match is None or match["run"] == own_run:
                continue
            lock = _dead(raw_dir, match["run"])
            if lock is None:
                continue
            try:
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
                log.warning("removed %s, left by crawl %s that died", tmp, match["run"])
            finally:
                lock.release()
                lock_path(raw_dir, match["run"]).unlink(missing_ok=True)
    now = time.time()
    for path in lock_path(raw_dir, own_run).parent.glob("crawl-*.lock"):
        run_id = path.name[len("crawl-"):-len(".lock")]
        try:
            stale = now - path.stat().st_mtime > STALE_LOCK_SECONDS
        except FileNotFoundError:
            continue
        if stale and run_id != own_run and (lock := _dead(raw_dir, run_id)) is not None:
            lock.release()
            path.unlink(missing_ok=True)
    return removed
