from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle

from core.net import client_ip


class ClientAddressMixin:
    """Anonymous callers are counted by their address (core.net.client_ip): X-Forwarded-For
    only from a trusted proxy, never as the client wrote it."""

    def get_ident(self, request):
        return client_ip(request)


class WriteRateThrottle(ClientAddressMixin, UserRateThrottle):
    """Limits writes (POST/PUT/PATCH/DELETE) per user; reads are not throttled here."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


class AuthRateThrottle(ClientAddressMixin, ScopedRateThrottle):
    scope_attr = "throttle_scope"
