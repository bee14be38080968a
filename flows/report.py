"""Markdown run reports, published as Prefect artifacts (the UI's Artifacts tab)."""

from __future__ import annotations

from typing import Any


def _table(title: str, counts: dict[str, Any], limit: int = 20) -> str:
    if not counts:
        return f"**{title}**: none\n"
    rows = "\n".join(f"| {k} | {v} |" for k, v in list(counts.items())[:limit])
    return f"**{title}**\n\n| | count |\n|---|---|\n{rows}\n"


def run_markdown(summary: dict[str, Any]) -> str:
    """The clean run's counts per stage and reason, duplicates, rejects and timings."""
    return "\n".join([
        f"# tinsach clean run `{summary['run_id']}`",
        "",
        f"Dataset `{summary['out']}`: **{summary['inputs']}** inputs, **{summary['kept']}** clean rows "
        f"(**{summary['written']}** new, {summary['unchanged']} already in the dataset), "
        f"**{sum(summary['rejected'].values())}** rejected.",
        "",
        _table("Rejected inputs by reason (rows in _rejects/)", summary["rejected"]),
        _quarantined(summary.get("quarantined", [])),
        _table("Dataset upkeep", _upkeep(summary)),
        _table("Corpus dedup", summary.get("dedup", {})),
        _table("Blocks removed from pages, by rule (top removed patterns)", summary["removed"]),
        _table("Blocks moved to metadata", summary["moved"]),
        _table("Most frequent removed lines (rule: text)", {k.replace("|", "\\|"): v for k, v in summary.get("top_removed", {}).items()}),
        f"Timings: cleaning {summary['clean_seconds']} s of task time, whole run {summary.get('seconds', '?')} s.",
    ])


def _quarantined(entries: list[dict[str, str]]) -> str:
    if not entries:
        return "**Damaged files quarantined**: none\n"
    rows = "\n".join(f"| `{e['path']}` | `{e['moved_to']}` | {e['reason'].replace('|', '/')} |" for e in entries)
    return f"**Damaged files quarantined** (their rows left the dataset)\n\n| file | moved to | why |\n|---|---|---|\n{rows}\n"


def _upkeep(summary: dict[str, Any]) -> dict[str, Any]:
    """What the commits did besides writing rows: waiting for another run, sweeping, healing the state."""
    swept = summary.get("swept", {})
    upkeep: dict[str, Any] = {}
    if summary.get("waited_seconds"):
        upkeep["seconds waited for another run's commit"] = summary["waited_seconds"]
    if swept:
        upkeep["files left by dead runs, swept"] = f"{swept.get('files', 0)} ({swept.get('bytes', 0) / 1e6:.1f} MB)"
    for k, what in enumerate(summary.get("healed", [])):
        upkeep[f"state healed ({k + 1})"] = what
    return upkeep


def crawl_markdown(report: dict[str, Any]) -> str:
    """The crawl's discovered/fetched/skipped counts, refusals, errors and statuses."""
    return "\n".join([
        f"# tinsach crawl `{report['run_id']}`",
        "",
        f"**{report['discovered']}** article URLs discovered, **{report['fetched']}** fetched, "
        f"{report['skipped_seen']} skipped as already fetched, {report['not_modified']} not modified; "
        f"failed pages of earlier runs: {report.get('retried', 0)} retried, {report.get('backing_off', 0)} "
        f"waiting for their next try, {report.get('gave_up', 0)} given up; {report.get('swept', 0)} leftovers "
        f"of dead crawls removed; WARC `{report['warc']}`; {report['seconds']} s.",
        "",
        _table("Refused", report["refused"]),
        _table("Errors", report["errors"]),
        _table("HTTP statuses", report["statuses"]),
    ])
