"""Crawl configuration: sites from `sources.toml`, politeness and limits, one frozen object each."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

# Politeness defaults. One request at a time per host, at least one second apart, is what a
# news site's robots.txt usually asks when it asks; a robots Crawl-delay that is longer wins.
DEFAULT_DELAY_SECONDS = 1.0
DEFAULT_HOST_CONCURRENCY = 1
DEFAULT_TIMEOUT_SECONDS = 20.0
# Bigger responses are cut and recorded as truncated: article pages are under ~2 MB.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_RETRIES = 3
# Backoff between retries: base * 2^attempt seconds, capped; Retry-After wins when the server sends it.
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
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
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = DEFAULT_RETRIES
    backoff_base_seconds: float = BACKOFF_BASE_SECONDS
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    # Loopback and private addresses are refused unless allowed (SSRF); tests allow them.
    allow_private_hosts: bool = False
    # Fetch a URL again even when the seen-URL state has it (a backfill); conditional GET still applies.
    refetch: bool = False
    extra: dict[str, str] = field(default_factory=dict)


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
