"""The `tinsach` command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, help="tinsach: clean news text from raw pages.")
console = Console()


@app.command()
def run(
    sources: Annotated[list[Path] | None, typer.Argument(help="Files or folders (.html/.htm/.txt/.warc, optionally .gz). Default: the samples in raw/.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output dataset folder.")] = Path("clean"),
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Pages per task.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    runner: Annotated[str, typer.Option(help="threads (one core), processes (a process per worker: all cores), dask (a local cluster), or prefect-processes.")] = "threads",
    workers: Annotated[int, typer.Option(min=1, max=256, help="Parallel tasks (threads, processes or Dask workers).")] = 2,
    dask_address: Annotated[str | None, typer.Option(help="Address of an existing Dask scheduler (tcp://host:8786).")] = None,
) -> None:
    """Run the cleaning flow once over SOURCES and write the Parquet dataset."""
    _log_in()
    from flows.pipeline import clean_pipeline, task_runner

    flow = clean_pipeline.with_options(task_runner=task_runner(runner, workers, dask_address))
    summary = flow(
        source_list=[str(s) for s in sources] if sources else None, out=str(out), batch_size=batch_size,
        show_progress=not as_json, processes=workers if runner == "processes" else 0,
    )
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_summary(summary)


def print_summary(summary: dict[str, object]) -> None:
    """One screen: inputs, kept, rejected by reason, paragraphs removed by reason, dataset upkeep."""
    from rich.markup import escape

    table = Table(title=f"run {summary['run_id']}", caption=f"dataset: {summary['out']}", show_header=False)
    table.add_row("inputs", str(summary["inputs"]))
    table.add_row("kept (clean rows)", str(summary["kept"]))
    table.add_row("  new rows written", str(summary["written"]))
    table.add_row("  already in dataset", str(summary["unchanged"]))
    rejected = summary["rejected"]
    assert isinstance(rejected, dict)
    table.add_row("rejected", str(sum(rejected.values())))
    for reason, count in rejected.items():
        table.add_row(f"  {reason}", str(count))
    removed = summary["removed"]
    assert isinstance(removed, dict)
    table.add_row("blocks removed", str(sum(removed.values())))
    for reason, count in list(removed.items())[:12]:
        table.add_row(f"  {reason}", str(count))
    dedup = summary.get("dedup") or {}
    assert isinstance(dedup, dict)
    table.add_row("corpus dedup", ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in dedup.items()))
    moved = summary["moved"]
    assert isinstance(moved, dict)
    table.add_row("blocks moved to metadata", ", ".join(f"{k} {v}" for k, v in moved.items()))
    quarantined = summary.get("quarantined") or []
    assert isinstance(quarantined, list)
    for entry in quarantined:
        table.add_row("[red]quarantined[/]", escape(f"{entry['path']}: {entry['reason']} (moved to {entry['moved_to']})"))
    swept = summary.get("swept") or {}
    assert isinstance(swept, dict)
    if swept:
        table.add_row("swept (left by dead runs)", f"{swept.get('files', 0)} files, {swept.get('bytes', 0) / 1e6:.1f} MB")
    if summary.get("waited_seconds"):
        table.add_row("waited for another run's commit", f"{summary['waited_seconds']} s")
    console.print(table)


@app.command()
def crawl(
    urls: Annotated[list[str] | None, typer.Argument(help="Article URLs to fetch (besides the sites in --sources).")] = None,
    sources_file: Annotated[Path | None, typer.Option("--sources", "-s", exists=True, dir_okay=False, help="sources.toml with [[site]] feeds/sitemaps/start_urls.")] = None,
    raw: Annotated[Path, typer.Option(help="Raw store: WARC files go to RAW/warc/, the seen-URL state to RAW/_state/.")] = Path("raw"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Clean dataset folder.")] = Path("clean"),
    no_clean: Annotated[bool, typer.Option("--no-clean", help="Only fetch; do not clean.")] = False,
    delay: Annotated[float, typer.Option(min=0.0, help="Seconds between requests to one host (robots Crawl-delay wins if longer).")] = 1.0,
    ignore_robots: Annotated[bool, typer.Option("--ignore-robots", help="Do not read robots.txt (only for sites you own).")] = False,
    refetch: Annotated[bool, typer.Option(help="Fetch seen URLs again (conditional GET).")] = False,
    allow_loopback: Annotated[bool, typer.Option("--allow-loopback", help="Allow loopback addresses (local fixtures, tests).")] = False,
    allow_private: Annotated[bool, typer.Option("--allow-private", help="Allow loopback and private networks (never link-local/metadata).")] = False,
    allow_address: Annotated[list[str] | None, typer.Option("--allow-address", help="Allow this address or CIDR (repeatable); the only way to reach link-local/metadata addresses.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Fetch new pages from feeds, sitemaps and URLs into the WARC store, then clean them."""
    if not urls and sources_file is None:
        raise typer.BadParameter("give URLs or --sources")
    _log_in()
    from flows.params import DATA_ROOTS_ENV, CrawlParams
    from flows.pipeline import ALLOW_PRIVATE_ENV, crawl_and_clean, crawl_config
    from scraper.urls import address_policy

    allow = ",".join([*(["loopback"] if allow_loopback else []), *(["private"] if allow_private else []),
                      *(allow_address or [])])
    try:
        address_policy(allow)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--allow-address") from exc
    params = CrawlParams(sources_file=str(sources_file) if sources_file else None, urls=list(urls or []),
                         raw_dir=str(raw), out=str(out), respect_robots=not ignore_robots, delay_seconds=delay,
                         refetch=refetch)
    if no_clean:
        from scraper import crawl as run_crawl

        report: dict[str, object] = {"crawl": run_crawl(crawl_config(params, allow or None)).to_dict(), "clean": None}
    else:
        if allow:
            os.environ[ALLOW_PRIVATE_ENV] = allow  # this process only: the CLI user is the operator
        os.environ[DATA_ROOTS_ENV] = os.path.abspath(os.sep)  # and is not confined to the data roots either
        report = crawl_and_clean(params)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    console.print_json(json.dumps(report["crawl"], ensure_ascii=False, default=str))
    if isinstance(report.get("clean"), dict):
        print_summary(report["clean"])  # type: ignore[arg-type]


