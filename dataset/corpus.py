"""Corpus-level dedup at commit time: duplicate and near-duplicate documents, then site boilerplate.

State lives beside the data, as Parquet, queryable with DuckDB (docs/dedup.md):
    _state/paragraph_counts/site=<site>/counts.parquet    para_hash, n_docs
    _state/lsh_bands/site=<site>/<data file name>         band, band_hash, doc_id (one per data file)
    _state/manifest.parquet                               path, bytes, rows of every file the state
                                                          was built from, and of the state's own files
It is derived, and checked against the data files on every commit (`reconcile`): what disagrees with
the manifest is rebuilt from the data, and damaged data files are moved to `_quarantine/`.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.document import count_words, join_text, text_hash
from dataset import dedup
from dataset.store import (
    COMPRESSION,
    FILE_SCHEMA,
    SITE_FOLDER,
    atomic_path,
    data_files,
    file_damage,
    quarantine,
    site_of_file,
    write_atomic,
)

STATE = "_state"
# The state's format: a state written in another one (other band hashes, one bands file per run) is
# rebuilt from the data, not misread.
STATE_FORMAT = "3"
COUNTS_SCHEMA = pa.schema([pa.field("para_hash", pa.int64(), nullable=False),
                           pa.field("n_docs", pa.int32(), nullable=False)])
BANDS_SCHEMA = pa.schema([pa.field("band", pa.int16(), nullable=False),
                          pa.field("band_hash", pa.int64(), nullable=False),
                          pa.field("doc_id", pa.string(), nullable=False)])
MANIFEST_SCHEMA = pa.schema([pa.field("path", pa.string(), nullable=False),
                             pa.field("bytes", pa.int64(), nullable=False),
                             pa.field("rows", pa.int64(), nullable=False)])

log = logging.getLogger(__name__)


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


def _query(sql: str, **tables: pa.Table) -> pa.Table:
    con = duckdb.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def counts_path(out: Path, site: str) -> Path:
    """Where a site's paragraph votes are kept."""
    return out / STATE / "paragraph_counts" / f"{SITE_FOLDER}{site}" / "counts.parquet"


def bands_path(out: Path, data_file: Path) -> Path:
    """Where the LSH bands of one data file's rows are kept (same site folder and file name)."""
    return out / STATE / "lsh_bands" / data_file.parent.name / data_file.name


Votes = tuple[np.ndarray, np.ndarray]  # paragraph hashes (int64, sorted, distinct) and their document counts
NO_VOTES: Votes = (np.empty(0, np.int64), np.empty(0, np.int64))


def _merge_votes(counts: Votes, new: np.ndarray) -> Votes:
    """Counts plus one vote per occurrence in `new` (each document's hashes are distinct: one vote each)."""
    hashes = np.concatenate([counts[0], new.astype(np.int64)])
    weights = np.concatenate([counts[1], np.ones(len(new), np.int64)])
    merged, where = np.unique(hashes, return_inverse=True)
    totals = np.zeros(len(merged), np.int64)
    np.add.at(totals, where, weights)
    return merged, totals


def _read_counts(out: Path, site: str) -> Votes:
    path = counts_path(out, site)
    if not path.exists():
        return NO_VOTES
    table = pq.read_table(path, schema=COUNTS_SCHEMA)
    return table.column("para_hash").to_numpy(), table.column("n_docs").to_numpy().astype(np.int64)


