"""Scraper throughput against a local server on 127.0.0.1 at given politeness settings.

    uv run python bench/crawl_speed.py [--pages 200]

Serves N distinct article pages from tests/fixture_site.py and crawls them as an URL list, with no
delay and one request at a time per host (the fastest polite setting for one host), then with 4
parallel requests, then with a 50 ms delay. Pages/s counts fetched-and-stored pages.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraper import CrawlConfig, crawl
from tests.fixture_site import FixtureSite


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    settings = [("delay 0, 1 per host", 0.0, 1), ("delay 0, 4 per host", 0.0, 4), ("delay 50 ms, 1 per host", 0.05, 1)]
    with FixtureSite(crawl_delay=0.0) as site:
        urls = tuple(site.url(f"/news/p{i}.html") for i in range(args.pages))
        for name, delay, concurrency in settings:
            with tempfile.TemporaryDirectory() as raw:
                report = crawl(CrawlConfig(raw_dir=Path(raw), urls=urls, delay_seconds=delay, host_concurrency=concurrency,
                                           allow_addresses="loopback"))
                print(f"{name:<26} {report.fetched} pages in {report.seconds:.2f} s = {report.fetched / report.seconds:6.1f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