@app.command()
def server(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Loopback port of the API and UI.")] = 4200,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="No login: any local user and any web page your browser opens can start runs.")] = False,
) -> None:
    """Start a local Prefect server and UI on 127.0.0.1 (SQLite, old runs and events vacuumed), behind a login."""
    import sys

    from prefect.settings import get_current_settings

    from flows.server import CredentialError, server_credential, server_env

    if no_auth:
        auth = None
        console.print("[bold red]The API has no login[/] (--no-auth): every local user can start runs.", highlight=False)
    else:
        try:
            auth, origin = server_credential(get_current_settings().home)
        except CredentialError as error:
            raise typer.BadParameter(str(error)) from error
        user = auth.partition(":")[0]
        console.print(
            f"API and UI login: basic auth, user [bold]{user}[/], credential (user:password) from {origin}.\n"
            "In the UI, enter the whole credential, user:password, as the password. `make serve` and\n"
            "`tinsach serve/run/crawl` with the same PREFECT_HOME (or TINSACH_AUTH) log in by themselves;\n"
            "other Prefect clients need PREFECT_API_AUTH_STRING set to it.", highlight=False)
    sys.stdout.flush()  # execve drops Python's buffers
    os.execve(sys.executable, [sys.executable, "-m", "prefect", "server", "start"], server_env(port, auth))


@app.command()
def serve(
    cron: Annotated[str, typer.Option(help="Schedule of the crawl (cron).")] = "7 */4 * * *",
    timezone: Annotated[str, typer.Option(help="Time zone of the schedule.")] = "Asia/Ho_Chi_Minh",
    sources_file: Annotated[str, typer.Option("--sources", help="sources.toml for the scheduled crawl.")] = "sources.toml",
    paused: Annotated[bool, typer.Option(help="Register the schedule paused.")] = False,
) -> None:
    """Register tinsach's deployments with the Prefect server and run them (scheduled and from the UI)."""
    _log_in()
    from flows import serve as serving
    from flows.params import ServeConfig

    serving.run(ServeConfig(cron=cron, timezone=timezone, sources_file=sources_file, paused=paused))


def _log_in() -> None:
    """Give this process's Prefect client the local server's credential (flows/server.py), or stop with why not."""
    from flows.server import CredentialError, use_local_credential

    try:
        use_local_credential()
    except CredentialError as error:
        console.print(f"[red]{error}[/]", highlight=False)
        raise typer.Exit(2) from error


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An .html/.txt page (optionally .gz).")],
    url: Annotated[str | None, typer.Option(help="The page's URL, if known.")] = None,
) -> None:
    """Show each block of a page with KEEP or the rule that removed it."""
    from cleaners import explain as explain_doc
    from cleaners.api import clean_page
    from dataset.inputs import read

    raw = read(str(file.resolve()))
    doc = clean_page(raw.data, raw.is_html, url or raw.url, raw.charset)
    console.print(f"[bold]title[/]: {doc.title}  [bold]published[/]: {doc.published}  [bold]author[/]: {doc.author}  "
                  f"[bold]category[/]: {doc.category}  [bold]source[/]: {doc.source_attribution}  [bold]lang[/]: {doc.lang}")
    for verdict, text in explain_doc(doc):
        style = "green" if verdict == "KEEP" else ("cyan" if "->" in verdict else "red")
        console.print(f"[{style}]{verdict:<28}[/] {_shorten(text)}", highlight=False, soft_wrap=True, markup=True)


def _shorten(text: str, head: int = 120, tail: int = 50) -> str:
    """Long paragraphs as start … end, so that trailing credits ("Ảnh: VOV") stay visible."""
    from rich.markup import escape

    return escape(text if len(text) <= head + tail + 3 else f"{text[:head]} … {text[-tail:]}")


def main() -> None:
    """Entry point of the `tinsach` script."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The ephemeral API server migrates its SQLite database on start; on a busy 2-core machine that
    # takes longer than Prefect's 20 s default.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # logs of the library reach the Prefect UI with the flow's own
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "cleaners,dataset,scraper")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    app()


if __name__ == "__main__":
    main()
