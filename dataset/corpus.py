"""Corpus-level dedup at commit time: duplicate and near-duplicate documents, then site boilerplate.

State lives beside the data, as Parquet, queryable with DuckDB (docs/dedup.md):
    _state/paragraph_counts/site=<site>/counts.parquet   para_hash, n_docs
    _state/lsh_bands/part-<run_id>.parquet               band, band_hash, doc_id
Both are derived: deleting `_state/` rebuilds it from the clean rows on the next commit.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from cleaners.document import count_words, join_text, text_hash
from dataset import dedup
from dataset.store import COMPRESSION, atomic_path, write_atomic

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
    was killed between writing its rows and recording them, or the state's format changed)."""
    state = out / STATE
    shutil.rmtree(state, ignore_errors=True)
    files = _clean_files(out)
    if not files:
        return
    dataset = ds.dataset(out, format="parquet", partitioning="hive", schema=schema)
    votes: dict[str, list[np.ndarray]] = {}
    bands: list[np.ndarray] = []
    ids: list[pa.Array] = []
    for batch in dataset.to_batches(columns=["doc_id", "site", "text", "paragraph_hashes"]):  # text streamed
        table = pa.Table.from_batches([batch])
        for site in set(table.column("site").to_pylist()):
            rows = table.filter(pc.equal(table.column("site"), site))
            votes.setdefault(site, []).append(pc.list_flatten(rows.column("paragraph_hashes")).to_numpy())
        if table.num_rows:
            sigs = np.stack([dedup.signature(dedup.shingles(t)) for t in table.column("text").to_pylist()])
            bands.append(dedup.band_matrix(sigs))
            ids.append(table.column("doc_id").combine_chunks())
    for site, arrays in votes.items():
        _write_counts(out, site, *_merge_votes(_read_counts(out, site), np.concatenate(arrays)))
    if bands:
        _write_bands(out, "rebuild", np.concatenate(bands), pa.concat_arrays(ids))
    _mark_indexed(out, _run_ids(out))


Votes = tuple[np.ndarray, np.ndarray]  # paragraph hashes (int64, sorted, distinct) and their document counts


def _merge_votes(counts: Votes, new: np.ndarray) -> Votes:
    """Counts plus one vote per occurrence in `new` (each document's hashes are distinct: one vote each)."""
    hashes = np.concatenate([counts[0], new.astype(np.int64)])
    weights = np.concatenate([counts[1], np.ones(len(new), np.int64)])
    merged, where = np.unique(hashes, return_inverse=True)
    totals = np.zeros(len(merged), np.int64)
    np.add.at(totals, where, weights)
    return merged, totals


def _write_counts(out: Path, site: str, hashes: np.ndarray, n_docs: np.ndarray) -> None:
    table = pa.table({"para_hash": hashes, "n_docs": n_docs.astype(np.int32)}, schema=COUNTS_SCHEMA)
    write_atomic(table, out / STATE / "paragraph_counts" / f"site={site}" / "counts.parquet")


def _write_bands(out: Path, run_id: str, bands: np.ndarray, doc_ids: pa.Array) -> None:
    """One row per (document, band), sorted by band and hash (the order DuckDB joins best on), written
    one band at a time as its own row group: memory stays at one band's column, not the run's 42."""
    if not len(bands):
        return
    with atomic_path(out / STATE / "lsh_bands" / f"part-{run_id}.parquet") as tmp, \
            pq.ParquetWriter(tmp, BANDS_SCHEMA, compression=COMPRESSION) as writer:
        for band in range(dedup.BANDS):
            order = np.argsort(bands[:, band], kind="stable")
            writer.write_table(pa.table({
                "band": np.full(len(order), band, dtype=np.int16), "band_hash": bands[order, band],
                "doc_id": doc_ids.take(pa.array(order)),
            }, schema=BANDS_SCHEMA))