@dataclass(slots=True)
class State:
    """The dataset as the dedup state knows it: its valid data files and the manifest of every file the
    state was built from (relative path -> bytes, rows), plus what the last check found and did."""

    out: Path
    run_id: str
    files: list[Path] = field(default_factory=list)
    entries: dict[str, tuple[int, int]] = field(default_factory=dict)
    quarantined: list[dict[str, str]] = field(default_factory=list)
    healed: list[str] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        """A file's manifest key: its path under the dataset folder."""
        return path.relative_to(self.out).as_posix()

    def record(self, path: Path, rows: int) -> None:
        """Add a file just written (data or state) to the manifest."""
        self.entries[self.rel(path)] = (path.stat().st_size, rows)

    def forget(self, path: Path) -> None:
        """Drop a file from the state: from the manifest and the valid data files."""
        self.entries.pop(self.rel(path), None)
        self.files = [f for f in self.files if f != path]

    def write_manifest(self) -> None:
        """Record the manifest (last: a commit killed before this is recognized and healed next time)."""
        keys = sorted(self.entries)
        table = pa.table({"path": keys, "bytes": [self.entries[k][0] for k in keys],
                          "rows": [self.entries[k][1] for k in keys]}, schema=MANIFEST_SCHEMA)
        write_atomic(table, self.out / STATE / "manifest.parquet")
        version = self.out / STATE / "FORMAT"
        if not version.exists():
            with atomic_path(version) as tmp:
                tmp.write_text(STATE_FORMAT + "\n", encoding="utf-8")

    def quarantine(self, path: Path, reason: str) -> None:
        """Move a damaged data file out of the dataset (to `_quarantine/<run_id>/`), and say so."""
        self.forget(path)
        self.quarantined.append(quarantine(self.out, path, reason, self.run_id))

    def read(self, path: Path, columns: list[str], filters: Any = None) -> pa.Table | None:
        """Columns of one data file, or None when it cannot be read (then it is quarantined)."""
        try:
            return pq.read_table(path, columns=columns, filters=filters, schema=FILE_SCHEMA)
        except Exception as exc:  # a damaged file must not stop every later commit
            self.quarantine(path, f"unreadable Parquet data ({type(exc).__name__}: {exc})")
            return None


def _read_manifest(out: Path) -> dict[str, tuple[int, int]]:
    path = out / STATE / "manifest.parquet"
    if not path.exists():
        return {}
    try:
        table = pq.read_table(path, schema=MANIFEST_SCHEMA)
    except Exception as exc:  # damaged: the state is checked file by file against the data instead
        log.warning("%s: unreadable state manifest (%s): checking every file", path, exc)
        return {}
    return {p: (b, r) for p, b, r in zip(table.column("path").to_pylist(), table.column("bytes").to_pylist(),
                                         table.column("rows").to_pylist(), strict=True)}


def _footer_rows(path: Path) -> int | None:
    """Rows of a readable Parquet file, from its footer; None when it is not one."""
    try:
        return int(pq.read_metadata(path).num_rows)
    except Exception:
        return None


def reconcile(out: Path, run_id: str) -> State:
    """Check the dedup state against the data files and heal what disagrees (under the dataset lock).

    Cheap when nothing changed: a listing, a stat per file and one manifest read. A data file the manifest
    does not know (or knows with another size) is checked, and quarantined when damaged; a site whose
    files or counts file changed has its votes recounted from its rows' `paragraph_hashes`; a data file
    whose bands file is missing or damaged gets its bands recomputed from its rows' text; bands files
    without a data file are removed. Files other than Parquet data are not looked at.
    """
    state_dir = out / STATE
    state = State(out=out, run_id=run_id)
    version = state_dir / "FORMAT"
    if state_dir.exists() and (not version.exists() or version.read_text(encoding="utf-8").strip() != STATE_FORMAT):
        shutil.rmtree(state_dir)
        state.healed.append(f"state of another format: rebuilt in format {STATE_FORMAT}")
    manifest = _read_manifest(out)
    dirty: set[str] = set()  # sites whose votes are recounted from their files
    for path in data_files(out):
        rel, size = state.rel(path), path.stat().st_size
        known = manifest.get(rel)
        if known is not None and known[0] == size:
            state.entries[rel] = known
            state.files.append(path)
            continue
        dirty.add(site_of_file(path))
        rows = _footer_rows(path)
        damage = file_damage(path) if rows is not None else "not a readable Parquet file (no valid footer)"
        if damage is not None:
            state.quarantine(path, damage)
            continue
        state.entries[rel] = (size, rows or 0)
        state.files.append(path)
    present = set(state.entries)
    dirty |= {rel.split("/", 1)[0].removeprefix(SITE_FOLDER) for rel in manifest
              if rel.startswith(SITE_FOLDER) and rel not in present}
    sites = {site_of_file(p) for p in state.files}
    for site in sites - dirty:
        path = counts_path(out, site)
        known = manifest.get(state.rel(path))
        if known is None or not path.exists() or path.stat().st_size != known[0]:
            dirty.add(site)
        else:
            state.entries[state.rel(path)] = known
    for site in sorted(dirty):
        _recount(state, site)
    _check_bands(state, manifest)
    if state.entries != manifest or not version.exists():
        if manifest or state.healed:
            state.healed.append(f"manifest updated ({len(state.files)} data files)")
        state.write_manifest()
    for what in state.healed:
        log.info("%s: dedup state: %s", out, what)
    return state


