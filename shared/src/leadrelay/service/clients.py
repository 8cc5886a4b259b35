"""Who a request comes from: the peer, or behind a trusted proxy, the client it forwarded for."""

from __future__ import annotations

from ipaddress import ip_address

from fastapi import Request


def client_ip(request: Request, trusted_proxies: list[str]) -> str:
    """Return the client's IP: X-Forwarded-For is read only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if not forwarded or peer not in trusted_proxies:
        return peer
    # Walk from the nearest hop back; the first address that is not one of our proxies is the client.
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            ip_address(hop)
        except ValueError:
            return peer
        if hop not in trusted_proxies:
            return hop
    return peer
