"""The Prefect flow: discover inputs, clean them in batches, commit the batches to the dataset.

Orchestration only: every decision about a page is made in `cleaners`. Tasks pass paths and reference
strings, never page bodies.
"""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from cleaners import runner, sources, store

# About 100 pages a task: large enough that orchestration costs little per page, small enough that a
# failed or slow batch loses little and progress stays visible (DEVELOPERS.md, STYLE.md rule 12).
DEFAULT_BATCH_SIZE = 100
DEFAULT_RAW = Path(__file__).resolve().parent.parent / "raw"


@task(name="discover-inputs")
def discover_inputs(source_list: list[str]) -> list[str]:
    """Expand files, folders and WARCs into raw references."""
    return sources.discover(source_list)


@task(name="clean-batch", retries=1, retry_delay_seconds=2)
def clean_batch(refs: list[str], staging_dir: str, batch_no: int) -> dict[str, Any]:
    """Clean one batch of pages into staged Parquet files."""
    return runner.process_batch(refs, staging_dir, batch_no).to_dict()


@task(name="commit")
def commit_run(results: list[dict[str, Any]], out: str, run_id: str) -> dict[str, Any]:
    """Write the run's rows into the dataset, atomically and without duplicates."""
    clean = [Path(r["clean_path"]) for r in results if r["clean_path"]]
    rejects = [Path(r["rejects_path"]) for r in results if r["rejects_path"]]
    return store.commit(clean, rejects, Path(out), run_id)


def summarize(results: list[dict[str, Any]], committed: dict[str, Any], run_id: str, out: str) -> dict[str, Any]:
    """Counts for the run report: inputs, kept, rejected by reason, paragraphs removed by reason."""
    rejected: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    moved: Counter[str] = Counter()
    for result in results:
        rejected.update(result["rejected"])
        removed.update(result["removed"])
        moved.update(result["moved"])
    at_commit = committed.get("rejected", {})
    rejected.update(at_commit)
    return {
        "run_id": run_id, "out": out,
        "inputs": sum(r["inputs"] for r in results),
        "kept": sum(r["kept"] for r in results) - sum(at_commit.values()),
        "dedup": committed.get("dedup", {}),
        "written": committed.get("written", 0), "unchanged": committed.get("unchanged", 0),
        "rejected": dict(rejected.most_common()), "removed": dict(removed.most_common()),
        "moved": dict(moved.most_common()),
        "clean_seconds": round(sum(r["seconds"] for r in results), 3),
    }


@flow(name="tinsach-clean", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def clean_pipeline(
    source_list: list[str] | None = None,
    out: str = "clean",
    batch_size: int = DEFAULT_BATCH_SIZE,
    show_progress: bool = False,
) -> dict[str, Any]:
    """Clean local pages (HTML, text dumps, WARC) into the Parquet dataset at `out`."""
    logger = get_run_logger()
    source_list = source_list or [str(DEFAULT_RAW)]
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    refs = discover_inputs(source_list)
    batches = [refs[i : i + batch_size] for i in range(0, len(refs), max(1, batch_size))]
    logger.info("%d inputs in %d batches from %s", len(refs), len(batches), source_list)
    staging = Path(out) / "_staging" / run_id
    futures = [clean_batch.submit(batch, str(staging), n) for n, batch in enumerate(batches)]
    results = []
    progress = _progress(len(refs)) if show_progress and sys.stderr.isatty() else None
    with progress or _Null():
        task_id = progress.add_task("cleaning", total=len(refs)) if progress else None
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if progress is not None and task_id is not None:
                progress.advance(task_id, result["inputs"])
    results.sort(key=lambda r: r["clean_path"] or r["rejects_path"] or "")
    committed = commit_run(results, out, run_id)
    summary = summarize(results, committed, run_id, out)
    logger.info("run %s: %d inputs, %d written, %d unchanged, rejected %s",
                run_id, summary["inputs"], summary["written"], summary["unchanged"], summary["rejected"])
    return summary


@task(name="crawl", retries=0)
def crawl_task(config: Any, run_id: str) -> dict[str, Any]:
    """Fetch new pages into one WARC file of the raw store."""
    from scraper import crawl

    return crawl(config, run_id=run_id).to_dict()


@flow(name="tinsach-crawl-and-clean", log_prints=True)
def crawl_and_clean(
    sources_file: str | None = None,
    urls: list[str] | None = None,
    raw_dir: str = "raw",
    out: str = "clean",
    respect_robots: bool = True,
    delay_seconds: float = 1.0,
    refetch: bool = False,
    allow_private_hosts: bool = False,
) -> dict[str, Any]:
    """Crawl configured sites and URL lists into raw/, then clean what was fetched into the dataset."""
    from scraper import CrawlConfig, load_sources

    logger = get_run_logger()
    config = CrawlConfig(
        raw_dir=Path(raw_dir), sites=load_sources(sources_file) if sources_file else (), urls=tuple(urls or ()),
        respect_robots=respect_robots, delay_seconds=delay_seconds, refetch=refetch,
        allow_private_hosts=allow_private_hosts,
    )
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    crawled = crawl_task(config, run_id)
    logger.info("crawl %s: %d discovered, %d fetched, %d already seen, refused %s, errors %s", run_id,
                crawled["discovered"], crawled["fetched"], crawled["skipped_seen"], crawled["refused"], crawled["errors"])
    cleaned = clean_pipeline(source_list=[crawled["warc"]], out=out) if crawled["warc"] else None
    return {"crawl": crawled, "clean": cleaned}


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _progress(total: int) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    transient=True)