def _read_counts(out: Path, site: str) -> Votes:
    path = out / STATE / "paragraph_counts" / f"site={site}" / "counts.parquet"
    if not path.exists():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    table = pq.read_table(path, schema=COUNTS_SCHEMA)
    return table.column("para_hash").to_numpy(), table.column("n_docs").to_numpy().astype(np.int64)


def _existing_candidates(out: Path, run_bands: np.ndarray, schema: pa.Schema) -> list[dict[str, Any]]:
    """Dataset documents that share a band hash with a run document (a band-hash join in DuckDB)."""
    files = sorted(str(p) for p in (out / STATE / "lsh_bands").glob("*.parquet"))
    if not files or not len(run_bands):
        return []
    probe = pa.table({"band": np.tile(np.arange(dedup.BANDS, dtype=np.int16), len(run_bands)),
                      "band_hash": run_bands.reshape(-1)})
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
    """What a commit keeps: documents (by raw_ref), each site's boilerplate, and what `index` records."""

    keep: set[str] = field(default_factory=set)
    boiler: dict[str, set[int]] = field(default_factory=dict)
    counts: dict[str, Votes] = field(default_factory=dict)  # written by `index`, after the rows
    bands: np.ndarray = field(default_factory=lambda: np.empty((0, dedup.BANDS), np.int64))  # of kept rows
    band_refs: list[str] = field(default_factory=list)  # raw_ref of each row of `bands`
    band_ids: list[str] = field(default_factory=list)  # doc_id of each row of `bands`
    report: DedupReport = field(default_factory=DedupReport)


def _signatures(meta: pa.Table) -> np.ndarray:
    """The staged MinHash signatures as an n x NUM_PERM uint32 matrix, read from Arrow's buffers."""
    width = dedup.NUM_PERM * 4
    sigs = np.empty((meta.num_rows, dedup.NUM_PERM), dtype=np.uint32)
    start = 0
    for chunk in meta.column("signature").chunks:
        _, offsets_buffer, data_buffer = chunk.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
        if chunk.null_count or not (np.diff(offsets) == width).all():
            raise ValueError("staged rows without a full MinHash signature")
        data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
        sigs[start : start + len(chunk)] = data.view(np.uint32).reshape(-1, dedup.NUM_PERM)
        start += len(chunk)
    return sigs


