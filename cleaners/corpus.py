"""Corpus-level dedup at commit time: duplicate and near-duplicate documents, then site boilerplate.

State lives beside the data, as Parquet, queryable with DuckDB (docs/dedup.md):
    _state/paragraph_counts/site=<site>/counts.parquet   para_hash, n_docs
    _state/lsh_bands/part-<run_id>.parquet               band, band_hash, doc_id
Both are derived: deleting `_state/` rebuilds it from the clean rows on the next commit.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from cleaners import dedup
from cleaners.document import count_words, join_text, text_hash

STATE = "_state"
COUNTS_SCHEMA = pa.schema([pa.field("para_hash", pa.int64(), nullable=False),
                           pa.field("n_docs", pa.int32(), nullable=False)])
BANDS_SCHEMA = pa.schema([pa.field("band", pa.int16(), nullable=False),
                          pa.field("band_hash", pa.int64(), nullable=False),
                          pa.field("doc_id", pa.string(), nullable=False)])


@dataclass(slots=True)
class DedupReport:
    """What each level removed in one commit."""

    exact: int = 0
    near: int = 0
    boilerplate_paragraphs: int = 0
    emptied: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The numbers, for the run summary."""
        return {"exact_duplicates": self.exact, "near_duplicates": self.near,
                "boilerplate_paragraphs": self.boilerplate_paragraphs, "emptied_by_boilerplate": self.emptied}


