"""Polite HTTP fetching: per-host limits, retries with backoff and Retry-After, size caps, manual redirects."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from scraper.config import BACKOFF_MAX_SECONDS, CrawlConfig
from scraper.urls import normalize, refusal

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(slots=True)
class Fetched:
    """One HTTP exchange as received: raw (still content-encoded) body bytes and all headers."""

    url: str
    requested: str
    status: int | None = None
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    truncated: str | None = None  # "length" (over the cap) or "disconnect" (the server stopped early)
    error: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    http_version: str = "HTTP/1.1"
    attempts: int = 0

    def header(self, name: str) -> str | None:
        """A response header's value (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


class HostLimiter:
    """At most `concurrency` requests per host, starting at least `delay` seconds apart (in-process)."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self._concurrency = concurrency
        self._default_delay = delay
        self._delays: dict[str, float] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    def set_delay(self, host: str, delay: float) -> None:
        """Use a longer delay for one host (robots.txt Crawl-delay)."""
        self._delays[host] = max(self._default_delay, delay)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's request slots, after waiting out its delay."""
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self._concurrency))
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with semaphore:
            async with lock:
                delay = self._delays.get(host, self._default_delay)
                wait = self._last.get(host, 0.0) + delay - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._last[host] = time.monotonic()
            yield


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


async def fetch(
    client: httpx.AsyncClient, url: str, config: CrawlConfig, limiter: HostLimiter,
    conditional: dict[str, str] | None = None, allowed: Callable[[str], bool] | None = None,
) -> Fetched:
    """GET `url` politely; redirects are followed by hand so each hop is checked (scheme, SSRF, robots)."""
    current = url
    attempts = 0
    for _hop in range(config.max_redirects + 1):
        refused = refusal(current, config.allow_private_hosts)
        if refused:
            return Fetched(url=current, requested=url, error=f"refused: {refused}", attempts=attempts)
        if allowed is not None and current != url and not allowed(current):
            return Fetched(url=current, requested=url, error="refused: robots.txt disallows the redirect target")
        result = await _fetch_one(client, current, url, config, limiter, conditional or {})
        attempts += result.attempts
        result.attempts = attempts
        if result.status in (301, 302, 303, 307, 308) and result.header("location"):
            target = normalize(result.header("location") or "", current)
            if target is None:
                result.error = f"redirect to an unusable location {result.header('location')!r}"
                return result
            current = target
            continue
        return result
    return Fetched(url=current, requested=url, error=f"more than {config.max_redirects} redirects", attempts=attempts)


async def _fetch_one(client: httpx.AsyncClient, url: str, requested: str, config: CrawlConfig,
                     limiter: HostLimiter, conditional: dict[str, str]) -> Fetched:
    host = urlsplit(url).netloc
    last = Fetched(url=url, requested=requested)
    for attempt in range(config.retries + 1):
        wait = None
        async with limiter.slot(host):
            last = await _exchange(client, url, requested, config, conditional)
        last.attempts = attempt + 1
        if last.error is None and last.status not in RETRY_STATUSES:
            return last
        if attempt == config.retries:
            break
        if last.status in RETRY_STATUSES:
            wait = _retry_after(last.header("retry-after"), time.time())
        if wait is None:
            wait = config.backoff_base_seconds * (2**attempt)
        await asyncio.sleep(min(wait, BACKOFF_MAX_SECONDS))
    return last


async def _exchange(client: httpx.AsyncClient, url: str, requested: str, config: CrawlConfig,
                    conditional: dict[str, str]) -> Fetched:
    fetched = Fetched(url=url, requested=requested)
    chunks: list[bytes] = []
    size = 0
    try:
        async with client.stream("GET", url, headers=conditional, follow_redirects=False) as response:
            fetched.status = response.status_code
            fetched.reason = response.reason_phrase
            fetched.http_version = response.http_version
            fetched.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > config.max_bytes:
                    chunks.append(chunk[: config.max_bytes - (size - len(chunk))])
                    fetched.truncated = "length"
                    break
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        fetched.error = f"timeout: {type(exc).__name__}"
    except httpx.RemoteProtocolError as exc:
        if fetched.status is not None:  # the headers came, then the body stopped short
            fetched.truncated = "disconnect"
        else:
            fetched.error = f"protocol error: {exc}"
    except httpx.HTTPError as exc:
        fetched.error = f"{type(exc).__name__}: {exc}"
    fetched.body = b"".join(chunks)
    fetched.fetched_at = datetime.now(UTC)
    return fetched
