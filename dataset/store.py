"""The Parquet dataset: explicit schemas, rows, atomic files, and reading the dataset back.

Layout under the output folder (see docs/schema.md):
    site=<site>/part-<run_id>.parquet     clean rows, hive-partitioned by site
    _rejects/part-<run_id>.parquet        one row per input that did not become a clean row
    _staging/<run_id>/...                 per-batch files of a run in progress (removed when it ends)
    _state/                               the dedup state (dataset.corpus)
    _quarantine/<run_id>/...              damaged files a commit moved out of the dataset
Folders starting with "_" are skipped by pyarrow, DuckDB's hive reader globbing site=*, polars and Spark.
Only `*.parquet` files in `site=<site>/` folders are data: anything else there is ignored.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from cleaners.document import Document, Reject
from cleaners.urls import site_key
from dataset.dedup import paragraph_hashes

SCHEMA_VERSION = "1"
# 0.2.0: doc_id and url from the normalized URL, and a canonical link on another site no longer taken
# as the page's URL (docs/schema.md, "Identity"); rows of 0.1.0 may carry other doc_ids for the same page.
PIPELINE_VERSION = "0.2.0"
UNKNOWN_SITE = "unknown"
COMPRESSION = "zstd"

_TS = pa.timestamp("us", tz="UTC")
CLEAN_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("raw_ref", pa.string(), nullable=False),
        pa.field("site", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("lead", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("paragraphs", pa.list_(pa.string()), nullable=False),
        pa.field("captions", pa.list_(pa.string()), nullable=False),
        pa.field("published", _TS),
        pa.field("author", pa.string()),
        pa.field("source_attribution", pa.string()),
        pa.field("category", pa.string()),
        pa.field("lang", pa.string()),
        pa.field("n_words", pa.int32(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("ingested_at", _TS, nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
        pa.field("paragraph_hashes", pa.list_(pa.int64()), nullable=False),
        # Added after schema version 1 shipped, nullable: files written before it read it as null.
        pa.field("canonical_url", pa.string()),
    ],
    metadata={"tinsach.schema_version": SCHEMA_VERSION, "tinsach.dataset": "clean"},
)

# Staged batches carry each row's MinHash signature, computed in parallel by the cleaning tasks so the
# single commit step does not have to; it is dropped when rows are written to the dataset.
STAGING_SCHEMA = CLEAN_SCHEMA.append(pa.field("signature", pa.binary()))

REJECT_SCHEMA = pa.schema(
    [
        pa.field("raw_ref", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("step", pa.string(), nullable=False),
        pa.field("message", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("site", pa.string(), nullable=False),
        pa.field("doc_id", pa.string()),
        pa.field("duplicate_of", pa.string()),
        pa.field("ingested_at", _TS, nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
    ],
    metadata={"tinsach.schema_version": SCHEMA_VERSION, "tinsach.dataset": "rejects"},
)

log = logging.getLogger(__name__)

_SAFE_SITE = re.compile(r"^[a-z0-9_](?:[a-z0-9._\-]{0,251}[a-z0-9_])?$")


def new_run_id() -> str:
    """A sortable, unique run id: UTC time to the microsecond plus 64 random bits.

    Runs name their files with it (WARC, state rows, data files); two runs started in the same second
    must never share one (a crawl named by the second alone overwrote another's WARC)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:16]


def safe_site(site: str | None) -> str:
    """The partition value for a site: its one ASCII form (cleaners.urls.site_key: punycode, IPv6 groups
    joined by "-"), or "unknown" (never a path)."""
    site = site_key(site)
    return site if _SAFE_SITE.match(site) and ".." not in site else UNKNOWN_SITE


def document_row(doc: Document, raw_ref: str, ingested_at: datetime) -> dict[str, Any]:
    """A clean-schema row for a Document."""
    return {
        "doc_id": doc.doc_id, "url": doc.url, "raw_ref": raw_ref, "site": safe_site(doc.site),
        "title": doc.title, "lead": doc.lead, "text": doc.text, "paragraphs": list(doc.paragraphs),
        "captions": list(doc.captions), "published": doc.published, "author": doc.author,
        "source_attribution": doc.source_attribution, "category": doc.category, "lang": doc.lang,
        "n_words": doc.n_words, "content_hash": doc.content_hash, "ingested_at": ingested_at,
        "pipeline_version": PIPELINE_VERSION,
        "paragraph_hashes": paragraph_hashes(([doc.lead] if doc.lead else []) + doc.paragraphs),
        "canonical_url": doc.canonical_url,
    }


def reject_row(reject: Reject, ingested_at: datetime) -> dict[str, Any]:
    """A rejects-schema row."""
    return {
        "raw_ref": reject.raw_ref, "reason": reject.reason, "step": reject.step,
        "message": reject.message[:2000], "url": reject.url, "site": safe_site(reject.site),
        "doc_id": reject.doc_id, "duplicate_of": reject.duplicate_of, "ingested_at": ingested_at,
        "pipeline_version": PIPELINE_VERSION,
    }


def temp_path(path: Path) -> Path:
    """A hidden temporary name beside `path` (readers skip names starting with "."), its folder made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def publish(tmp: Path, path: Path) -> None:
    """Make a fully written temporary file durable, then give it its name in one atomic step (the
    folder is synced too, so the new name survives a power cut)."""
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write `path`'s content to: published when the block ends, removed if it fails."""
    tmp = temp_path(path)
    try:
        yield tmp
        publish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file so that readers see all of it or nothing (temp file in the same folder, then rename)."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression=COMPRESSION)


SITE_FOLDER = "site="
# The schema of a data file: the clean schema without `site`, which is the partition (the folder name).
FILE_SCHEMA = CLEAN_SCHEMA.remove(CLEAN_SCHEMA.get_field_index("site"))


def data_files(out: Path) -> list[Path]:
    """The dataset's data files, sorted: `*.parquet` directly in `site=<site>/` folders. Hidden names and
    names starting with "_" are skipped, as readers skip them; other files (README.txt...) are not data."""
    if not out.is_dir():
        return []
    return sorted(
        path for folder in out.glob(f"{SITE_FOLDER}*") if folder.is_dir()
        for path in folder.glob("*.parquet") if not path.name.startswith((".", "_")) and path.is_file()
    )


def site_of_file(path: Path) -> str:
    """The site a data file belongs to, from its folder name."""
    return path.parent.name.removeprefix(SITE_FOLDER)


def open_clean(out: Path, files: list[Path] | None = None) -> ds.Dataset:
    """The clean rows of `files` (default: all data files) as one pyarrow dataset, `site` from the folder."""
    paths = [str(p) for p in (data_files(out) if files is None else files)]
    return ds.dataset(paths, format="parquet", partitioning="hive", partition_base_dir=str(out), schema=CLEAN_SCHEMA)


def file_damage(path: Path) -> str | None:
    """Why `path` cannot be a data file of this dataset (unreadable Parquet, a foreign schema), or None.

    Columns added later as nullable may be missing from older files; any other difference is damage.
    """
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for a truncated or foreign file
        return f"not a readable Parquet file ({type(exc).__name__}: {exc})"
    for expected in FILE_SCHEMA:
        index = schema.get_field_index(expected.name)
        if index < 0:
            if not expected.nullable:
                return f"not a clean-rows file: column {expected.name!r} missing"
            continue
        found = schema.field(index).type
        if not found.equals(expected.type):
            return f"not a clean-rows file: column {expected.name!r} is {found}, not {expected.type}"
    return None


QUARANTINE = "_quarantine"


def quarantine(out: Path, path: Path, reason: str, run_id: str) -> dict[str, str]:
    """Move a damaged file out of the dataset to `_quarantine/<run_id>/` (same relative path), note why
    beside it (`reasons.jsonl`), and return what happened for the run report."""
    target = out / QUARANTINE / run_id / path.relative_to(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    entry = {"path": str(path), "moved_to": str(target), "reason": reason}
    with (out / QUARANTINE / run_id / "reasons.jsonl").open("a", encoding="utf-8") as notes:
        notes.write(json.dumps(entry, ensure_ascii=False) + "\n")
    log.warning("%s moved to %s: %s", path, target, reason)
    return entry


def read_clean(out: str | Path) -> pa.Table:
    """The whole clean dataset as one table (site restored from the partition path)."""
    return open_clean(Path(out)).to_table()


def read_rejects(out: str | Path) -> pa.Table:
    """All rejects."""
    folder = Path(out) / "_rejects"
    files = sorted(str(p) for p in folder.glob("*.parquet") if not p.name.startswith((".", "_")))
    if not files:
        return REJECT_SCHEMA.empty_table()
    return ds.dataset(files, format="parquet", schema=REJECT_SCHEMA).to_table()
