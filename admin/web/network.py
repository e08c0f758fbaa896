"""Who is on the other end of a request: the client's address and whether it came over TLS.

Forwarded headers are believed only from a configured trusted proxy; anyone else could forge them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

from admin.web.settings import IPNetwork


def _trusted(address: str | None, proxies: Sequence[IPNetwork]) -> bool:
    if not address or not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_ip(request: Request, proxies: Sequence[IPNetwork]) -> str | None:
    """The peer's address, or the nearest untrusted hop of X-Forwarded-For behind trusted proxies."""
    peer = request.client.host if request.client else None
    if not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):  # the right-most hops were added by our own proxies
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


def is_https(request: Request, proxies: Sequence[IPNetwork]) -> bool:
    """True over TLS, or when a trusted proxy says the client used TLS."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and _trusted(peer, proxies)
