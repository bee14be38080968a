"""Whole-pipeline throughput: the cleaning loop without Prefect (1 and 2 processes) vs the Prefect flow.

    uv run python bench/pipeline_bench.py [--pages 2000]

The corpus is generated: distinct article pages (random Vietnamese words, as tests/fixture_site.py
makes them) with a caption, a related block and a byline, plus the bundled samples. Reported:
pages/s, the speed-up of 2 workers over 1, Prefect's overhead against the same work without it, and
peak RSS of the parent and of the largest child.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cleaners import runner, sources, store
from tests.fixture_site import article

BATCH = 100


def build(folder: Path, pages: int) -> None:
    """Write `pages` distinct article pages into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        html = article(f"page-{i}", f"Bài báo số {i} về thị trường", words=240)
        html = html.replace("</article>", "<figure><figcaption>Toàn cảnh buổi làm việc. Ảnh: TTXVN</figcaption></figure>"
                            "<p>Minh Anh</p></article><div class='tin-lien-quan'><a href='/x'>Tin khác</a></div>")
        html = html.replace("<head>", f"<head><link rel='canonical' href='https://baomau.vn/bai-{i}.html'>")
        (folder / f"p{i:06d}.html").write_text(html, encoding="utf-8")


def clean_without_prefect(refs: list[str], out: Path, workers: int) -> float:
    """The same batches and commit as the flow, with a plain process pool; returns seconds."""
    started = time.perf_counter()
    batches = [refs[i : i + BATCH] for i in range(0, len(refs), BATCH)]
    staging = out / "_staging" / "bench"
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(runner.process_batch, batches, [staging] * len(batches), range(len(batches))))
    store.commit([Path(r.clean_path) for r in results if r.clean_path],
                 [Path(r.rejects_path) for r in results if r.rejects_path], out, "bench")
    return time.perf_counter() - started


def clean_with_prefect(sources_dir: Path, out: Path, kind: str, workers: int) -> float:
    """The Prefect flow with the given task runner; returns seconds (API server start-up excluded)."""
    from flows.pipeline import clean_pipeline, task_runner

    flow = clean_pipeline.with_options(task_runner=task_runner(kind, workers))
    started = time.perf_counter()
    flow(source_list=[str(sources_dir)], out=str(out), batch_size=BATCH, processes=workers if kind == "processes" else 0)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tinsach-bench-"))
    try:
        build(work / "corpus", args.pages)
        refs = sources.discover([work / "corpus"])
        one = clean_without_prefect(refs, work / "out1", 1)
        two = clean_without_prefect(refs, work / "out2", 2)
        from prefect.testing.utilities import prefect_test_harness

        flows = {}
        with prefect_test_harness(server_startup_timeout=180):
            for kind, workers in (("threads", 1), ("threads", 2), ("processes", 2), ("prefect-processes", 2), ("dask", 2)):
                flows[f"{kind} x{workers}"] = clean_with_prefect(work / "corpus", work / f"out-{kind}-{workers}", kind, workers)
        rows = store.read_clean(work / "out-threads-1").num_rows
        parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{len(refs)} pages ({rows} clean rows written by each flow)")
        print(f"  no Prefect, 1 process   : {len(refs) / one:7.1f} pages/s  ({one:.1f} s)")
        print(f"  no Prefect, 2 processes : {len(refs) / two:7.1f} pages/s  ({two:.1f} s)  speed-up {one / two:.2f}x")
        for name, seconds in flows.items():
            print(f"  Prefect flow, {name:<20}: {len(refs) / seconds:7.1f} pages/s  ({seconds:.1f} s)  "
                  f"vs the same workers without Prefect {seconds / (one if name.endswith('x1') else two) - 1:+.0%}")
        print(f"  peak RSS: parent {parent:.0f} MiB, largest child {child:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
