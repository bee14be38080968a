"""The commit: a run's staged batches become rows of the dataset, deduplicated, written atomically.

Skips rows already there (re-runs add nothing), rejects duplicates and site boilerplate
(`dataset.corpus`), writes per-site files, then records the run in the dedup state.
"""

from __future__ import annotations

import contextlib
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from cleaners.document import ARTICLE_MIN_WORDS
from dataset import corpus
from dataset.store import (
    CLEAN_SCHEMA,
    COMPRESSION,
    PIPELINE_VERSION,
    REJECT_SCHEMA,
    STAGING_SCHEMA,
    publish,
    temp_path,
    write_atomic,
)


def _read(paths: Iterable[Path], schema: pa.Schema) -> pa.Table:
    tables = [pq.read_table(p, schema=schema) for p in paths if p.exists()]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _existing(out: Path, columns: list[str], rejects: bool = False) -> pa.Table:
    """Columns of what the dataset already holds (clean rows, or rejects)."""
    folder = out / "_rejects" if rejects else out
    if not folder.exists():
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    if rejects:
        dataset = ds.dataset(folder, format="parquet", schema=REJECT_SCHEMA)
    else:
        dataset = ds.dataset(folder, format="parquet", partitioning="hive", schema=CLEAN_SCHEMA)
    return dataset.to_table(columns=columns)


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
_DATASET_SCHEMA = CLEAN_SCHEMA.remove(CLEAN_SCHEMA.get_field_index("site"))  # site is the partition


class _SiteFiles:
    """One Parquet file per site for a run, appended batch by batch, renamed into place when all is written."""

    def __init__(self, out: Path, run_id: str) -> None:
        self.out, self.run_id = out, run_id
        self.writers: dict[str, tuple[pq.ParquetWriter, Path, Path]] = {}
        self.rows = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        by_site: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_site.setdefault(row["site"], []).append({k: v for k, v in row.items() if k not in ("site", "signature")})
        for site, site_rows in sorted(by_site.items()):
            if site not in self.writers:
                target = self.out / f"site={site}" / f"part-{self.run_id}.parquet"
                tmp = temp_path(target)
                self.writers[site] = (pq.ParquetWriter(tmp, _DATASET_SCHEMA, compression=COMPRESSION), tmp, target)
            self.writers[site][0].write_table(pa.Table.from_pylist(site_rows, schema=_DATASET_SCHEMA))
            self.rows += len(site_rows)

    def close(self) -> None:
        for writer, tmp, target in self.writers.values():
            writer.close()
            publish(tmp, target)

    def abort(self) -> None:
        for writer, tmp, _ in self.writers.values():
            with contextlib.suppress(Exception):
                writer.close()
            tmp.unlink(missing_ok=True)


def commit(staged_clean: list[Path], staged_rejects: list[Path], out: Path, run_id: str) -> dict[str, Any]:
    """Merge a run's staged batches into the dataset: skip rows already there, reject duplicates and
    site boilerplate (dataset.corpus), write atomically, update the dedup state.

    Memory stays bounded by one staged batch plus the small columns of the run: decisions are taken
    on doc ids, hashes and signatures first, then the batches are streamed into per-site files.
    """
    meta = _canonical_order(pa.concat_tables(
        [pq.read_table(p, schema=STAGING_SCHEMA, columns=_PLAN_COLUMNS) for p in staged_clean if p.exists()]
    ) if staged_clean else STAGING_SCHEMA.empty_table().select(_PLAN_COLUMNS))
    rejects = _read(staged_rejects, REJECT_SCHEMA)
    existing = _existing(out, ["doc_id", "content_hash"])
    known_ids = set(existing.column("doc_id").to_pylist())
    known_hashes: dict[str, str] = dict(
        zip(existing.column("content_hash").to_pylist(), existing.column("doc_id").to_pylist(), strict=True)
    )
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
    decided = corpus.plan(candidates, out, CLEAN_SCHEMA)
    files = _SiteFiles(out, run_id)
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
    corpus.index(out, run_id, decided)
    duplicates += decided.report.rejects
    if duplicates:
        rejects = pa.concat_tables([rejects, pa.Table.from_pylist(duplicates, schema=REJECT_SCHEMA)])
    known_rejects = {(r["raw_ref"], r["reason"]) for r in _existing(out, ["raw_ref", "reason"], rejects=True).to_pylist()}
    fresh = [i for i, r in enumerate(rejects.select(["raw_ref", "reason"]).to_pylist())
             if (r["raw_ref"], r["reason"]) not in known_rejects]
    rejects = rejects.take(pa.array(fresh, pa.int64()))
    if rejects.num_rows:
        write_atomic(rejects, out / "_rejects" / f"part-{run_id}.parquet")
    shutil.rmtree(out / "_staging" / run_id, ignore_errors=True)
    with contextlib.suppress(OSError):
        (out / "_staging").rmdir()  # only when no other run is staging
    return {"written": files.rows, "unchanged": unchanged,
            "rejected": dict(Counter(d["reason"] for d in duplicates)), "rejects_written": rejects.num_rows,
            "dedup": {"same_url": same_url, "same_text": same_text, **decided.report.counts()}}
