"""URL normalization and safety checks."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

from cleaners.urls import normalize_url


def normalize(url: str, base: str | None = None) -> str | None:
    """Absolute, normalized http(s) URL without fragment or tracking parameters; None if not one.

    The form is the page's identity (cleaners.urls.normalize_url): the URL a page is fetched and
    recorded under is the one its doc_id is made from.
    """
    url = url.strip()
    if not url:
        return None
    if base:
        try:
            url = urljoin(base, url)
        except ValueError:  # a malformed IPv6 literal in the link
            return None
    return normalize_url(url)


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
