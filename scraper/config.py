"""Crawl configuration: sites from `sources.toml`, politeness and limits, one frozen object each."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from scraper.urls import address_policy

# Politeness defaults. One request at a time per host, at least one second apart, is what a
# news site's robots.txt usually asks when it asks; a robots Crawl-delay that is longer wins.
DEFAULT_DELAY_SECONDS = 1.0
DEFAULT_HOST_CONCURRENCY = 1
# httpx's timeout applies to each connect and each read: a body dripping one byte every few seconds
# never trips it. The deadline bounds one request (headers and body); an 8 MiB page at 150 KB/s fits.
DEFAULT_TIMEOUT_SECONDS = 20.0
DEFAULT_DEADLINE_SECONDS = 60.0
# Everything spent on one URL in a run: every attempt, the backoff between them and every redirect hop
# (waiting for the host's turn does not count). Three full-length requests plus backoff fit.
DEFAULT_URL_DEADLINE_SECONDS = 180.0
# Bigger responses are cut and recorded as truncated: article pages are under ~2 MB.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_RETRIES = 3
# Backoff between retries: base * 2^attempt seconds, capped; Retry-After wins when the server sends it.
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
# A URL that failed (error, 5xx, 429, cut-off body) is tried again in later runs, from the seen-URL
# state even when no feed names it any more: not before base * 2^(failures-1) seconds (1 h, 2 h, 4 h ...,
# at most a week), and not after MAX_FAILURES failed runs in a row (about a day and a half of trying
# on the 4-hourly schedule; a page down that long is gone). `--refetch` tries it regardless.
RETRY_BASE_SECONDS = 3600.0
RETRY_MAX_SECONDS = 7 * 24 * 3600.0
MAX_FAILURES = 6
USER_AGENT = "tinsach/0.1 (+https://pypi.org/project/tinsach/; news text corpus crawler)"


@dataclass(frozen=True, slots=True)
class SiteSource:
    """One site to crawl: where its article URLs come from and which URLs count."""

    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    # Regexes on the URL: when `allow` is set a URL must match one; `deny` excludes.
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    max_pages: int = 500


@dataclass(frozen=True, slots=True)
class CrawlConfig:
    """How to crawl: where to write, how politely, how much."""

    raw_dir: Path = Path("raw")
    sites: tuple[SiteSource, ...] = ()
    urls: tuple[str, ...] = ()
    respect_robots: bool = True
    delay_seconds: float = DEFAULT_DELAY_SECONDS
    host_concurrency: int = DEFAULT_HOST_CONCURRENCY
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    url_deadline_seconds: float = DEFAULT_URL_DEADLINE_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = DEFAULT_RETRIES
    backoff_base_seconds: float = BACKOFF_BASE_SECONDS
    max_redirects: int = 5
    retry_base_seconds: float = RETRY_BASE_SECONDS
    max_failures: int = MAX_FAILURES
    user_agent: str = USER_AGENT
    # Non-public addresses are refused (SSRF) unless this opens them: "loopback" (fixtures, tests),
    # "private" (also intranets; never link-local/metadata), or addresses/CIDRs named explicitly.
    allow_addresses: str = ""
    # Fetch a URL again even when the seen-URL state has it (a backfill); conditional GET still applies.
    refetch: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        address_policy(self.allow_addresses)  # a typo in the setting fails here, not at the first fetch


def load_sources(path: str | Path) -> tuple[SiteSource, ...]:
    """Read a `sources.toml`: one [[site]] table per site (see docs/sources.md)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    unknown_top = set(data) - {"site"}
    if unknown_top:
        raise ValueError(f"{path}: unknown top-level keys {sorted(unknown_top)}")
    sites = []
    allowed = {"name", "feeds", "sitemaps", "start_urls", "allow", "deny", "max_pages"}
    for entry in data.get("site", []):
        unknown = set(entry) - allowed
        if unknown:
            raise ValueError(f"{path}: site {entry.get('name')!r}: unknown keys {sorted(unknown)}")
        if not entry.get("name"):
            raise ValueError(f"{path}: every [[site]] needs a name")
        sites.append(SiteSource(
            name=entry["name"], feeds=tuple(entry.get("feeds", ())), sitemaps=tuple(entry.get("sitemaps", ())),
            start_urls=tuple(entry.get("start_urls", ())), allow=tuple(entry.get("allow", ())),
            deny=tuple(entry.get("deny", ())), max_pages=int(entry.get("max_pages", 500)),
        ))
    return tuple(sites)