def _posix(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _candidate(row: dict[str, Any]) -> dedup.Candidate:
    staged = row.get("signature")
    sig = dedup.from_bytes(staged) if staged else dedup.signature(dedup.shingles(row["text"]))
    return dedup.Candidate(row["doc_id"], _posix(row["published"]), row["n_words"], sig)


def _clean_files(out: Path) -> list[str]:
    return sorted(str(p) for p in out.glob("site=*/*.parquet"))


def _query(sql: str, **tables: pa.Table) -> pa.Table:
    con = duckdb.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def rebuild_state(out: Path, schema: pa.Schema) -> None:
    """Recompute paragraph counts and LSH bands from the clean rows (after `_state/` was deleted, or a run
    was killed between writing its rows and recording them)."""
    state = out / STATE
    shutil.rmtree(state, ignore_errors=True)
    files = _clean_files(out)
    if not files:
        return
    dataset = ds.dataset(out, format="parquet", partitioning="hive", schema=schema)
    counts: dict[str, Counter[int]] = {}
    bands: list[tuple[int, int, str]] = []
    for batch in dataset.to_batches(columns=["doc_id", "site", "text", "paragraph_hashes"]):  # text streamed
        for row in batch.to_pylist():
            counts.setdefault(row["site"], Counter()).update(set(row["paragraph_hashes"] or []))
            sig = dedup.signature(dedup.shingles(row["text"]))
            bands.extend((b, h, row["doc_id"]) for b, h in enumerate(dedup.band_hashes(sig)))
    for site, counter in counts.items():
        _write_counts(out, site, counter)
    _write_bands(out, "rebuild", bands)
    _mark_indexed(out, _run_ids(out))


def _write_counts(out: Path, site: str, counts: Counter[int]) -> None:
    from cleaners.store import write_atomic  # local: store imports this module

    table = pa.table({"para_hash": list(counts), "n_docs": list(counts.values())}, schema=COUNTS_SCHEMA)
    write_atomic(table.sort_by("para_hash"), out / STATE / "paragraph_counts" / f"site={site}" / "counts.parquet")


def _write_bands(out: Path, run_id: str, rows: list[tuple[int, int, str]]) -> None:
    from cleaners.store import write_atomic

    if not rows:
        return
    band, band_hash, doc_id = zip(*sorted(rows), strict=True)
    table = pa.table({"band": band, "band_hash": band_hash, "doc_id": doc_id}, schema=BANDS_SCHEMA)
    write_atomic(table, out / STATE / "lsh_bands" / f"part-{run_id}.parquet")


def _read_counts(out: Path, site: str) -> Counter[int]:
    path = out / STATE / "paragraph_counts" / f"site={site}" / "counts.parquet"
    if not path.exists():
        return Counter()
    table = pq.read_table(path, schema=COUNTS_SCHEMA)
    return Counter(dict(zip(table.column("para_hash").to_pylist(), table.column("n_docs").to_pylist(), strict=True)))


def _existing_candidates(out: Path, run_bands: list[tuple[int, int, int]], schema: pa.Schema) -> list[dict[str, Any]]:
    """Dataset documents that share a band hash with a run document (a band-hash join in DuckDB)."""
    files = sorted(str(p) for p in (out / STATE / "lsh_bands").glob("*.parquet"))
    if not files or not run_bands:
        return []
    probe = pa.table({"band": [b for b, _, _ in run_bands], "band_hash": [h for _, h, _ in run_bands]})
    ids = _query(
        f"SELECT DISTINCT s.doc_id FROM read_parquet({files!r}) s JOIN probe p "
        "ON s.band = p.band AND s.band_hash = p.band_hash", probe=probe,
    ).column("doc_id").to_pylist()
    if not ids:
        return []
    wanted = pa.table({"doc_id": ids})
    rows = _query(
        f"SELECT c.doc_id, c.text, c.published, c.n_words FROM read_parquet({_clean_files(out)!r}, "
        "hive_partitioning = true) c JOIN wanted USING (doc_id)", wanted=wanted,
    ).to_pylist()
    return sorted(rows, key=lambda r: r["doc_id"])


def _drop_paragraphs(row: dict[str, Any], boiler: set[int]) -> int:
    """Remove boilerplate paragraphs from a row in place; returns how many went."""
    removed = 0
    if row["lead"] and dedup.paragraph_hash(row["lead"]) in boiler:
        row["lead"] = None
        removed += 1
    kept = [p for p in row["paragraphs"] if dedup.paragraph_hash(p) not in boiler]
    removed += len(row["paragraphs"]) - len(kept)
    if removed:
        row["paragraphs"] = kept
        row["text"] = join_text(row["lead"], kept)
        row["n_words"] = count_words(row["text"])
        row["content_hash"] = text_hash(row["text"])
    return removed


def _reject(row: dict[str, Any], canonical: str, message: str) -> dict[str, Any]:
    return {"raw_ref": row["raw_ref"], "reason": "duplicate", "step": "dedup", "message": message,
            "url": row["url"], "site": row["site"], "doc_id": row["doc_id"], "duplicate_of": canonical,
            "ingested_at": row["ingested_at"], "pipeline_version": row["pipeline_version"]}


@dataclass(slots=True)
class Plan:
    """What a commit keeps: documents (by raw_ref), each site's boilerplate, and the signatures to index."""

    keep: set[str] = field(default_factory=set)
    boiler: dict[str, set[int]] = field(default_factory=dict)
    counts: dict[str, Counter[int]] = field(default_factory=dict)  # written by `index`, after the rows
    signatures: dict[str, np.ndarray] = field(default_factory=dict)
    report: DedupReport = field(default_factory=DedupReport)


def plan(rows: list[dict[str, Any]], out: Path, schema: pa.Schema) -> Plan:
    """Decide which new rows are duplicates of each other or of the dataset, and each site's boilerplate.

    `rows` need only the small columns (no text): doc_id, raw_ref, site, published, n_words,
    paragraph_hashes, signature, url, ingested_at, pipeline_version. Writes nothing: `index` records
    the run in the state once its rows are in place.
    """
    result = Plan()
    report = result.report
    if _clean_files(out) and not state_is_complete(out):
        rebuild_state(out, schema)
    # 1. duplicate documents: LSH candidates within the run and against the dataset, confirmed on Jaccard
    new = [_candidate(r) for r in rows]
    run_bands = [(b, h, i) for i, c in enumerate(new) for b, h in enumerate(dedup.band_hashes(c.sig))]
    old = [_candidate(r) for r in _existing_candidates(out, run_bands, schema)]
    # Documents already in the dataset stay canonical: their rows are published and never rewritten.
    everyone = old + new
    pairs = [(i, j) for i, j in sorted(dedup.candidate_pairs([dedup.band_hashes(c.sig) for c in everyone]))
             if (i >= len(old) or j >= len(old)) and dedup.estimated_jaccard(everyone[i].sig, everyone[j].sig) >= dedup.DUPLICATE_JACCARD]
    duplicate_of = dedup.cluster(everyone, pairs, first=len(old))
    keep: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        target = duplicate_of.get(len(old) + i)
        if target is None:
            keep.append(row)
            result.keep.add(row["raw_ref"])
            result.signatures[row["raw_ref"]] = new[i].sig
            continue
        canonical = everyone[target]
        score = dedup.estimated_jaccard(new[i].sig, canonical.sig)
        exact = score == 1.0
        report.exact += exact
        report.near += not exact
        report.rejects.append(_reject(row, canonical.doc_id, "same text as another document" if exact
                                      else f"near-duplicate (estimated Jaccard {score:.2f})"))
    # 2. site boilerplate: counts from earlier runs plus this run's documents, one vote per document
    for site in sorted({r["site"] for r in keep}):
        counts = _read_counts(out, site)
        for row in keep:
            if row["site"] == site:
                counts.update(set(row["paragraph_hashes"]))
        result.boiler[site] = dedup.boilerplate(counts)
        result.counts[site] = counts
    return result


def apply(row: dict[str, Any], decided: Plan, min_words: int) -> dict[str, Any] | None:
    """A kept row with its site's boilerplate removed, or None when too little is left (then rejected)."""
    decided.report.boilerplate_paragraphs += _drop_paragraphs(row, decided.boiler.get(row["site"], set()))
    if row["n_words"] >= min_words:
        return row
    decided.report.emptied += 1
    decided.keep.discard(row["raw_ref"])
    decided.report.rejects.append({**_reject(row, "", ""), "reason": "not_article", "duplicate_of": None,
                                   "message": f"{row['n_words']} words left after removing site boilerplate"})
    return None


def index(out: Path, run_id: str, decided: Plan, doc_ids: dict[str, str]) -> None:
    """Record a committed run in the state: its paragraph votes, its kept documents' LSH bands (doc_ids:
    raw_ref -> doc_id), and last a marker that the run's state is complete."""
    for site, counts in sorted(decided.counts.items()):
        _write_counts(out, site, counts)
    _write_bands(out, run_id, [(b, h, doc_ids[ref]) for ref, sig in decided.signatures.items() if ref in decided.keep
                               for b, h in enumerate(dedup.band_hashes(sig))])
    _mark_indexed(out, [run_id])


# A run is in the state when `_state/runs/<run_id>` exists; it is written after its counts and bands.
# A run killed between writing its rows and that marker leaves rows the state does not know: the next
# commit sees a clean file without a marker and rebuilds the state from the clean rows.
_RUN_FILE = re.compile(r"^part-(?P<run>.+)\.parquet$")


def _run_ids(out: Path) -> set[str]:
    return {m.group("run") for p in out.glob("site=*/part-*.parquet") if (m := _RUN_FILE.match(p.name))}


def _mark_indexed(out: Path, run_ids: Iterable[str]) -> None:
    folder = out / STATE / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    for run_id in run_ids:
        (folder / run_id).touch()


def state_is_complete(out: Path) -> bool:
    """True when every run with clean rows in `out` is recorded in the dedup state."""
    folder = out / STATE / "runs"
    indexed = {p.name for p in folder.iterdir()} if folder.exists() else set()
    return _run_ids(out) <= indexed
