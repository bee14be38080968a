"""A page's identity: the one normalized form of its URL (its doc_id and its site), and which URLs a page
may claim as its own (a canonical link on another site must not take that site's article)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import idna
from courlan import normalize_url as courlan_normalize
from tld import get_tld
from tld.exceptions import TldIOError
from tld.utils import MozillaTLDSourceParser

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Common servers refuse request lines over 8-16 KB: a longer "URL" (a hostile canonical href) is no
# address anyone can fetch, and normalizing it would only cost time.
MAX_URL_CHARS = 16_384
# One DNS label, leniently: real hosts carry underscores, which RFC 1123 forbids; a dash never starts or
# ends one (so every site value starts and ends with a letter, digit or underscore: a safe folder name).
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_MAX_HOST_CHARS = 253
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class _BundledSuffixList(MozillaTLDSourceParser):
    """The Public Suffix List snapshot shipped inside `tld`, private section included (github.io, blogspot.com).

    Never fetched: a page's identity must not depend on the network or on when the list was downloaded.
    """

    uid = "tinsach-bundled-psl"

    @classmethod
    def update_tld_names(cls, fail_silently: bool = False) -> bool:
        """Refuse to download the list (tld's fallback when its bundled file is missing)."""
        if fail_silently:
            return False
        raise TldIOError("the bundled Public Suffix List is missing; tinsach never downloads it")


def canonical_host(host: str | None) -> str | None:
    """A host in its one ASCII form: lowercase, IDN labels as punycode, no trailing dot; an IP address
    compressed (IPv6 without brackets or zone); None when it is no valid host."""
    host = (host or "").strip().removeprefix("[").removesuffix("]")
    if ":" in host:
        try:
            return str(ipaddress.IPv6Address(host.split("%", 1)[0]))
        except ValueError:
            return None
    host = unquote(host).removesuffix(".")
    if not host.isascii():
        try:
            mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
            host = ".".join(label if label.isascii() else idna.alabel(label).decode("ascii") for label in mapped.split("."))
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
        host = host.removesuffix(".")  # an ideographic full stop at the end maps to a trailing dot
    host = host.lower()
    if not host or len(host) > _MAX_HOST_CHARS or not all(_LABEL.fullmatch(label) for label in host.split(".")):
        return None
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        return host


def _escapes(path: str) -> str:
    """Percent-escapes in one form (RFC 3986 6.2.2): unreserved characters decoded, the rest in uppercase hex."""
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group()[1:], 16))
        return char if char in _UNRESERVED else match.group().upper()

    return _ESCAPE.sub(fix, path)


def normalize_url(url: str | None) -> str | None:
    """The one form of an http(s) URL that identifies a page, or None when `url` is no such URL.

    Scheme and host lowercase, IDN host as punycode, no trailing dot, default port, user info or
    fragment; tracking parameters (utm_*, fbclid, gclid...) dropped and the query sorted (courlan);
    percent-escapes in one form; an empty path is "/". Normalizing a normalized URL changes nothing.
    """
    if not url or len(url) > MAX_URL_CHARS:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a malformed IPv6 literal or a port out of range
        return None
    if parts.scheme not in _DEFAULT_PORTS:
        return None
    host = canonical_host(parts.hostname)
    if host is None:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        netloc += f":{port}"
    try:  # courlan cleans the path and query; the host is ours (courlan turns punycode back into Unicode)
        # escapes first: an escaped "." is a dot segment for courlan too ("/%2E%2E" is "/..")
        cleaned = urlsplit(courlan_normalize(parts._replace(path=_escapes(parts.path), fragment=""), strict=False))
    except Exception:  # courlan raises on odd inputs; such a URL identifies nothing
        return None
    return urlunsplit((parts.scheme, netloc, cleaned.path or "/", cleaned.query, ""))


def is_http(url: str | None) -> bool:
    """Whether `url` is an http(s) URL (it may still be too malformed to normalize)."""
    try:
        return bool(url) and urlsplit(url or "").scheme.lower() in _DEFAULT_PORTS
    except ValueError:
        return False


# Hosts repeat across a crawl (one site, thousands of pages): their lookups are remembered, boundedly.
@lru_cache(maxsize=4096)
def registered_domain(host: str) -> str | None:
    """The domain `host` was registered under, by the Public Suffix List (m.example.vn -> example.vn,
    foo.github.io -> foo.github.io); None for an IP address, a public suffix itself or an unknown suffix."""
    canonical = canonical_host(host)
    if canonical is None or ":" in canonical or canonical.replace(".", "").isdigit():
        return None
    # The list spells most IDN rules in Unicode: look the host up that way.
    labels = []
    for label in canonical.split("."):
        try:
            labels.append(idna.ulabel(label) if label.startswith("xn--") else label)
        except (idna.IDNAError, UnicodeError):
            labels.append(label)
    found = get_tld(".".join(labels), fail_silently=True, as_object=True, fix_protocol=True,
                    parser_class=_BundledSuffixList)
    if found is None or isinstance(found, str) or found.fld == found.tld:
        return None
    return str(found.fld)


def same_site(host: str, other: str) -> bool:
    """Whether two hosts belong to one publisher: the same registered domain, or the same host when
    there is none (IP addresses, names under no known suffix)."""
    a, b = canonical_host(host), canonical_host(other)
    if a is None or b is None:
        return False
    if a == b:
        return True
    domain = registered_domain(a)
    return domain is not None and domain == registered_domain(b)


def identity(url: str | None, claims: Iterable[str | None] = ()) -> str | None:
    """The URL a page is known by. For a page fetched over http(s): its first claimed canonical URL on
    the same site (an AMP or mobile page names its desktop page), else the fetched URL, normalized. For
    a page not fetched (a local file, no URL): its first claimed URL, else `url` as it is."""
    fetched = normalize_url(url)
    claimed = [c for c in (absolute_claim(url, claim) for claim in claims) if c]
    if fetched is None:
        return url if is_http(url) else (claimed[0] if claimed else url)
    host = urlsplit(fetched).hostname or ""
    return next((c for c in claimed if same_site(urlsplit(c).hostname or "", host)), fetched)


def absolute_claim(base: str | None, claim: str | None) -> str | None:
    """A URL a page states (canonical link, og:url), resolved against `base` and normalized; None if unusable."""
    claim = (claim or "").strip()
    if not claim:
        return None
    try:
        return normalize_url(urljoin(base or "", claim))
    except ValueError:
        return None


def site_of(url: str | None) -> str:
    """The site of an http(s) URL: its normalized host without "www." ("" for other URLs and none)."""
    if not is_http(url):
        return ""
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return ""
    return site_key(host)


def site_key(host: str | None) -> str:
    """The site a host stands for, safe as a folder name: the normalized host without "www.", an IPv6
    address as its eight groups joined by "-" (folder names must not hold ":"); "" for no valid host."""
    canonical = canonical_host(host)
    if canonical is None:
        return ""
    if ":" in canonical:
        return "-".join(f"{int(group, 16):x}" for group in ipaddress.IPv6Address(canonical).exploded.split(":"))
    return canonical.removeprefix("www.")
