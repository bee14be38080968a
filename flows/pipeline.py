"""The Prefect flows: discover inputs, clean them in batches, commit the batches to the dataset.

Orchestration only: every decision about a page is made in `cleaners` (and fetching in `scraper`).
Tasks pass paths and reference strings, never page bodies.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from dataset import inputs, runner, store
from dataset.commit import commit, staging
from flows.params import BackfillParams, CleanParams, CrawlParams, check_paths
from flows.report import crawl_markdown, run_markdown

# The library logs batch summaries at INFO; Prefect forwards its loggers to the API (and the UI) when
# they are named in PREFECT_LOGGING_EXTRA_LOGGERS, which `tinsach` and the Makefile set.
for _name in ("cleaners", "dataset", "scraper"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.INFO)

# The flow process commits: it reads a run's staged batches and streams them into the dataset, many
# short-lived Arrow buffers. Arrow's default allocator (mimalloc) keeps freed pages, so the process's
# memory grew with the run; the system allocator returns them (10k-page commit: peak 330 -> 245 MiB,
# and faster). Set here, for the process running flows; the library leaves the choice to its caller.
pa.set_memory_pool(pa.system_memory_pool())

# A run commits every this many inputs (200 batches of 100): the commit's memory is bounded by the
# group, not the run (100k pages in one commit peaked over 1 GiB), and its files stay large (one per
# site per group). Across groups, duplicates are found as across runs (the first group's copy stays).
COMMIT_EVERY_INPUTS = 20_000

# About 100 pages a task: large enough that orchestration costs little per page, small enough that a
# failed or slow batch loses little and progress stays visible (DEVELOPERS.md, STYLE.md rule 12).
DEFAULT_BATCH_SIZE = 100
DEFAULT_RAW = Path(__file__).resolve().parent.parent / "raw"


@task(name="discover-inputs")
def discover_inputs(source_list: list[str]) -> list[str]:
    """Expand files, folders and WARCs into raw references."""
    return inputs.discover(source_list)


@task(name="select-site-records")
def select_site_records(raw_dir: str, site: str, since: date | None, until: date | None) -> list[str]:
    """Page records of one site (and date range) in the WARC store."""
    return inputs.select_warc_records([raw_dir], site, since, until)


@task(name="clean-batch", retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE)
def clean_batch(refs: list[str], staging_dir: str, batch_no: int, pool: Executor | None = None) -> dict[str, Any]:
    """Clean one batch of pages into staged Parquet files (in `pool`'s worker processes when given)."""
    if pool is None:
        return runner.process_batch(refs, staging_dir, batch_no).to_dict()
    return pool.submit(runner.process_batch, refs, staging_dir, batch_no).result().to_dict()


@task(name="commit")
def commit_run(results: list[dict[str, Any]], out: str, run_id: str, limit: str | None = None) -> dict[str, Any]:
    """Write the run's rows into the dataset, atomically and without duplicates (one commit at a time per
    dataset: its file lock, and the Prefect concurrency limit `limit` when the flow runs against a server)."""
    clean = [Path(r["clean_path"]) for r in results if r["clean_path"]]
    rejects = [Path(r["rejects_path"]) for r in results if r["rejects_path"]]
    with commit_slot(limit):
        return commit(clean, rejects, Path(out), run_id)


def commit_limit_name(out: str | Path) -> str:
    """The name of a dataset's global concurrency limit: its folder's name and a hash of its full path
    (the same on every machine that mounts the dataset at the same path, or for the same s3:// URL)."""
    resolved = str(Path(out).expanduser().resolve())
    slug = re.sub(r"[^a-z0-9._-]+", "-", Path(resolved).name.lower()).strip("-") or "dataset"
    return f"tinsach-commit-{slug[:40]}-{hashlib.sha256(resolved.encode()).hexdigest()[:10]}"


def api_server_in_use() -> bool:
    """True when flows report to a Prefect server (PREFECT_API_URL), False in ephemeral mode."""
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def ensure_commit_limit(name: str) -> None:
    """Create the dataset's global concurrency limit (1 slot) on the server when it does not exist yet
    (an operator's later change to it, such as pausing it, is left alone)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):  # another run created it between our read and our create
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))


# The commit's slot lease: renewed while the commit runs; a run killed outright frees the slot after this.
COMMIT_LEASE_SECONDS = 60.0


@contextmanager
def commit_slot(limit: str | None) -> Iterator[None]:
    """Hold the dataset's global concurrency limit while committing (runs on other machines sharing the
    dataset queue here too); a run that has to wait says so. No limit: nothing to hold."""
    if limit is None:
        yield
        return
    from prefect.concurrency.sync import concurrency

    try:
        with concurrency(limit, occupy=1, timeout_seconds=1, strict=True, lease_duration=COMMIT_LEASE_SECONDS):
            yield
            return
    except TimeoutError:
        get_run_logger().info("waiting for the commit slot %s: another run is committing to this dataset", limit)
    with concurrency(limit, occupy=1, strict=True, lease_duration=COMMIT_LEASE_SECONDS):
        yield


def _merge_commits(commits: list[dict[str, Any]]) -> dict[str, Any]:
    """One run's totals from its group commits."""
    rejected: Counter[str] = Counter()
    dedup: Counter[str] = Counter()
    swept: Counter[str] = Counter()
    for part in commits:
        rejected.update(part.get("rejected", {}))
        dedup.update(part.get("dedup", {}))
        swept.update(part.get("swept", {}))
    return {"written": sum(p.get("written", 0) for p in commits), "unchanged": sum(p.get("unchanged", 0) for p in commits),
            "rejected": dict(rejected), "rejects_written": sum(p.get("rejects_written", 0) for p in commits),
            "dedup": dict(dedup), "swept": dict(swept),
            "quarantined": [q for p in commits for q in p.get("quarantined", [])],
            "healed": [h for p in commits for h in p.get("healed", [])],
            "waited_seconds": round(sum(p.get("waited_seconds", 0.0) for p in commits), 3)}


