"""One crawl run: robots.txt, feeds and sitemaps to article URLs, new pages fetched into one WARC file."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from dataset.inputs import UnreadableInput, decode_body
from dataset.store import new_run_id
from scraper import leftovers, state
from scraper.config import RETRY_MAX_SECONDS, CrawlConfig, SiteSource
from scraper.discover import parse_feed, parse_sitemap
from scraper.fetch import RETRY_STATUSES, AddressGuard, Fetched, HostLimiter, fetch, not_fetched
from scraper.urls import normalize
from scraper.warc import RunWarc

log = logging.getLogger(__name__)

# A sitemap index may nest; news sites use two levels. Deeper or wider trees are cut here.
MAX_SITEMAP_DEPTH = 3
MAX_SITEMAPS_PER_SITE = 100
# Requests in flight at once across all hosts (each host gets at most `host_concurrency` of them).
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
    retried: int = 0  # failed pages of earlier runs taken from the state (no feed named them this run)
    backing_off: int = 0  # failed pages in the state whose next try is not due yet
    gave_up: int = 0  # failed pages in the state not tried any more (max_failures runs in a row)
    swept: int = 0  # temporary files of dead crawls removed before this run
    refused: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for Prefect results, JSON and the run artifact."""
        return {"run_id": self.run_id, "warc": self.warc, "discovered": self.discovered, "fetched": self.fetched,
                "not_modified": self.not_modified, "skipped_seen": self.skipped_seen, "retried": self.retried,
                "backing_off": self.backing_off, "gave_up": self.gave_up, "swept": self.swept,
                "refused": dict(self.refused), "errors": dict(self.errors),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}, "seconds": round(self.seconds, 3)}


