"""The client's address, as the rate limits count it: the socket's peer, unless that peer is
a proxy the operator trusts (QUARTIER_TRUSTED_PROXIES); then X-Forwarded-For, read from the
right, past the trusted proxies. Whatever a client writes further left is its own claim.

uvicorn's own proxy-headers handling trusts 127.0.0.1 by default and rewrites the peer
before the app sees it; `quartier serve` turns it off so that this is the only rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cached_property, lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# Parsed once per spelling (bounded: X-Forwarded-For hops are the client's to write).
@lru_cache(maxsize=4096)
def _address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    # Node and dual-stack sockets write IPv4 peers as ::ffff:a.b.c.d.
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


class ClientAddresses:
    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.trusted_proxies = tuple(trusted_proxies)

    @cached_property
    def networks(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies)

    def is_trusted(self, raw: str) -> bool:
        address = _address(raw)
        return address is not None and any(address in network for network in self.networks)

    def of(self, connection: HTTPConnection) -> str | None:
        peer = connection.client.host if connection.client else None
        if peer is None or not self.is_trusted(peer):
            return _normal(peer)
        hops = [
            hop.strip()
            for header in connection.headers.getlist("x-forwarded-for")
            for hop in header.split(",")
        ]
        client = peer
        for hop in reversed(hops):
            if _address(hop) is None:
                # Garbage: the last trusted proxy's peer is all we know.
                break
            client = hop
            if not self.is_trusted(hop):
                break
        return _normal(client)


@lru_cache(maxsize=4096)
def _normal(raw: str | None) -> str | None:
    """One spelling per address, so that one client has one counter."""
    address = _address(raw) if raw is not None else None
    return str(address) if address is not None else raw