def summarize(results: list[dict[str, Any]], committed: dict[str, Any], run_id: str, out: str) -> dict[str, Any]:
    """Counts for the run report: inputs, kept, rejected by reason, blocks removed and moved by reason."""
    rejected: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    moved: Counter[str] = Counter()
    patterns: Counter[str] = Counter()
    for result in results:
        rejected.update(result["rejected"])
        removed.update(result["removed"])
        moved.update(result["moved"])
        patterns.update(result["patterns"])
    at_commit = committed.get("rejected", {})
    rejected.update(at_commit)
    return {
        "run_id": run_id, "out": out,
        "inputs": sum(r["inputs"] for r in results),
        "kept": sum(r["kept"] for r in results) - sum(at_commit.values()),
        "dedup": committed.get("dedup", {}),
        "written": committed.get("written", 0), "unchanged": committed.get("unchanged", 0),
        "quarantined": committed.get("quarantined", []), "healed": committed.get("healed", []),
        "swept": committed.get("swept", {}), "waited_seconds": committed.get("waited_seconds", 0.0),
        "rejected": dict(rejected.most_common()), "removed": dict(removed.most_common()),
        "moved": dict(moved.most_common()),
        "top_removed": dict(patterns.most_common(15)),
        "clean_seconds": round(sum(r["seconds"] for r in results), 3),
    }


