"""The one loop over pages: read, clean, judge, stage; counters, timing, per-page error capture and time limit live here.

Prefect tasks call `process_batch`; so can plain Python (benchmarks run it without Prefect).
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cleaners.api import clean_page
from cleaners.document import ARTICLE_MIN_WORDS, Document, Reject, make_doc_id
from cleaners.extract import MarkupError
from cleaners.lang import legacy_vietnamese_encoding
from cleaners.urls import identity, site_of
from dataset.dedup import text_signature
from dataset.inputs import UnreadableInput, read
from dataset.store import REJECT_SCHEMA, STAGING_SCHEMA, document_row, reject_row, write_atomic
from dataset.timelimit import PageTimeout, within_time_limit


@dataclass(slots=True)
class BatchResult:
    """What one batch produced: the staged files and the counters for the run report."""

    clean_path: str | None
    rejects_path: str | None
    inputs: int = 0
    kept: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    moved: dict[str, int] = field(default_factory=dict)
    # The most frequent removed lines, "reason: text" -> count (for the run report's top patterns).
    patterns: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for Prefect results and JSON."""
        return {
            "clean_path": self.clean_path, "rejects_path": self.rejects_path, "inputs": self.inputs,
            "kept": self.kept, "rejected": self.rejected, "removed": self.removed, "moved": self.moved, "patterns": self.patterns, "seconds": self.seconds,
        }


log = logging.getLogger(__name__)
# A page that takes longer than this to read and clean is rejected: trafilatura and lxml have no
# timeout of their own, and one pathological page must not hold a batch (or a run) forever. Normal
# pages take 10-100 ms; the largest bundled page ~0.1 s; the largest page let in (10 MiB of short
# paragraphs, bench/scaling.py) ~20 s. Enforced in whatever thread the page is cleaned in
# (dataset/timelimit.py): the flow's threads, worker processes, Dask workers.
PAGE_TIMEOUT_SECONDS = 30.0


# The run report lists the most frequent removed lines: how many per batch, and how much of each.
TOP_PATTERNS = 50
PATTERN_CHARS = 80


# C0 control bytes that no text encoding of a web page uses (tab, newlines, vertical tab and form feed,
# and ESC/SO/SI of the ISO-2022 encodings excepted). Random or compressed bytes hold ~10% of them; text
# none, or a stray one (a DOS end-of-file mark).
_CONTROL_BYTES = bytes(sorted(set(range(32)) - set(b"\t\n\r\x0b\x0c\x1b\x0e\x0f")))
_NOT_CONTROL = bytes(sorted(set(range(256)) - set(_CONTROL_BYTES)))
BINARY_CONTROL_SHARE = 0.01


