from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle


class WriteRateThrottle(UserRateThrottle):
    """Limits writes (POST/PUT/PATCH/DELETE) per user; reads are not throttled here."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


class AuthRateThrottle(ScopedRateThrottle):
    scope_attr = "throttle_scope"