def run_batches(refs: list[str], out: str, batch_size: int, show_progress: bool = False,
                processes: int = 0) -> dict[str, Any]:
    """Clean `refs` in batches and commit them (called inside a flow); publishes the run report artifact.

    With `processes` > 0 the CPU work of each batch runs in that many long-lived worker processes
    (started once per run), while the tasks stay in the flow's threads: Prefect keeps one task per
    batch to show and retry, and cleaning uses every core instead of sharing one GIL.
    """
    logger = get_run_logger()
    started = datetime.now(UTC)
    run_id = store.new_run_id()
    batches = [refs[i : i + batch_size] for i in range(0, len(refs), max(1, batch_size))]
    logger.info("%d inputs in %d batches", len(refs), len(batches))
    # Batches are committed in groups, in batch order, as soon as a group is cleaned: a commit holds its
    # group's small columns (hashes, signatures), so memory does not grow with the run.
    per_group = max(1, COMMIT_EVERY_INPUTS // max(1, batch_size))
    groups = [range(g, min(g + per_group, len(batches))) for g in range(0, len(batches), per_group)]

    def group_id(k: int) -> str:
        return run_id if len(groups) <= 1 else f"{run_id}-{k:04d}"

    limit = commit_limit_name(out) if api_server_in_use() else None
    if limit is not None:
        ensure_commit_limit(limit)
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) if processes > 0 else None
    results: list[dict[str, Any]] = []
    commits: list[dict[str, Any]] = []
    done: dict[int, dict[str, Any]] = {}
    progress = _progress() if show_progress and sys.stderr.isatty() else None
    # The run's staging folder is held while it lives and removed when it ends, even when it fails.
    with staging(Path(out), run_id) as staged, pool or nullcontext(), progress or nullcontext():
        futures = [clean_batch.submit(batch, str(staged / f"group-{n // per_group:04d}"), n, pool)
                   for n, batch in enumerate(batches)]
        number = {future.task_run_id: n for n, future in enumerate(futures)}
        task_id = progress.add_task("cleaning", total=len(refs)) if progress else None
        for future in as_completed(futures):
            result = future.result()
            done[number[future.task_run_id]] = result
            if progress is not None and task_id is not None:
                progress.advance(task_id, result["inputs"])
            while len(commits) < len(groups) and all(n in done for n in groups[len(commits)]):
                group = [done.pop(n) for n in groups[len(commits)]]
                group.sort(key=lambda r: r["clean_path"] or r["rejects_path"] or "")
                results.extend(group)
                commits.append(commit_run(group, out, group_id(len(commits)), limit))
    committed = _merge_commits(commits)
    summary = summarize(results, committed, run_id, out)
    summary["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 3)
    logger.info("run %s: %d inputs, %d written, %d unchanged, rejected %s",
                run_id, summary["inputs"], summary["written"], summary["unchanged"], summary["rejected"])
    create_markdown_artifact(markdown=run_markdown(summary), key="tinsach-clean-report",
                             description=f"tinsach clean run {run_id}")
    return summary


@flow(name="tinsach-clean", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def clean_pipeline(
    source_list: list[str] | None = None,
    out: str = "clean",
    batch_size: int = DEFAULT_BATCH_SIZE,
    show_progress: bool = False,
    processes: int = 0,
) -> dict[str, Any]:
    """Clean local pages (HTML, text dumps, WARC) into the Parquet dataset at `out`."""
    source_list = source_list or [str(DEFAULT_RAW)]
    refs = discover_inputs(source_list)
    get_run_logger().info("sources %s", source_list)
    return run_batches(refs, out, batch_size, show_progress, processes)


@flow(name="tinsach-clean-sources", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def clean_sources(params: CleanParams = CleanParams()) -> dict[str, Any]:  # noqa: B008 (a frozen model)
    """Clean local pages (HTML, text dumps, WARC files) into the Parquet dataset (the UI's manual run)."""
    check_paths(params)  # the form's pattern is advisory (any API client can skip it); this decides
    refs = discover_inputs(list(params.sources))
    return run_batches(refs, params.out, params.batch_size)


@flow(name="tinsach-backfill", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def backfill(params: BackfillParams) -> dict[str, Any]:
    """Clean the raw pages of one site (and date range) from the WARC store into a dataset."""
    check_paths(params)
    refs = select_site_records(params.raw_dir, params.site, params.since, params.until)
    get_run_logger().info("%d raw pages of %s between %s and %s", len(refs), params.site, params.since, params.until)
    return run_batches(refs, params.out, params.batch_size)


@task(name="crawl", retries=0)
def crawl_task(config: Any, run_id: str) -> dict[str, Any]:
    """Fetch new pages into one WARC file of the raw store."""
    from scraper import crawl

    return crawl(config, run_id=run_id).to_dict()


# Reaching non-public addresses weakens the SSRF guard: an operator's decision, set in the environment
# of the process that runs flows, never a run parameter anyone with the UI could tick. The value is the
# scraper's address setting: `loopback` (fixtures, tests), `private` (also intranets; `1`/`true` mean
# the same, as before), addresses or CIDRs named explicitly (the only way to reach link-local/metadata
# addresses such as 169.254.169.254), comma-separated.
ALLOW_PRIVATE_ENV = "TINSACH_ALLOW_PRIVATE_HOSTS"


def allowed_addresses() -> str:
    """The non-public addresses this process may crawl, from TINSACH_ALLOW_PRIVATE_HOSTS ("" = none)."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip()


def crawl_config(params: CrawlParams, allow_addresses: str | None = None) -> Any:
    """The scraper's CrawlConfig for run parameters (sources.toml read here)."""
    from scraper import CrawlConfig, load_sources

    return CrawlConfig(
        raw_dir=Path(params.raw_dir), sites=load_sources(params.sources_file) if params.sources_file else (),
        urls=tuple(params.urls), respect_robots=params.respect_robots, delay_seconds=params.delay_seconds,
        refetch=params.refetch,
        allow_addresses=allowed_addresses() if allow_addresses is None else allow_addresses,
    )


@flow(name="tinsach-crawl-and-clean", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def crawl_and_clean(params: CrawlParams = CrawlParams()) -> dict[str, Any]:  # noqa: B008 (a frozen model)
    """Crawl the configured sites and URL lists into the raw store, then clean what was fetched.

    Non-public addresses are refused (SSRF) unless the process running the flow has them in
    TINSACH_ALLOW_PRIVATE_HOSTS (`loopback` for tests and local fixtures; see allowed_addresses). Paths
    must be inside the data roots (TINSACH_DATA_ROOTS), as for every flow a deployment runs.
    """
    check_paths(params)
    logger = get_run_logger()
    config = crawl_config(params)
    run_id = store.new_run_id()
    crawled = crawl_task(config, run_id)
    logger.info("crawl %s: %d discovered, %d fetched, %d already seen, refused %s, errors %s", run_id,
                crawled["discovered"], crawled["fetched"], crawled["skipped_seen"], crawled["refused"], crawled["errors"])
    create_markdown_artifact(markdown=crawl_markdown(crawled), key="tinsach-crawl-report",
                             description=f"tinsach crawl {run_id}")
    refs = discover_inputs([crawled["warc"]]) if crawled["warc"] else []
    cleaned = run_batches(refs, params.out, DEFAULT_BATCH_SIZE) if refs else None
    return {"crawl": crawled, "clean": cleaned}


def task_runner(kind: str = "threads", workers: int = 2, dask_address: str | None = None) -> Any:
    """The task runner for a run: threads (default), processes, a local Dask cluster, or an existing one.

    Cleaning is CPU-bound Python: threads share one core (the GIL), processes and Dask workers use all.
    Processes pay a few seconds of start-up each, so threads stay the default for small runs. Each page
    is held to its time limit in all of them (dataset/timelimit.py).
    """
    if dask_address or kind == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    if kind == "prefect-processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers)
    if kind == "processes":
        # threads here, plus run_batches' process pool: two task threads per process keep a batch queued
        # for each process while the other thread reports its finished batch, so no process waits on Prefect
        return ThreadPoolTaskRunner(max_workers=2 * workers)
    if kind != "threads":
        raise ValueError(f"unknown task runner {kind!r}: threads, processes, prefect-processes or dask")
    return ThreadPoolTaskRunner(max_workers=workers)


def _progress() -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    transient=True)
