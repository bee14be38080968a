"""One crawl run: robots.txt, feeds and sitemaps to article URLs, new pages fetched into one WARC file."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from dataset.inputs import UnreadableInput, decode_body
from dataset.store import new_run_id
from scraper import state
from scraper.config import CrawlConfig, SiteSource
from scraper.discover import parse_feed, parse_sitemap
from scraper.fetch import Fetched, HostLimiter, fetch
from scraper.urls import normalize
from scraper.warc import RunWarc

log = logging.getLogger(__name__)

# A sitemap index may nest; news sites use two levels. Deeper or wider trees are cut here.
MAX_SITEMAP_DEPTH = 3
MAX_SITEMAPS_PER_SITE = 100
# Pages fetched at once across all hosts (each host still gets `host_concurrency`).
GLOBAL_CONCURRENCY = 16


@dataclass(slots=True)
class CrawlReport:
    """What one crawl run did."""

    run_id: str
    warc: str | None = None
    discovered: int = 0
    fetched: int = 0
    not_modified: int = 0
    skipped_seen: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for Prefect results, JSON and the run artifact."""
        return {"run_id": self.run_id, "warc": self.warc, "discovered": self.discovered, "fetched": self.fetched,
                "not_modified": self.not_modified, "skipped_seen": self.skipped_seen,
                "refused": dict(self.refused), "errors": dict(self.errors),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}, "seconds": round(self.seconds, 3)}


def decoded(fetched: Fetched) -> bytes:
    """The body with its Content-Encoding undone (the WARC keeps it encoded, as received); b"" if it cannot be."""
    try:
        return decode_body(fetched.body, fetched.header("content-encoding") or "", fetched.url)
    except UnreadableInput:
        return b""


def crawl_delay(robots_txt: str, user_agent: str) -> float | None:
    """The Crawl-delay for our user agent (its own group, else "*"), fractions allowed.

    urllib.robotparser only reads whole seconds; sites write "Crawl-delay: 0.5" too.
    """
    token = user_agent.split("/", 1)[0].strip().lower()
    delays: dict[str, float] = {}
    agents: list[str] = []
    in_rules = False
    for raw in robots_txt.splitlines():
        line = raw.split("#", 1)[0].strip()
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
        elif key:
            in_rules = True
            if key == "crawl-delay":
                try:
                    seconds = float(value)
                except ValueError:
                    continue
                for agent in agents:
                    delays.setdefault(agent, seconds)
    mine = next((d for a, d in delays.items() if a != "*" and a in token), None)
    return mine if mine is not None else delays.get("*")


