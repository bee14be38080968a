"""Per-page speed of clean_html against bare trafilatura.extract and the lxml parse floor, side by side.

    uv run python bench/speed.py [--rounds 5] [PAGES_DIR ...]

Pages: the bundled HTML samples (raw/samples/html) plus the shared devset, when present. Each
extractor runs over all pages once to warm up; then, `rounds` times, every page goes through all of them
in turn. Pages/s is reported for each and the ratio to trafilatura's default settings.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import lxml.html
import trafilatura

from cleaners import clean_html

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def load_pages(folders: list[Path]) -> list[bytes]:
    """Every .html/.htm(.gz) page under the folders, deduplicated by content."""
    pages: dict[bytes, None] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            name = path.name.lower()
            if name.endswith((".html", ".htm")):
                pages[path.read_bytes()] = None
            elif name.endswith((".html.gz", ".htm.gz")):
                pages[gzip.decompress(path.read_bytes())] = None
    return list(pages)


def rates(fns: dict[str, Callable[[T], object]], pages: list[T], rounds: int) -> dict[str, float]:
    """Pages per second of each function, measured interleaved: every page goes through all of them in
    turn (rotating who goes first), so drift in the machine's speed hits each one alike."""
    for fn in fns.values():
        for page in pages:
            fn(page)
    spent = dict.fromkeys(fns, 0.0)
    names = list(fns)
    for r in range(rounds):
        for i, page in enumerate(pages):
            shift = (r + i) % len(names)
            for name in names[shift:] + names[:shift]:
                started = time.perf_counter()
                fns[name](page)
                spent[name] += time.perf_counter() - started
    return {name: rounds * len(pages) / spent[name] for name in names}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folders = args.folders or [p for p in (ROOT / "raw" / "samples" / "html", ROOT.parent / "shared" / "devset") if p.exists()]
    pages = load_pages(folders)
    results = rates({
        "lxml.html.fromstring (floor)": lxml.html.fromstring,
        "trafilatura.extract (default)": trafilatura.extract,
        "trafilatura.extract (fast=True)": partial(trafilatura.extract, fast=True),
        "cleaners.clean_html": clean_html,
    }, pages, args.rounds)
    base = results["trafilatura.extract (default)"]
    print(f"{len(pages)} pages, {sum(map(len, pages)) / len(pages) / 1024:.0f} KiB on average, {args.rounds} interleaved rounds")
    for name, value in results.items():
        print(f"  {name:<32} {value:8.1f} pages/s   {value / base:5.2f}x trafilatura")
    return 0


if __name__ == "__main__":
    sys.exit(main())
