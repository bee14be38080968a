"""URL normalization and the address policy: which hosts the crawler may reach (SSRF guard)."""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from cleaners.urls import normalize_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def _networks(*cidrs: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Link-local and cloud metadata addresses hand out credentials to whoever asks from inside the
# machine (a redirect to 169.254.169.254 was followed once `--allow-private` opened everything):
# refused under every setting except one that names them explicitly.
METADATA_NETWORKS = _networks(
    "169.254.0.0/16",  # IPv4 link-local: AWS, GCP, Azure, OCI, DigitalOcean metadata at 169.254.169.254
    "fe80::/10",  # IPv6 link-local
    "fd00:ec2::254/128",  # AWS instance metadata over IPv6 (inside fc00::/7, which `private` opens)
    "100.100.100.200/32",  # Alibaba Cloud metadata (inside 100.64.0.0/10, which `private` opens)
    "168.63.129.16/32",  # Azure WireServer: a public-looking address that answers only inside Azure
)
LOOPBACK_NETWORKS = _networks("127.0.0.0/8", "::1/128")
# RFC 1918, carrier-grade NAT (RFC 6598) and IPv6 unique-local: what an intranet uses.
PRIVATE_NETWORKS = LOOPBACK_NETWORKS + _networks("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                 "100.64.0.0/10", "fc00::/7")
# IPv6 forms that carry an IPv4 address inside (NAT64 well-known prefix); 6to4 and Teredo are read by ipaddress.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_OFF = frozenset({"", "0", "false", "no", "none"})
_PRIVATE = frozenset({"1", "true", "yes", "private"})


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Non-public addresses the crawler may reach besides the public internet (none by default)."""

    opened: tuple[IPNetwork, ...] = ()  # from the words `loopback` and `private`: never metadata
    named: tuple[IPNetwork, ...] = ()  # addresses and CIDRs given explicitly: metadata too
    setting: str = ""

    def permits(self, address: IPAddress) -> bool:
        """Whether `address` may be connected to (every IPv4 address it embeds is checked too)."""
        return all(self._permits_one(a) for a in _embedded(address))

    def _permits_one(self, address: IPAddress) -> bool:
        if any(address in n for n in self.named):
            return True
        if any(address in n for n in METADATA_NETWORKS):
            return False
        if any(address in n for n in self.opened):
            return True
        return address.is_global and not address.is_multicast

    def why_not(self, address: IPAddress) -> str:
        """What kind of address this is, for the refusal message."""
        for a in _embedded(address):
            if self._permits_one(a):
                continue
            if any(a in n for n in METADATA_NETWORKS):
                return f"{a} is a link-local or cloud metadata address (reachable only when named explicitly)"
            if any(a in n for n in LOOPBACK_NETWORKS):
                return f"{a} is a loopback address (reachable with the `loopback` setting)"
            if any(a in n for n in PRIVATE_NETWORKS):
                return f"{a} is a private address (reachable with the `private` setting)"
            return f"{a} is not a public address"
        return f"{address} is allowed"


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 addresses it wraps (mapped, 6to4, Teredo, NAT64): each must be allowed."""
    if not isinstance(address, ipaddress.IPv6Address):
        return [address]
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    found: list[IPAddress] = [address]
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.append(address.teredo[1])
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


@functools.lru_cache(maxsize=64)
def address_policy(setting: str) -> AddressPolicy:
    """Parse the address setting: `loopback`, `private` (`1`/`true`), addresses or CIDRs, comma-separated.

    `private` opens loopback and the private networks, never link-local or metadata addresses; those
    are reachable only when named (`169.254.169.254`). An empty setting (or `0`/`false`) opens nothing.
    """
    opened: list[IPNetwork] = []
    named: list[IPNetwork] = []
    for item in re.split(r"[,\s]+", setting.strip().lower()):
        if item in _OFF:
            continue
        if item in _PRIVATE:
            opened.extend(PRIVATE_NETWORKS)
        elif item == "loopback":
            opened.extend(LOOPBACK_NETWORKS)
        else:
            try:
                named.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError as exc:
                raise ValueError(f"address setting {item!r}: not `loopback`, `private`, an address or a CIDR") from exc
    return AddressPolicy(tuple(dict.fromkeys(opened)), tuple(named), setting.strip())


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a URL is not fetched: kind is `scheme`, `address` or `dns` (the host does not resolve)."""

    kind: str
    message: str


def scheme_refusal(url: str) -> Refusal | None:
    """A refusal when `url` is not http(s) with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return Refusal("scheme", f"scheme {parts.scheme!r} is not http(s)")
    if not parts.hostname:
        return Refusal("scheme", "no host")
    return None


def address_refusal(host: str, addresses: list[str], policy: AddressPolicy) -> Refusal | None:
    """A refusal when any address `host` resolves to is outside the policy (one bad answer is enough)."""
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
        if not policy.permits(address):
            return Refusal("address", f"{host} resolves to {address}: {policy.why_not(address)}")
    return None