class _Run:
    def __init__(self, config: CrawlConfig, run_id: str, client: httpx.AsyncClient, warc: RunWarc) -> None:
        self.config, self.client, self.warc = config, client, warc
        self.report = CrawlReport(run_id=run_id)
        self.seen = state.load(config.raw_dir)
        self.limiter = HostLimiter(config.host_concurrency, config.delay_seconds)
        self.robots: dict[str, RobotFileParser | None] = {}
        self.rows: list[dict[str, Any]] = []
        self.pages = asyncio.Semaphore(GLOBAL_CONCURRENCY)

    def _record(self, url: str, kind: str, fetched: Fetched) -> None:
        offset = None
        if fetched.status is not None:
            offset = self.warc.write(fetched, kind)
            self.report.statuses[fetched.status] += 1
        if fetched.error:
            self.report.errors[fetched.error.split(":")[0]] += 1
            log.warning("%s: %s", url, fetched.error)
        self.rows.append({
            "url": url, "final_url": fetched.url, "kind": kind, "status": fetched.status,
            "etag": fetched.header("etag"), "last_modified": fetched.header("last-modified"),
            "error": fetched.error or (f"truncated ({fetched.truncated})" if fetched.truncated else None),
            "fetched_at": fetched.fetched_at,
            "warc": f"{self.warc.path}#{offset}" if offset is not None else None,
        })

    async def allowed(self, url: str) -> bool:
        """robots.txt says yes (fetched once per host per run; its Crawl-delay sets the host's pace)."""
        if not self.config.respect_robots:
            return True
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        if host not in self.robots:
            robots_url = f"{host}/robots.txt"
            fetched = await fetch(self.client, robots_url, self.config, self.limiter)
            self._record(robots_url, "robots", fetched)
            parser: RobotFileParser | None = RobotFileParser()
            assert parser is not None
            delay = None
            if fetched.status is not None and 200 <= fetched.status < 300:
                text = decoded(fetched).decode("utf-8", "replace")
                parser.parse(text.splitlines())
                delay = crawl_delay(text, self.config.user_agent)
            elif fetched.status is not None and 400 <= fetched.status < 500:
                parser.parse([])  # RFC 9309: no robots.txt means no restrictions
            else:
                parser = None  # unreachable robots.txt: assume complete disallow (RFC 9309 2.3.1.4)
            if delay:
                self.limiter.set_delay(parts.netloc, delay)
            self.robots[host] = parser
        parser = self.robots[host]
        return parser is not None and parser.can_fetch(self.config.user_agent, url)

    def _conditional(self, url: str) -> dict[str, str]:
        seen = self.seen.get(url)
        headers = {}
        if seen and seen.etag:
            headers["If-None-Match"] = seen.etag
        if seen and seen.last_modified:
            headers["If-Modified-Since"] = seen.last_modified
        return headers

    async def get(self, url: str, kind: str) -> Fetched | None:
        """Fetch one URL of any kind after the robots check, and record it."""
        if not await self.allowed(url):
            self.report.refused["robots.txt"] += 1
            return None
        fetched = await fetch(self.client, url, self.config, self.limiter, self._conditional(url), allowed=None)
        if fetched.error and fetched.error.startswith("refused"):
            self.report.refused[fetched.error.split(":")[1].strip().split(" ")[0]] += 1
        self._record(url, kind, fetched)
        return fetched

    async def site_urls(self, site: SiteSource) -> list[str]:
        """Article URLs named by a site's feeds, sitemaps and start URLs, filtered, in discovery order."""
        found: dict[str, None] = {}
        for feed in site.feeds:
            fetched = await self.get(feed, "feed")
            if fetched is not None and fetched.status == 200:
                found.update(dict.fromkeys(parse_feed(decoded(fetched), fetched.url)))
        queue = [(s, 0) for s in site.sitemaps]
        done: set[str] = set()
        while queue and len(done) < MAX_SITEMAPS_PER_SITE:
            sitemap, depth = queue.pop(0)
            if sitemap in done:
                continue
            done.add(sitemap)
            fetched = await self.get(sitemap, "sitemap")
            if fetched is None or fetched.status != 200:
                continue
            pages, children = parse_sitemap(decoded(fetched), fetched.url)
            found.update(dict.fromkeys(pages))
            if depth < MAX_SITEMAP_DEPTH:
                queue.extend((child, depth + 1) for child in children)
        for url in site.start_urls:
            normalized = normalize(url)
            if normalized:
                found[normalized] = None
        allow = [re.compile(p) for p in site.allow]
        deny = [re.compile(p) for p in site.deny]
        urls = [u for u in found if (not allow or any(p.search(u) for p in allow)) and not any(p.search(u) for p in deny)]
        self.report.refused["filtered"] += len(found) - len(urls)
        log.info("site %s: %d article URLs (%d filtered out)", site.name, len(urls), len(found) - len(urls))
        return urls[: site.max_pages]

    async def page(self, url: str) -> None:
        """Fetch one article page unless it was fetched before (then only with refetch, conditionally)."""
        seen = self.seen.get(url)
        if seen is not None and seen.settled and not self.config.refetch:
            self.report.skipped_seen += 1
            return
        async with self.pages:
            fetched = await self.get(url, "page")
        if fetched is None:
            return
        if fetched.status == 304:
            self.report.not_modified += 1
        elif fetched.status is not None:
            self.report.fetched += 1


async def _crawl(config: CrawlConfig, run_id: str) -> CrawlReport:
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=GLOBAL_CONCURRENCY, max_keepalive_connections=GLOBAL_CONCURRENCY)
    headers = {"User-Agent": config.user_agent, "Accept-Encoding": "gzip, deflate, br",
               "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    async with httpx.AsyncClient(timeout=config.timeout_seconds, headers=headers, limits=limits,
                                 trust_env=False) as client:
        warc = RunWarc(config.raw_dir / "warc", run_id)
        run = _Run(config, run_id, client, warc)
        try:
            urls: dict[str, None] = {}
            for site in config.sites:
                urls.update(dict.fromkeys(await run.site_urls(site)))
            for url in config.urls:
                normalized = normalize(url)
                if normalized:
                    urls[normalized] = None
                else:
                    run.report.refused["not http(s)"] += 1
            run.report.discovered = len(urls)
            await asyncio.gather(*(run.page(u) for u in urls))
        except BaseException:
            warc.abort()
            raise
        path = warc.close()
    # the state is written after the WARC is in place: a crash in between refetches, never loses
    state.append(config.raw_dir, run_id, [{**r, "warc": r["warc"] if path else None} for r in run.rows])
    run.report.warc = str(path) if path else None
    run.report.seconds = time.perf_counter() - started
    return run.report


def crawl(config: CrawlConfig, run_id: str | None = None) -> CrawlReport:
    """Run one crawl and return its report; pages land in `raw_dir/warc/crawl-<run_id>.warc.gz`."""
    run_id = run_id or new_run_id()
    return asyncio.run(_crawl(config, run_id))