def looks_binary(data: bytes) -> bool:
    """True for bytes that are no text in any encoding a page uses: NUL bytes outside UTF-16, or more
    than 1% control bytes (junk or compressed data that happens to hold no NUL)."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = len(head.translate(None, _NOT_CONTROL))
    return b"\x00" in head or controls > max(4, BINARY_CONTROL_SHARE * len(head))


# libxml2 compares each attribute of a start tag with every earlier one (~5 ns a pair): a tag with n
# attributes costs n²/2 in C, where the time limit cannot interrupt it (100,000 attributes on <html>:
# ~20 s in the parser; 200,000: over a minute). Pages whose start tags add up to more pairs than this
# (~1 s of parsing) are refused unparsed; real pages have a few thousand.
MAX_ATTRIBUTE_PAIRS = 200_000_000
# Only start tags of 128+ bytes are counted: shorter ones hold under 64 attributes (2 bytes each at least).
_LONG_START_TAG = re.compile(rb"<[A-Za-z][^<>]{128,}")
_QUOTED = re.compile(rb"\"[^\"]*\"|'[^']*'")
_EQUALS = re.compile(rb"\s*=\s*")


def attribute_load(data: bytes) -> tuple[int, int]:
    """(attribute pairs the parser will compare, most attributes in one start tag), over long start tags."""
    pairs = most = 0
    for tag in _LONG_START_TAG.finditer(data):
        count = len(_EQUALS.sub(b"=", _QUOTED.sub(b"v", tag.group())).split()) - 1  # minus the tag name
        pairs += count * (count - 1) // 2
        most = max(most, count)
    return pairs, most


def judge(doc: Document) -> tuple[str, str] | None:
    """Why a cleaned page is not an article, as (reason, message), or None when it is one."""
    if not doc.text.strip():
        return "empty", "nothing left after cleaning"
    if doc.listing:
        return "not_article", doc.listing
    if doc.n_words < ARTICLE_MIN_WORDS:
        return "not_article", f"{doc.n_words} words after cleaning (< {ARTICLE_MIN_WORDS})"
    return None


def process_one(ref: str, timeout: float = PAGE_TIMEOUT_SECONDS) -> Document | Reject:
    """Read and clean one page within `timeout` seconds, in any thread; any failure becomes a Reject with
    a reason, never an exception."""
    try:
        return within_time_limit(timeout, _process_one, ref)
    except PageTimeout:
        return Reject(raw_ref=ref, reason="timeout", step="clean", message=f"took longer than {timeout:g} s")


def _reject(ref: str, reason: str, step: str, message: str, url: str | None = None) -> Reject:
    """A reject; one whose page URL is known carries the url, site and doc_id a clean row of it would get."""
    url = identity(url)
    return Reject(raw_ref=ref, reason=reason, step=step, message=message, url=url, site=site_of(url),
                  doc_id=make_doc_id(url) if url else None)


def _process_one(ref: str) -> Document | Reject:
    try:
        raw = read(ref)
    except UnreadableInput as exc:
        return _reject(ref, "unreadable", "read", str(exc), exc.url)
    except Exception as exc:  # the one broad boundary: a bad input must not stop the batch
        return _reject(ref, "error", "read", f"{type(exc).__name__}: {exc}")
    if raw.status is not None and not 200 <= raw.status < 300:
        return _reject(ref, "unreadable", "read", f"HTTP status {raw.status}", raw.url)
    if raw.truncated:
        return _reject(ref, "unreadable", "read", f"response truncated by the crawler ({raw.truncated})", raw.url)
    if not raw.data.strip():
        return _reject(ref, "empty", "read", "zero bytes of content" if not raw.data
                       else f"only whitespace ({len(raw.data):,} bytes)", raw.url)
    if looks_binary(raw.data):
        return _reject(ref, "unreadable", "read", "binary content, not a text page", raw.url)
    if raw.is_html:
        pairs, most = attribute_load(raw.data)
        if pairs > MAX_ATTRIBUTE_PAIRS:
            return _reject(ref, "unreadable", "read",
                           f"markup too costly to parse: start tags with up to {most:,} attributes", raw.url)
    try:
        doc = clean_page(raw.data, raw.is_html, raw.url, raw.charset)
    except MarkupError as exc:
        return _reject(ref, "unreadable", "parse", str(exc), raw.url)
    except Exception as exc:  # same boundary, for the cleaning steps
        return _reject(ref, "error", "clean", f"{type(exc).__name__}: {exc}", raw.url)
    doc.raw_ref = ref
    legacy = legacy_vietnamese_encoding(doc.text)
    if legacy is not None:
        return Reject(raw_ref=ref, reason="unreadable", step="clean", url=doc.url, site=doc.site, doc_id=doc.doc_id,
                      message=f"Vietnamese in the legacy {legacy} font encoding: not converted")
    verdict = judge(doc)
    if verdict is not None:
        return Reject(raw_ref=ref, reason=verdict[0], step="judge", url=doc.url, site=doc.site,
                      message=verdict[1], doc_id=doc.doc_id)
    return doc


def process_batch(refs: list[str], staging_dir: str | Path, batch_no: int,
                  timeout: float = PAGE_TIMEOUT_SECONDS) -> BatchResult:
    """Clean a batch of references (each within `timeout` seconds) and stage the rows as Parquet files;
    returns their paths and counters."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    rejected: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    moved: Counter[str] = Counter()
    patterns: Counter[str] = Counter()
    for ref in refs:
        outcome = process_one(ref, timeout)
        if isinstance(outcome, Reject):
            rejected[outcome.reason] += 1
            rejects.append(reject_row(outcome, now))
            if outcome.reason == "error":
                log.warning("%s: %s", ref, outcome.message)
        else:
            removed.update(r.reason for r in outcome.removals if not r.moved_to)
            moved.update(r.moved_to for r in outcome.removals if r.moved_to)
            patterns.update(f"{r.reason}: {r.text[:PATTERN_CHARS]}" for r in outcome.removals if not r.moved_to)
            rows.append({**document_row(outcome, ref, now), "signature": text_signature(outcome.text)})
    staging = Path(staging_dir)
    clean_path = rejects_path = None
    if rows:
        clean_path = staging / f"batch-{batch_no:06d}.clean.parquet"
        write_atomic(pa.Table.from_pylist(rows, schema=STAGING_SCHEMA), clean_path)
    if rejects:
        rejects_path = staging / f"batch-{batch_no:06d}.rejects.parquet"
        write_atomic(pa.Table.from_pylist(rejects, schema=REJECT_SCHEMA), rejects_path)
    log.info("batch %d: %d inputs, %d clean, rejected %s", batch_no, len(refs), len(rows), dict(rejected))
    return BatchResult(
        clean_path=str(clean_path) if clean_path else None,
        rejects_path=str(rejects_path) if rejects_path else None,
        inputs=len(refs), kept=len(rows), rejected=dict(rejected), removed=dict(removed), moved=dict(moved),
        patterns=dict(patterns.most_common(TOP_PATTERNS)),
        seconds=time.perf_counter() - started,
    )
