"""Clean a folder's references as one batch, the way a cleaning worker does, measuring every page.

    uv run python -m tests.hostile.measure RESULT.json PROGRESS.log OUT_DIR REF...

`dataset.runner.process_batch` runs the references in this process's main thread (as `--runner
processes` workers do; the 30 s page limit applies in any thread), then `dataset.commit.commit` writes the dataset
into OUT_DIR. `process_one`, which the batch calls once per page, is wrapped to record each page's
outcome, wall time and peak resident memory: VmHWM, reset before the page through
/proc/self/clear_refs, so it is this process's footprint while it cleaned that page (the interpreter,
and whatever earlier pages left behind, included). Each reference is appended to PROGRESS.log before
its page starts: when the process crashes, or hangs in C code the time limit cannot interrupt, the
caller can tell on which page.
"""

from __future__ import annotations

import json
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

from cleaners.document import Document, Reject
from cleaners.lang import detect_lang
from dataset import runner
from dataset.commit import commit


def proc_status(field: str) -> int:
    """A memory field of /proc/self/status (VmRSS, VmHWM), in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # resets VmHWM to the current resident set (Linux 4.0+)
    except OSError:
        pass  # then each page's peak is the process's peak so far: still an upper bound


def summary(outcome: Document | Reject) -> dict[str, Any]:
    """What the test checks of an outcome, as plain data."""
    if isinstance(outcome, Reject):
        return {"kind": "reject", "reason": outcome.reason, "message": outcome.message, "step": outcome.step}
    text = outcome.text
    return {
        "kind": "row", "lang": outcome.lang, "title": outcome.title, "text": text[:2_000_000],
        "n_words": outcome.n_words, "paragraphs": len(outcome.paragraphs),
        "nfc": all(unicodedata.is_normalized("NFC", s) for s in (text, outcome.title or "", outcome.lead or "")),
    }


def run(refs: list[str], out: Path, progress: Path) -> dict[str, Any]:
    """Clean `refs` as batch 0 of a run and commit it into `out`; per-page measurements and counters."""
    detect_lang("The language model loads on its first use; a worker has done that before its pages.")
    pages: list[dict[str, Any]] = []
    process_one = runner.process_one

    def measured(ref: str, timeout: float = runner.PAGE_TIMEOUT_SECONDS) -> Document | Reject:
        with progress.open("a", encoding="utf-8") as log:
            log.write(ref + "\n")
        reset_peak()
        started = time.perf_counter()
        outcome = process_one(ref, timeout)
        seconds = time.perf_counter() - started
        pages.append({"ref": ref, "seconds": seconds, "peak_rss": proc_status("VmHWM"), **summary(outcome)})
        return outcome

    runner.process_one = measured  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        batch = runner.process_batch(refs, out / "_staging" / "hostile", 0)
        committed = commit([Path(batch.clean_path)] if batch.clean_path else [],
                                 [Path(batch.rejects_path)] if batch.rejects_path else [], out, "hostile")
        seconds = time.perf_counter() - started
    finally:
        runner.process_one = process_one
    return {"pages": pages, "batch": batch.to_dict(), "committed": committed, "seconds": seconds}


if __name__ == "__main__":
    result_path, progress_path, out_dir, *references = sys.argv[1:]
    result = run(references, Path(out_dir), Path(progress_path))
    Path(result_path).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
