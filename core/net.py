"""The client's address, for sign-in lockouts and rate limits.

`X-Forwarded-For` is set by whoever sends the request, so it is believed only when the request
comes from a proxy listed in `TRUSTED_PROXIES` (addresses or networks). Then the header is read
from the right, skipping trusted proxies: the first address that is not one of them is the one
the outermost trusted proxy saw, and a client cannot forge it (whatever it puts in the header
stays to the left of it). With no trusted proxy configured (the default) the address is
`REMOTE_ADDR`, whatever the header says.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _parse(value: str):
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:51000
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _is_trusted(address, networks) -> bool:
    if address is None:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def client_ip(request) -> str:
    """The client's IP address as a string (see the module docstring)."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not networks or not _is_trusted(_parse(remote), networks):
        return remote
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:  # garbage where a trusted proxy should have written an address
            return remote
        if not _is_trusted(address, networks):
            return str(address)
    return str(_parse(hops[0])) if hops else remote
