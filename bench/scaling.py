"""How cleaning time and memory grow with the page: pages of many small blocks at doubling sizes.

    uv run --frozen python bench/scaling.py [--shapes p,li,...] [--blocks 18203,36406,72812,145624]
    uv run --frozen python bench/scaling.py --at-cap      # peak memory of each shape at the 10 MiB cap

Each shape of tests/hostile/shapes.py (many short <p>, the same with inline markup, <li>, <div>s,
<br>-separated lines, headings, links, table cells, and the same lines as a text dump) is generated
with each number of blocks (by default 1/8, 1/4, 1/2 and all of the 145,624 short <p> in 9.3 MB of
issue 12) and cleaned once with `clean_html` (`clean_text` for the dump): the sizes of one shape in one
process, a fresh process per shape. Printed per page: seconds (wall and this process's CPU time: the
machine is shared, CPU time is what the page cost), seconds of CPU per MiB, the growth of CPU time over
the previous size (about 2 for a doubling is linear, 4 quadratic) and the peak resident memory of the
process while it cleaned that page (VmHWM, reset before each page; the interpreter, libraries, the
page's bytes and what earlier pages left in the heap included). `--at-cap` cleans, in a fresh process
per shape, the largest page of it that the 10 MiB input cap lets in, and prints the resident memory
before and the peak during.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from cleaners import clean_html, clean_text
from dataset.inputs import MAX_PAGE_BYTES
from tests.hostile.measure import proc_status, reset_peak
from tests.hostile.shapes import ISSUE_BLOCKS, SHAPES, MiB, page_of


def clean(shape: str, data: bytes) -> int:
    """Clean one generated page; returns how many paragraphs it kept."""
    doc = clean_text(data.decode()) if shape == "text" else clean_html(data)
    return len(doc.paragraphs)


def measure(shape: str, counts: list[int]) -> None:
    """Print one table row per size of `shape`, all cleaned in this process."""
    clean(shape, page_of(shape, 1000))  # warm-up: imports, the language model, jusText's stoplists
    previous = None
    for count in counts:
        data = page_of(shape, count)
        reset_peak()
        wall, cpu = time.perf_counter(), time.process_time()
        blocks = clean(shape, data)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        mib = len(data) / MiB
        growth = f"{cpu / previous:.2f}" if previous else ""
        print(f"| {shape} | {count:,} | {mib:.2f} | {blocks:,} | {wall:.2f} | {cpu:.2f} | {cpu / mib:.2f} | {growth} "
              f"| {proc_status('VmHWM') / MiB:.0f} MiB |", flush=True)
        previous = cpu
        del data


def at_cap(shape: str) -> None:
    """Print the memory row of the largest page of `shape` under MAX_PAGE_BYTES, cleaned in this process."""
    clean("p", page_of("p", 1000))
    clean("h2", page_of("h2", 1000))
    count = ISSUE_BLOCKS
    data = page_of(shape, count)
    while len(data) > MAX_PAGE_BYTES:
        count = int(count * MAX_PAGE_BYTES / len(data) * 0.99)
        data = page_of(shape, count)
    before = proc_status("VmRSS")
    reset_peak()
    clean(shape, data)
    print(f"| {shape} | {count:,} | {len(data) / MiB:.2f} | {before / MiB:.0f} MiB | {proc_status('VmHWM') / MiB:.0f} MiB |",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--blocks", default=",".join(str(ISSUE_BLOCKS // 2**k) for k in (3, 2, 1, 0)),
                        help="lines per page, smallest first")
    parser.add_argument("--at-cap", action="store_true", help="peak memory at the 10 MiB input cap instead")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)  # one shape, this process
    args = parser.parse_args()
    shapes = args.shapes.split(",")
    if args.in_process and args.at_cap:
        at_cap(shapes[0])
        return 0
    if args.in_process:
        measure(shapes[0], [int(n) for n in args.blocks.split(",")])
        return 0
    if args.at_cap:
        print("| shape | lines | MiB | resident before | peak while cleaning |")
        print("|---|---|---|---|---|")
    else:
        print("| shape | lines | MiB | paragraphs out | seconds (wall) | seconds (CPU) | CPU s/MiB | growth | peak RSS |")
        print("|---|---|---|---|---|---|---|---|---|")
    for shape in shapes:  # a fresh process per shape: no heap left over from another shape's pages
        command = [sys.executable, "-m", "bench.scaling", "--in-process", "--shapes", shape, "--blocks", args.blocks]
        subprocess.run([*command, "--at-cap"] if args.at_cap else command, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
