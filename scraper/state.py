"""The seen-URL state: what was fetched, when, with which validators, how often it failed; Parquet beside the raw store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from dataset.store import write_atomic

# `failures` and `retry_at` came later: state files without them load with nulls (see `Seen.failed_runs`).
SEEN_SCHEMA = pa.schema([
    pa.field("url", pa.string(), nullable=False),
    pa.field("final_url", pa.string()),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("status", pa.int32()),
    pa.field("etag", pa.string()),
    pa.field("last_modified", pa.string()),
    pa.field("error", pa.string()),
    pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("warc", pa.string()),
    pa.field("failures", pa.int32()),  # runs in a row that ended without a settled answer (0 once settled)
    pa.field("retry_at", pa.timestamp("us", tz="UTC")),  # not tried again before this (unsettled rows)
])


# Errors of URLs the crawler refused to fetch (address, scheme, robots.txt on a redirect): a policy,
# checked again whenever a source names the URL, not a failure of the site (no backoff, no limit).
REFUSED = "refused: "
# A body over the size cap is complete as far as the crawler goes: fetching it again would cut it again.
LENGTH_CUT = "truncated (length)"


@dataclass(frozen=True, slots=True)
class Seen:
    """The last fetch of a URL."""

    status: int | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    error: str | None = None
    kind: str = "page"
    failures: int | None = None
    retry_at: datetime | None = None

    @property
    def settled(self) -> bool:
        """Fetched for good: a complete 2xx, a 304 (unchanged since a settled fetch) or a permanent 404/410.

        Errors, 5xx, 429 and bodies cut off by the server or by the deadline are tried again.
        """
        return settled(self.status, self.error)

    @property
    def refused(self) -> bool:
        """Not fetched by the crawler's own policy (see REFUSED)."""
        return refused(self.error)

    @property
    def failed_runs(self) -> int:
        """Runs in a row that ended unsettled (state files from before the column count one)."""
        if self.settled or self.refused:
            return 0
        return self.failures if self.failures is not None else 1

    def due(self, now: datetime) -> bool:
        """An unsettled URL whose backoff is over (a refused one has none)."""
        return not self.settled and (self.refused or self.retry_at is None or self.retry_at <= now)


def settled(status: int | None, error: str | None) -> bool:
    """Whether a fetch with this status and error needs no retry (see `Seen.settled`)."""
    if status is None or (error is not None and error != LENGTH_CUT):
        return False  # an error, or a body cut off by the server or the deadline
    return 200 <= status < 300 or status in (304, 404, 410)


def refused(error: str | None) -> bool:
    """Whether a fetch's error is a refusal by the crawler's policy rather than a failure."""
    return error is not None and error.startswith(REFUSED)


def retry_delay(failures: int, base_seconds: float, max_seconds: float) -> timedelta:
    """The wait before trying a URL again after `failures` failed runs in a row: base * 2^(failures-1), capped."""
    return timedelta(seconds=min(base_seconds * 2 ** max(failures - 1, 0), max_seconds))


def folder(raw_dir: Path) -> Path:
    """Where the seen-URL state lives."""
    return raw_dir / "_state" / "fetched"


def load(raw_dir: Path) -> dict[str, Seen]:
    """The latest fetch of every URL ever fetched into `raw_dir`."""
    path = folder(raw_dir)
    if not path.exists() or not any(path.glob("*.parquet")):
        return {}
    table = ds.dataset(path, format="parquet", schema=SEEN_SCHEMA).to_table(
        columns=["url", "kind", "status", "etag", "last_modified", "fetched_at", "error", "failures", "retry_at"],
    ).sort_by("fetched_at")
    seen: dict[str, Seen] = {}
    for row in table.to_pylist():
        seen[row["url"]] = Seen(row["status"], row["etag"], row["last_modified"], row["fetched_at"], row["error"],
                                row["kind"], row["failures"], row["retry_at"])
    return seen


def append(raw_dir: Path, run_id: str, rows: list[dict[str, Any]]) -> None:
    """Add one run's fetches (a new file; earlier ones are never rewritten)."""
    if not rows:
        return
    write_atomic(pa.Table.from_pylist(rows, schema=SEEN_SCHEMA), folder(raw_dir) / f"part-{run_id}.parquet")
