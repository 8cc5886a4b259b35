"""Which webhook targets may be called: public addresses only, unless an operator allow-listed the network."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


class TargetRefused(ValueError):
    """A target URL that must not be called; the message says why, naming no resolved address."""


def parse_networks(values: Iterable[str]) -> list[Network]:
    """Parse allow-listed networks (`10.0.0.0/8`, `127.0.0.1`); a typo raises ValueError naming the value."""
    networks = []
    for value in values:
        try:
            networks.append(ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not a network (for example 10.0.0.0/8 or 127.0.0.1)") from None
    return networks


def check_url(url: str) -> tuple[str, int]:
    """Return the host and port of a webhook URL, or raise TargetRefused for one that is not plain http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("the URL must be http or https")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not carry credentials (the signature authenticates the sender)")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("the URL's port is not a number from 1 to 65535") from None
    return parts.hostname, port


def refusal(address: Address, allowed: Sequence[Network]) -> str | None:
    """Why a resolved address must not be called, or None when it may."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    if any(address.version == network.version and address in network for network in allowed):
        return None
    for kind, hit in (
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a reserved", address.is_reserved or address.is_unspecified),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
    ):
        if hit:
            return f"the host resolves to {kind} address (allow its network in LEADRELAY_DELIVERY_ALLOWED_TARGETS)"
    return None


def check_addresses(addresses: Iterable[str], allowed: Sequence[Network]) -> None:
    """Raise TargetRefused unless every address a host resolves to may be called (one bad one is enough)."""
    found = [ip_address(a.split("%", 1)[0]) for a in addresses]
    if not found:
        raise TargetRefused("the host does not resolve")
    for address in found:
        reason = refusal(address, allowed)
        if reason:
            raise TargetRefused(reason)