def plan(meta: pa.Table, out: Path, schema: pa.Schema) -> Plan:
    """Decide which new rows are duplicates of each other or of the dataset, and each site's boilerplate.

    `meta` holds the small columns of the run's rows (no text): doc_id, raw_ref, site, published,
    n_words, paragraph_hashes, signature, url, ingested_at, pipeline_version. Signatures and votes are
    handled as arrays: 100,000 rows plan in well under 1 GiB. Writes nothing: `index` records the run
    in the state once its rows are in place.
    """
    result = Plan()
    report = result.report
    if _clean_files(out) and not state_is_complete(out):
        rebuild_state(out, schema)
    # 1. duplicate documents: LSH candidates within the run and against the dataset, confirmed on Jaccard
    sigs = _signatures(meta)
    new_bands = dedup.band_matrix(sigs)
    existing = _existing_candidates(out, new_bands, schema)
    old_sigs = [dedup.signature(dedup.shingles(r["text"])) for r in existing]
    # Documents already in the dataset stay canonical: their rows are published and never rewritten.
    first = len(existing)
    all_sigs = np.concatenate([np.array(old_sigs, dtype=np.uint32).reshape(-1, dedup.NUM_PERM), sigs])
    all_bands = np.concatenate([dedup.band_matrix(all_sigs[:first]), new_bands])
    doc_ids = [r["doc_id"] for r in existing] + meta.column("doc_id").to_pylist()
    published = [_posix(r["published"]) for r in existing] + [_posix(v) for v in meta.column("published").to_pylist()]
    n_words = [r["n_words"] for r in existing] + meta.column("n_words").to_pylist()
    def candidate(k: int) -> dedup.Candidate:
        return dedup.Candidate(doc_ids[k], published[k], n_words[k], all_sigs[k])

    pairs = [(i, j) for i, j in sorted(dedup.candidate_pairs(all_bands))
             if (i >= first or j >= first) and dedup.estimated_jaccard(all_sigs[i], all_sigs[j]) >= dedup.DUPLICATE_JACCARD]
    duplicate_of = dedup.cluster(len(doc_ids), pairs, lambda k: (k >= first, *dedup.canonical_key(candidate(k))))
    raw_refs = meta.column("raw_ref").to_pylist()
    kept: list[int] = []
    for i in range(meta.num_rows):
        target = duplicate_of.get(first + i)
        if target is None:
            kept.append(i)
            continue
        canonical = candidate(target)
        score = dedup.estimated_jaccard(sigs[i], canonical.sig)
        exact = score == 1.0
        report.exact += exact
        report.near += not exact
        row = meta.slice(i, 1).to_pylist()[0]
        report.rejects.append(_reject(row, canonical.doc_id, "same text as another document" if exact
                                      else f"near-duplicate (estimated Jaccard {score:.2f})"))
    result.keep = {raw_refs[i] for i in kept}
    result.bands = new_bands[kept]
    result.band_refs = [raw_refs[i] for i in kept]
    result.band_ids = [doc_ids[first + i] for i in kept]
    # 2. site boilerplate: counts from earlier runs plus this run's documents, one vote per document
    kept_rows = meta.select(["site", "paragraph_hashes"]).take(pa.array(kept, pa.int64()))
    for site in sorted(set(kept_rows.column("site").to_pylist())):
        rows = kept_rows.filter(pc.equal(kept_rows.column("site"), site))
        counts = _merge_votes(_read_counts(out, site), pc.list_flatten(rows.column("paragraph_hashes")).to_numpy())
        result.boiler[site] = dedup.boilerplate(*counts)
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


def index(out: Path, run_id: str, decided: Plan) -> None:
    """Record a committed run in the state: its paragraph votes, the LSH bands of the documents it kept,
    and last a marker that the run's state is complete."""
    for site, (hashes, n_docs) in sorted(decided.counts.items()):
        _write_counts(out, site, hashes, n_docs)
    still = [k for k, ref in enumerate(decided.band_refs) if ref in decided.keep]  # not emptied by boilerplate
    _write_bands(out, run_id, decided.bands[still], pa.array([decided.band_ids[k] for k in still], pa.string()))
    _mark_indexed(out, [run_id])


# A run is in the state when `_state/runs/<run_id>` exists; it is written after its counts and bands.
# A run killed between writing its rows and that marker leaves rows the state does not know: the next
# commit sees a clean file without a marker and rebuilds the state from the clean rows.
_RUN_FILE = re.compile(r"^part-(?P<run>.+)\.parquet$")


def _run_ids(out: Path) -> set[str]:
    return {m.group("run") for p in out.glob("site=*/part-*.parquet") if (m := _RUN_FILE.match(p.name))}


# The state's format: a state written in another one (other band hashes) is rebuilt, not misread.
STATE_FORMAT = "2"


def _mark_indexed(out: Path, run_ids: Iterable[str]) -> None:
    folder = out / STATE / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    for run_id in run_ids:
        (folder / run_id).touch()
    version = out / STATE / "FORMAT"
    if not version.exists():
        version.write_text(STATE_FORMAT + "\n", encoding="utf-8")


def state_is_complete(out: Path) -> bool:
    """True when every run with clean rows in `out` is recorded in the dedup state, in this format."""
    version = out / STATE / "FORMAT"
    if not version.exists() or version.read_text(encoding="utf-8").strip() != STATE_FORMAT:
        return False
    folder = out / STATE / "runs"
    indexed = {p.name for p in folder.iterdir()} if folder.exists() else set()
    return _run_ids(out) <= indexed