def decoded(fetched: Fetched) -> bytes:
    """The body with its Content-Encoding undone (the WARC keeps it encoded, as received), never past MAX_PAGE_BYTES.

    Raises UnreadableInput for corrupt compression or a body that decompresses past the cap (a bomb).
    """
    return decode_body(fetched.body, fetched.header("content-encoding") or "", fetched.url)


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
        self.limiter = HostLimiter(config.host_concurrency, config.delay_seconds, GLOBAL_CONCURRENCY)
        self.guard = AddressGuard(config.allow_addresses)
        self.robots: dict[str, asyncio.Task[RobotFileParser | None]] = {}
        self.rows: list[dict[str, Any]] = []
        self.now = datetime.now(UTC)

    def _record(self, url: str, kind: str, fetched: Fetched) -> None:
        offset = None
        if fetched.status is not None:
            offset = self.warc.write(fetched, kind)
            self.report.statuses[fetched.status] += 1
        if fetched.error and not fetched.refused:
            self.report.errors[fetched.error.split(":")[0]] += 1
            log.warning("%s: %s", url, fetched.error)
        elif fetched.status in RETRY_STATUSES:  # still failing after the run's retries
            self.report.errors[f"HTTP {fetched.status}"] += 1
            log.warning("%s: HTTP %s after %d attempts", url, fetched.status, fetched.attempts)
        elif fetched.truncated == "time":  # the body outlasted the request's deadline
            self.report.errors["deadline"] += 1
            log.warning("%s: body cut at the deadline after %d bytes", url, len(fetched.body))
        error = fetched.error or (f"truncated ({fetched.truncated})" if fetched.truncated else None)
        etag, last_modified = fetched.header("etag"), fetched.header("last-modified")
        before = self.seen.get(url)
        if fetched.status == 304 and before is not None:
            # a 304 confirms the stored body: its validators stay, unless the 304 sends newer ones
            etag, last_modified = etag or before.etag, last_modified or before.last_modified
        failures = 0
        retry_at = None
        if not state.settled(fetched.status, error) and not state.refused(error):
            failures = (before.failed_runs if before is not None else 0) + 1
            retry_at = fetched.fetched_at + state.retry_delay(failures, self.config.retry_base_seconds,
                                                              RETRY_MAX_SECONDS)
        self.rows.append({
            "url": url, "final_url": fetched.url, "kind": kind, "status": fetched.status,
            "etag": etag, "last_modified": last_modified, "error": error, "fetched_at": fetched.fetched_at,
            "warc": f"{self.warc.path}#{offset}" if offset is not None else None,
            "failures": failures, "retry_at": retry_at,
        })

    async def allowed(self, url: str) -> bool:
        """robots.txt says yes (fetched once per host per run, concurrent callers wait for that one fetch)."""
        if not self.config.respect_robots:
            return True
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        task = self.robots.get(host)
        if task is None:
            task = self.robots[host] = asyncio.ensure_future(self._robots(host, parts.netloc))
        parser = await asyncio.shield(task)
        return parser is not None and parser.can_fetch(self.config.user_agent, url)

    async def _robots(self, host: str, netloc: str) -> RobotFileParser | None:
        """Fetch and parse one host's robots.txt; its Crawl-delay sets the host's pace."""
        robots_url = f"{host}/robots.txt"
        fetched = await fetch(self.client, robots_url, self.config, self.limiter, self.guard)
        self._record(robots_url, "robots", fetched)
        parser = RobotFileParser()
        if fetched.status is not None and 200 <= fetched.status < 300:
            text = self.body(fetched).decode("utf-8", "replace")
            parser.parse(text.splitlines())
            delay = crawl_delay(text, self.config.user_agent)
            if delay:
                self.limiter.set_delay(netloc, delay)
            return parser
        if fetched.status is not None and 400 <= fetched.status < 500:
            parser.parse([])  # RFC 9309: no robots.txt means no restrictions
            return parser
        return None  # unreachable robots.txt: assume complete disallow (RFC 9309 2.3.1.4)

    def body(self, fetched: Fetched) -> bytes:
        """A robots.txt, feed or sitemap body decoded; b"" (reported under errors) when it cannot be."""
        try:
            return decoded(fetched)
        except UnreadableInput as exc:
            self.report.errors["unreadable body"] += 1
            log.warning("%s: %s", fetched.url, exc)
            return b""

    def _conditional(self, url: str) -> dict[str, str]:
        """Validators of the last settled fetch (never of a cut-off one: a 304 would confirm half a page)."""
        seen = self.seen.get(url)
        headers: dict[str, str] = {}
        if seen is None or not seen.settled:
            return headers
        if seen.etag:
            headers["If-None-Match"] = seen.etag
        if seen.last_modified:
            headers["If-Modified-Since"] = seen.last_modified
        return headers

    async def get(self, url: str, kind: str) -> Fetched | None:
        """Fetch one URL of any kind after the address and robots checks, and record it."""
        refused = await self.guard.refusal(url)
        if refused is not None:  # before robots.txt: its fetch would be refused too, and blamed on robots
            fetched = not_fetched(url, url, refused)
            self._count_refusal(fetched)
            self._record(url, kind, fetched)
            return None
        if not await self.allowed(url):
            self.report.refused["robots.txt"] += 1
            return None
        fetched = await fetch(self.client, url, self.config, self.limiter, self.guard, self._conditional(url))
        self._count_refusal(fetched)
        self._record(url, kind, fetched)
        return fetched

    def _count_refusal(self, fetched: Fetched) -> None:
        if fetched.refused is None:
            return
        self.report.refused[fetched.refused] += 1
        log.warning("%s: %s", fetched.requested, fetched.error)

    async def site_urls(self, site: SiteSource) -> list[str]:
        """Article URLs named by a site's feeds, sitemaps and start URLs, filtered, in discovery order."""
        found: dict[str, None] = {}
        for feed in site.feeds:
            fetched = await self.get(feed, "feed")
            if fetched is not None and fetched.status == 200:
                found.update(dict.fromkeys(parse_feed(self.body(fetched), fetched.url)))
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
            pages, children = parse_sitemap(self.body(fetched), fetched.url)
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

    def retries_due(self) -> list[str]:
        """Pages that failed in earlier runs and are due again (backoff over, runs left), oldest first.

        Counts the failed pages still waiting for their next try and those given up, for the report.
        """
        due = []
        for url, seen in self.seen.items():
            if seen.kind != "page" or seen.settled or seen.refused:
                continue  # a refusal is the crawler's own policy: checked again when a source names the URL
            if seen.failed_runs >= self.config.max_failures:
                self.report.gave_up += 1
            elif not seen.due(self.now):
                self.report.backing_off += 1
            else:
                due.append((seen.fetched_at, url))
        return [url for _, url in sorted(due)]

    async def page(self, url: str) -> None:
        """Fetch one article page unless it was fetched for good before (then only with refetch, conditionally).

        A page that failed before waits out its backoff and is given up after `max_failures` runs in a
        row (both counted by `retries_due`); `refetch` tries it regardless.
        """
        seen = self.seen.get(url)
        if seen is not None and not self.config.refetch:
            if seen.settled:
                self.report.skipped_seen += 1
                return
            if seen.failed_runs >= self.config.max_failures or not seen.due(self.now):
                return
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
            retries = [u for u in run.retries_due() if u not in urls]
            run.report.retried = len(retries)
            urls.update(dict.fromkeys(retries))
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
    """Run one crawl and return its report; pages land in `raw_dir/warc/crawl-<run_id>.warc.gz`.

    The run holds a lock file while it writes; temporary files of crawls that died (SIGKILL, power
    loss) are removed first, those of crawls still running are left alone.
    """
    run_id = run_id or new_run_id()
    with leftovers.run_lock(config.raw_dir, run_id):
        swept = leftovers.sweep(config.raw_dir, run_id)
        report = asyncio.run(_crawl(config, run_id))
    report.swept = len(swept)
    return report
