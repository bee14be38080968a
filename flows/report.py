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
        _table("Corpus dedup", summary.get("dedup", {})),
        _table("Blocks removed from pages, by rule (top removed patterns)", summary["removed"]),
        _table("Blocks moved to metadata", summary["moved"]),
        _table("Most frequent removed lines (rule: text)", {k.replace("|", "\\|"): v for k, v in summary.get("top_removed", {}).items()}),
        f"Timings: cleaning {summary['clean_seconds']} s of task time, whole run {summary.get('seconds', '?')} s.",
    ])


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
