"""URL normalization and safety checks."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

from courlan import normalize_url


def normalize(url: str, base: str | None = None) -> str | None:
    """Absolute, normalized http(s) URL without fragment or tracking parameters; None if not one."""
    url = url.strip()
    if not url:
        return None
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        normalized = normalize_url(url, strict=False)
    except Exception:  # courlan raises on odd inputs; such a URL is not crawlable
        return None
    return str(normalized).split("#", 1)[0]


def refusal(url: str, allow_private: bool) -> str | None:
    """Why `url` must not be fetched (scheme, or a private/loopback address: SSRF), or None when it may."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme!r} is not http(s)"
    host = parts.hostname
    if not host:
        return "no host"
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved or address.is_multicast:
            return f"{host} resolves to a non-public address {address}"
    return None
