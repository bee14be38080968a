"""The seen-URL state: what was fetched, when, with which validators; Parquet beside the raw store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from dataset.store import write_atomic

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
])


@dataclass(frozen=True, slots=True)
class Seen:
    """The last fetch of a URL."""

    status: int | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    error: str | None = None

    @property
    def settled(self) -> bool:
        """Fetched for good: a complete 2xx, or a permanent 404/410. Errors, 5xx, 429 and cut bodies are retried."""
        if self.status is None or (self.error and "disconnect" in self.error):
            return False
        return 200 <= self.status < 300 or self.status in (404, 410)


def folder(raw_dir: Path) -> Path:
    """Where the seen-URL state lives."""
    return raw_dir / "_state" / "fetched"


def load(raw_dir: Path) -> dict[str, Seen]:
    """The latest fetch of every URL ever fetched into `raw_dir`."""
    path = folder(raw_dir)
    if not path.exists() or not any(path.glob("*.parquet")):
        return {}
    table = ds.dataset(path, format="parquet", schema=SEEN_SCHEMA).to_table(
        columns=["url", "status", "etag", "last_modified", "fetched_at", "error"]).sort_by("fetched_at")
    seen: dict[str, Seen] = {}
    for row in table.to_pylist():
        seen[row["url"]] = Seen(row["status"], row["etag"], row["last_modified"], row["fetched_at"], row["error"])
    return seen


def append(raw_dir: Path, run_id: str, rows: list[dict[str, object]]) -> None:
    """Add one run's fetches (a new file; earlier ones are never rewritten)."""
    if not rows:
        return
    write_atomic(pa.Table.from_pylist(rows, schema=SEEN_SCHEMA), folder(raw_dir) / f"part-{run_id}.parquet")
