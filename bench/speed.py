"""Per-page speed of clean_html against bare trafilatura.extract and the lxml parse floor, side by side.

    uv run python bench/speed.py [--rounds 5] [PAGES_DIR ...]

Pages: the bundled HTML samples (raw/samples/html) plus the shared devset, when present. Each
extractor runs over all pages once to warm up, then `rounds` times; pages/s is reported for each and
the ratio to trafilatura's default settings.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html
import trafilatura

from cleaners import clean_html

ROOT = Path(__file__).resolve().parent.parent


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


def rate(fn: Callable[[bytes], object], pages: list[bytes], rounds: int) -> float:
    """Pages per second, the median over rounds."""
    for page in pages:
        fn(page)
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for page in pages:
            fn(page)
        rates.append(len(pages) / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folders = args.folders or [p for p in (ROOT / "raw" / "samples" / "html", ROOT.parent / "shared" / "devset") if p.exists()]
    pages = load_pages(folders)
    results = {
        "lxml.html.fromstring (floor)": rate(lxml.html.fromstring, pages, args.rounds),
        "trafilatura.extract (default)": rate(trafilatura.extract, pages, args.rounds),
        "cleaners.clean_html": rate(clean_html, pages, args.rounds),
    }
    base = results["trafilatura.extract (default)"]
    print(f"{len(pages)} pages, {sum(map(len, pages)) / len(pages) / 1024:.0f} KiB on average, median of {args.rounds} rounds")
    for name, value in results.items():
        print(f"  {name:<32} {value:8.1f} pages/s   {value / base:5.2f}x trafilatura")
    return 0


if __name__ == "__main__":
    sys.exit(main())
