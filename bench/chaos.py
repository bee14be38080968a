"""Kill-anywhere and concurrent runs on one dataset, checked against the same runs done one at a time.

    uv run python bench/chaos.py [--kills 20] [--pairs 5] [--seed 1]

Each run is a real process (tests/dataset/child.py: discover, clean into the run's staging folder,
commit — the flows' sequence without Prefect) on its own generated input folder: articles on three
sites sharing per-site footers (boilerplate votes across runs), near-duplicate copies of another
folder's articles (dedup against the dataset), an empty and a binary input (rejects).

- A kill: a run is started and SIGKILLed at a random moment — a quarter of them while it cleans
  (0-0.5 s after its first batch is staged), the rest at a random instant of its commit (it waits at
  a barrier after cleaning; the kill comes 0..1.5x the last commit's duration after it is released)
  — then run again to completion.
- A pair: two runs started together, both committing at the same moment (barrier).

The same completed runs are then done one at a time, in the order their commits ended, into a fresh
dataset; the two must hold the same rows, rejects, paragraph votes and LSH bands, and the chaotic one
no staging folder and no temporary file. Exit status 1 if not.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.dataset.corpus import make_corpus
from tests.dataset.snapshot import finish, run_child, run_once, snapshot, wait_for


def _leftovers(out: Path) -> list[str]:
    staging = out / "_staging"
    return sorted(str(p) for p in [*out.rglob("*.tmp"), *(staging.iterdir() if staging.exists() else [])])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--articles", type=int, default=15, help="articles per input folder")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="tinsach-chaos-"))
    out, started = work / "chaos", time.monotonic()
    folders: list[Path] = []

    def folder() -> Path:
        k = len(folders)
        path = work / f"in{k:03d}"
        make_corpus(path, articles=args.articles, seed=1000 + k, copies=3, copies_of=1000 + k - 1 if k else None)
        folders.append(path)
        return path

    def run_id(tag: str) -> str:
        return f"{time.strftime('%Y%m%dT%H%M%S')}-{tag}-{rng.getrandbits(32):08x}"

    # the first run, uninterrupted, also measures how long a commit takes
    first = folder()
    done = [(json.loads(run_once(first, out, run_id("first")))["ended"], first)]
    probe = json.loads(run_once(first, work / "probe", run_id("probe")))
    commit_seconds = probe["ended"] - probe["started"]
    shutil.rmtree(work / "probe")
    phases = ["kill"] * args.kills + ["pair"] * args.pairs
    rng.shuffle(phases)
    killed_in = {"cleaning": 0, "commit": 0}
    for n, phase in enumerate(phases):
        if phase == "kill":
            source, barrier = folder(), work / f"barrier{n}"
            barrier.mkdir()
            victim_id = run_id("killed")
            victim = run_child(source, out, victim_id, "--barrier", str(barrier))
            if rng.random() < 0.25:
                # while it cleans: once its first batch is staged, then a little later
                wait_for([out / "_staging" / victim_id / "batch-000000.clean.parquet"])
                time.sleep(rng.uniform(0, 0.5))
                where = "cleaning"
            else:
                wait_for([barrier / f"ready-{victim_id}"])
                (barrier / "go").touch()
                time.sleep(rng.uniform(0, 1.5 * commit_seconds))
                where = "commit"
            victim.send_signal(signal.SIGKILL)
            code, _, _ = finish(victim)
            if code != -signal.SIGKILL:  # it finished before the kill landed: a completed run, and one kill more
                where = "finished first"
                phases.append("kill")
            killed_in[where] = killed_in.get(where, 0) + 1
            result = json.loads(run_once(source, out, run_id("rerun")))
            done.append((result["ended"], source))
            commit_seconds = result["ended"] - result["started"]  # commits grow with the dataset
            print(f"phase {n:2d}: kill during {where:14s} then re-run: written {result['written']:3d} "
                  f"(already in: {result['unchanged']:2d}), "
                  f"swept {result['swept'].get('files', 0)} files, healed {len(result['healed'])}", flush=True)
        else:
            pair, barrier = [folder(), folder()], work / f"barrier{n}"
            barrier.mkdir()
            ids = [run_id("pair-a"), run_id("pair-b")]
            children = [run_child(source, out, rid, "--barrier", str(barrier)) for source, rid in zip(pair, ids, strict=True)]
            wait_for([barrier / f"ready-{rid}" for rid in ids])
            (barrier / "go").touch()
            results = []
            for child, source in zip(children, pair, strict=True):
                code, stdout, stderr = finish(child)
                if code != 0:
                    print(stderr[-3000:])
                    return 1
                results.append(json.loads(stdout.strip().splitlines()[-1]))
                done.append((results[-1]["ended"], source))
            commit_seconds = min(r["ended"] - r["started"] for r in results)
            waits = [r["waited_seconds"] for r in results]
            print(f"phase {n:2d}: pair at once: written {[r['written'] for r in results]}, "
                  f"waited {[round(w, 2) for w in waits]} s", flush=True)
    chaos_seconds = time.monotonic() - started
    reference = work / "one_at_a_time"
    for k, (_, source) in enumerate(sorted(done, key=lambda d: d[0])):
        run_once(source, reference, f"{time.strftime('%Y%m%dT%H%M%S')}-ref{k:03d}")
    got, expected, left = snapshot(out), snapshot(reference), _leftovers(out)
    same = got == expected
    print(f"\n{len(done)} completed runs ({args.kills} SIGKILLs landed: {killed_in}; {args.pairs} concurrent pairs) "
          f"in {chaos_seconds:.0f} s; a commit took ~{commit_seconds:.2f} s")
    print(f"rows {len(got.rows)} / {len(expected.rows)}, rejects {len(got.rejects)} / {len(expected.rejects)}, "
          f"votes {len(got.votes)} / {len(expected.votes)}, bands {len(got.bands)} / {len(expected.bands)} "
          f"(chaotic / one at a time)")
    print(f"identical to the same runs one at a time: {same}; leftovers: {len(left)}")
    if same and not left:
        shutil.rmtree(work)
    else:
        print(f"kept for inspection: {work}")
    return 0 if same and not left else 1


if __name__ == "__main__":
    sys.exit(main())