def _recount(state: State, site: str) -> None:
    """A site's paragraph votes recounted from its data files (one vote per document per paragraph)."""
    votes: list[np.ndarray] = []
    for path in [p for p in state.files if site_of_file(p) == site]:
        table = state.read(path, ["paragraph_hashes"])
        if table is not None:
            votes.append(pc.list_flatten(table.column("paragraph_hashes")).to_numpy())
    target = counts_path(state.out, site)
    state.entries.pop(state.rel(target), None)
    if not any(site_of_file(p) == site for p in state.files):
        shutil.rmtree(target.parent, ignore_errors=True)
        return
    hashes, n_docs = _merge_votes(NO_VOTES, np.concatenate(votes) if votes else np.empty(0, np.int64))
    _write_counts(state, site, hashes, n_docs)
    state.healed.append(f"votes of {site} recounted from its {len(votes)} data files")


def _check_bands(state: State, manifest: dict[str, tuple[int, int]]) -> None:
    """Every data file has its bands file (checked by size against the manifest, or by row count);
    a missing or damaged one is recomputed from the rows' text; bands files of no data file go."""
    wanted = {bands_path(state.out, p): p for p in state.files}
    folder = state.out / STATE / "lsh_bands"
    for path in folder.rglob("*") if folder.exists() else ():
        if path.is_file() and path not in wanted and not path.name.startswith("."):
            path.unlink()
    for bands, data in wanted.items():
        rel, data_rows = state.rel(bands), state.entries[state.rel(data)][1]
        known = manifest.get(rel)
        trusted = manifest.get(state.rel(data)) == state.entries[state.rel(data)]
        if bands.exists() and ((trusted and known is not None and known[0] == bands.stat().st_size)
                               or _footer_rows(bands) == data_rows * dedup.BANDS):
            state.entries[rel] = (bands.stat().st_size, data_rows * dedup.BANDS)
            continue
        table = state.read(data, ["doc_id", "text"])
        if table is None:
            continue  # quarantined: its votes were counted; the next commit recounts its site
        sigs = np.stack([dedup.signature(dedup.shingles(t)) for t in table.column("text").to_pylist()]) \
            if table.num_rows else np.empty((0, dedup.NUM_PERM), np.uint32)
        _write_bands(state, bands, dedup.band_matrix(sigs), table.column("doc_id").combine_chunks())
        state.healed.append(f"LSH bands of {state.rel(data)} recomputed from its text")


def _write_counts(state: State, site: str, hashes: np.ndarray, n_docs: np.ndarray) -> None:
    path = counts_path(state.out, site)
    write_atomic(pa.table({"para_hash": hashes, "n_docs": n_docs.astype(np.int32)}, schema=COUNTS_SCHEMA), path)
    state.record(path, len(hashes))


def _write_bands(state: State, path: Path, bands: np.ndarray, doc_ids: pa.Array) -> None:
    """One row per (document, band), sorted by band and hash (the order DuckDB joins best on), written
    one band at a time as its own row group: memory stays at one band's column, not all 42."""
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, BANDS_SCHEMA, compression=COMPRESSION) as writer:
        for band in range(dedup.BANDS):
            order = np.argsort(bands[:, band], kind="stable")
            writer.write_table(pa.table({
                "band": np.full(len(order), band, dtype=np.int16), "band_hash": bands[order, band],
                "doc_id": doc_ids.take(pa.array(order, pa.int64())),
            }, schema=BANDS_SCHEMA))
    state.record(path, len(bands) * dedup.BANDS)


