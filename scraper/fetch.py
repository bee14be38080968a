"""Polite HTTP fetching: per-host limits, retries with backoff and Retry-After, size and time caps, manual redirects."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from scraper.config import BACKOFF_MAX_SECONDS, CrawlConfig
from scraper.state import REFUSED
from scraper.urls import Refusal, address_policy, address_refusal, normalize, scheme_refusal

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A resolver that has not answered in this long will not (glibc's default is 5 s x 2 attempts).
DNS_TIMEOUT_SECONDS = 15.0


@dataclass(slots=True)
class Fetched:
    """One HTTP exchange as received: raw (still content-encoded) body bytes and all headers."""

    url: str
    requested: str
    status: int | None = None
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # "length" (over the size cap), "time" (over the deadline) or "disconnect" (the server stopped early)
    truncated: str | None = None
    error: str | None = None
    refused: str | None = None  # the Refusal kind when a hop was not fetched at all
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    http_version: str = "HTTP/1.1"
    attempts: int = 0

    def header(self, name: str) -> str | None:
        """A response header's value (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


class HostLimiter:
    """At most `concurrency` requests per host, starting at least `delay` seconds apart, `total` at once overall.

    A request takes its host's turn first and a global slot only then: requests queued behind a slow
    or rate-limited host wait on that host alone and never hold global slots other hosts could use.
    """

    def __init__(self, concurrency: int, delay: float, total: int) -> None:
        self._concurrency = concurrency
        self._default_delay = delay
        self._delays: dict[str, float] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}
        self._total = asyncio.Semaphore(total)

    def set_delay(self, host: str, delay: float) -> None:
        """Use a longer delay for one host (robots.txt Crawl-delay)."""
        self._delays[host] = max(self._default_delay, delay)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's request slots (after waiting out its delay), then one global slot."""
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self._concurrency))
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with semaphore:
            async with lock:
                delay = self._delays.get(host, self._default_delay)
                wait = self._last.get(host, 0.0) + delay - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self._total.acquire()
                self._last[host] = time.monotonic()
            try:
                yield
            finally:
                self._total.release()


def not_fetched(url: str, requested: str, refusal: Refusal, attempts: int = 0) -> Fetched:
    """The record of a URL not fetched: a refusal (policy, re-checked every run), or a DNS failure (an error)."""
    if refusal.kind == "dns":
        return Fetched(url=url, requested=requested, error=f"dns: {refusal.message}", attempts=attempts)
    return Fetched(url=url, requested=requested, error=f"{REFUSED}{refusal.message}", refused=refusal.kind,
                   attempts=attempts)


class AddressGuard:
    """Checks each URL's scheme and resolved addresses against the policy; one DNS lookup per host per run."""

    def __init__(self, setting: str) -> None:
        self.policy = address_policy(setting)
        self._lookups: dict[tuple[str, int], asyncio.Task[list[str] | str]] = {}

    async def refusal(self, url: str) -> Refusal | None:
        """Why `url` must not be fetched (scheme, an address outside the policy, no DNS answer), or None."""
        refused = scheme_refusal(url)
        if refused:
            return refused
        parts = urlsplit(url)
        host = parts.hostname or ""
        key = (host, parts.port or (443 if parts.scheme == "https" else 80))
        task = self._lookups.get(key)
        if task is None:
            task = self._lookups[key] = asyncio.ensure_future(_resolve(*key))
        answer = await asyncio.shield(task)
        if isinstance(answer, str):
            return Refusal("dns", f"cannot resolve {host}: {answer}")
        return address_refusal(host, answer, self.policy)


async def _resolve(host: str, port: int) -> list[str] | str:
    """The addresses of `host` (off the event loop, bounded), or the error's text."""
    try:
        async with asyncio.timeout(DNS_TIMEOUT_SECONDS):
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError:
        return f"no answer in {DNS_TIMEOUT_SECONDS:g} s"
    except OSError as exc:
        return str(exc)
    return [str(info[4][0]) for info in infos]


class Budget:
    """The seconds one URL may still spend (attempts, backoff, redirect hops; not the wait for its host)."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def spend(self, since: float) -> None:
        """Charge the time elapsed since the monotonic instant `since`."""
        self.left -= time.monotonic() - since


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
    client: httpx.AsyncClient, url: str, config: CrawlConfig, limiter: HostLimiter, guard: AddressGuard,
    conditional: dict[str, str] | None = None, allowed: Callable[[str], bool] | None = None,
) -> Fetched:
    """GET `url` politely; redirects are followed by hand so each hop is checked (scheme, address, robots).

    Everything spent on the URL is bounded by `config.url_deadline_seconds`, each request by
    `config.deadline_seconds`.
    """
    current = url
    attempts = 0
    budget = Budget(config.url_deadline_seconds)
    for _hop in range(config.max_redirects + 1):
        refused = await guard.refusal(current)
        if refused:
            return not_fetched(current, url, refused, attempts)
        if allowed is not None and current != url and not allowed(current):
            return Fetched(url=current, requested=url, error=f"{REFUSED}robots.txt disallows the redirect target",
                           refused="robots.txt", attempts=attempts)
        if budget.left <= 0:
            return Fetched(url=current, requested=url, attempts=attempts,
                           error=f"deadline: {config.url_deadline_seconds:g} s spent on this URL before this hop")
        result = await _fetch_one(client, current, url, config, limiter, conditional or {}, budget)
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
                     limiter: HostLimiter, conditional: dict[str, str], budget: Budget) -> Fetched:
    host = urlsplit(url).netloc
    last = Fetched(url=url, requested=requested)
    for attempt in range(config.retries + 1):
        async with limiter.slot(host):
            started = time.monotonic()
            last = await _exchange(client, url, requested, config, conditional,
                                   min(config.deadline_seconds, budget.left))
            budget.spend(started)
        last.attempts = attempt + 1
        if last.error is None and last.status not in RETRY_STATUSES:
            return last
        if attempt == config.retries:
            break
        wait = None
        if last.status in RETRY_STATUSES:
            wait = _retry_after(last.header("retry-after"), time.time())
        if wait is None:
            wait = config.backoff_base_seconds * (2**attempt)
        wait = min(wait, BACKOFF_MAX_SECONDS)
        if wait >= budget.left:
            break  # no time left for another attempt: the last answer stands
        started = time.monotonic()
        await asyncio.sleep(wait)
        budget.spend(started)
    return last


async def _exchange(client: httpx.AsyncClient, url: str, requested: str, config: CrawlConfig,
                    conditional: dict[str, str], seconds: float) -> Fetched:
    fetched = Fetched(url=url, requested=requested)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(max(seconds, 0.0)), \
                client.stream("GET", url, headers=conditional, follow_redirects=False) as response:
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
    except TimeoutError:  # the request's own deadline (asyncio.timeout), not one read's
        if fetched.status is not None:
            fetched.truncated = "time"
        else:
            fetched.error = f"deadline: no response within {seconds:.3g} s"
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
