"""One pipeline run in this (child) process, the flows' own sequence without Prefect: discover the inputs,
clean them in batches into the run's staging folder, commit.

    python -m tests.dataset.child SOURCE OUT RUN_ID [--batch N] [--barrier DIR] [--kill POINT:NTH]

--barrier DIR: after cleaning, write DIR/ready-RUN_ID and wait for DIR/go before committing (two
children then commit at the same moment). --kill POINT:NTH: SIGKILL this process (no cleanup runs) the
NTH time it reaches POINT of the write path. Prints the commit's result as JSON, with the wall-clock
times the commit started and ended.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path


def kill_at(point: str, nth: int) -> None:
    """Instrument the write path: SIGKILL at the NTH passage through POINT (the real code runs unchanged).
    Points other than `batch_staged` count only inside the commit (staging writes files the same way)."""
    from dataset import commit, corpus, runner, store

    seen = {"n": 0, "committing": False}

    def at(name: str) -> None:
        if name == "commit":
            seen["committing"] = True
        if name == point and (seen["committing"] or name == "batch_staged"):
            seen["n"] += 1
            if seen["n"] == nth:
                os.kill(os.getpid(), signal.SIGKILL)

    def wrap(owner: object, attr: str, before: str | None = None, after: str | None = None) -> None:
        original = getattr(owner, attr)

        def wrapped(*args: object, **kwargs: object) -> object:
            if before:
                at(before)
            result = original(*args, **kwargs)
            if after:
                at(after)
            return result

        setattr(owner, attr, wrapped)

    wrap(commit, "dataset_lock", before="commit")
    wrap(runner, "process_batch", after="batch_staged")
    wrap(corpus, "index", before="state_update")
    wrap(store.pq.ParquetWriter, "write_table", after="rows_written")
    wrap(store.os, "replace", after="file_renamed")
    for module in (commit, corpus):
        if hasattr(module, "write_atomic"):
            wrap(module, "write_atomic", before="atomic_write")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("out", type=Path)
    parser.add_argument("run_id")
    parser.add_argument("--batch", type=int, default=5)
    parser.add_argument("--barrier", type=Path)
    parser.add_argument("--kill")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
    if args.kill:
        point, nth = args.kill.split(":")
        kill_at(point, int(nth))
    from dataset import commit as commits
    from dataset import inputs, runner

    refs = inputs.discover([args.source])
    batches = [refs[i : i + args.batch] for i in range(0, len(refs), args.batch)]
    staging = getattr(commits, "staging", None)
    held = staging(args.out, args.run_id) if staging else contextlib.nullcontext(args.out / "_staging" / args.run_id)
    with held as folder:
        results = [runner.process_batch(batch, folder, n) for n, batch in enumerate(batches)]
        if args.barrier:
            (args.barrier / f"ready-{args.run_id}").touch()
            while not (args.barrier / "go").exists():
                time.sleep(0.01)
        started = time.time()
        result = commits.commit([Path(r.clean_path) for r in results if r.clean_path],
                                [Path(r.rejects_path) for r in results if r.rejects_path], args.out, args.run_id)
    print(json.dumps({**result, "started": started, "ended": time.time()}, default=str))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