def read_existing(state: State, columns: list[str]) -> pa.Table:
    """Columns of every row in the dataset, file by file (a file that cannot be read is quarantined and its
    site recounted, so one damaged file never stops the commit)."""
    tables = []
    damaged = len(state.quarantined)
    for path in list(state.files):
        table = state.read(path, columns)
        if table is not None:
            tables.append(table)
    if len(state.quarantined) > damaged:
        for site in {site_of_file(Path(q["path"])) for q in state.quarantined[damaged:]}:
            _recount(state, site)
    if not tables:
        return FILE_SCHEMA.empty_table().select(columns)
    return pa.concat_tables(tables)


def _existing_candidates(state: State, run_bands: np.ndarray) -> list[dict[str, Any]]:
    """Dataset documents that share a band hash with a run document (a band-hash join in DuckDB over the
    bands files, then only the data files that hold a candidate are read)."""
    band_files = {str(bands_path(state.out, p)): p for p in state.files}
    if not band_files or not len(run_bands):
        return []
    probe = pa.table({"band": np.tile(np.arange(dedup.BANDS, dtype=np.int16), len(run_bands)),
                      "band_hash": run_bands.reshape(-1)})
    found = _query(
        f"SELECT DISTINCT s.doc_id, s.filename FROM read_parquet({sorted(band_files)!r}, filename = true) s "
        "JOIN probe p ON s.band = p.band AND s.band_hash = p.band_hash", probe=probe,
    ).to_pylist()
    by_file: dict[Path, list[str]] = {}
    for row in found:
        by_file.setdefault(band_files[row["filename"]], []).append(row["doc_id"])
    rows: list[dict[str, Any]] = []
    for data, ids in sorted(by_file.items()):
        table = state.read(data, ["doc_id", "text", "published", "n_words"], filters=pc.field("doc_id").isin(ids))
        rows += table.to_pylist() if table is not None else []
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
    band_row: dict[str, int] = field(default_factory=dict)  # raw_ref -> its row of `bands`
    report: DedupReport = field(default_factory=DedupReport)

    def write_bands(self, state: State, data_file: Path, rows: list[dict[str, Any]]) -> None:
        """The bands file of a data file about to be published, for the rows written to it (before the
        data file itself: a data file never exists without its bands)."""
        where = [self.band_row[r["raw_ref"]] for r in rows]
        _write_bands(state, bands_path(state.out, data_file), self.bands[where],
                     pa.array([r["doc_id"] for r in rows], pa.string()))


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


def plan(meta: pa.Table, state: State) -> Plan:
    """Decide which new rows are duplicates of each other or of the dataset, and each site's boilerplate.

    `meta` holds the small columns of the run's rows (no text): doc_id, raw_ref, site, published,
    n_words, paragraph_hashes, signature, url, ingested_at, pipeline_version. Signatures and votes are
    handled as arrays: 100,000 rows plan in well under 1 GiB. Writes nothing: the commit writes each data
    file's bands (`Plan.write_bands`) before the file, and `index` records the votes once rows are in place.
    """
    result = Plan()
    report = result.report
    # 1. duplicate documents: LSH candidates within the run and against the dataset, confirmed on Jaccard
    sigs = _signatures(meta)
    new_bands = dedup.band_matrix(sigs)
    existing = _existing_candidates(state, new_bands)
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
    result.band_row = {raw_refs[i]: k for k, i in enumerate(kept)}
    # 2. site boilerplate: counts from earlier runs plus this run's documents, one vote per document
    kept_rows = meta.select(["site", "paragraph_hashes"]).take(pa.array(kept, pa.int64()))
    for site in sorted(set(kept_rows.column("site").to_pylist())):
        rows = kept_rows.filter(pc.equal(kept_rows.column("site"), site))
        counts = _merge_votes(_read_counts(state.out, site), pc.list_flatten(rows.column("paragraph_hashes")).to_numpy())
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


def index(state: State, decided: Plan) -> None:
    """Record a commit in the state once its rows are in place: the sites' paragraph votes, then the
    manifest (the data files and their bands files were recorded as they were written)."""
    for site, (hashes, n_docs) in sorted(decided.counts.items()):
        _write_counts(state, site, hashes, n_docs)
    state.write_manifest()
