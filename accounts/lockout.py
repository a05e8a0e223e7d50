"""Sign-in lockout (django-axes): repeated failures lock the account and the client address.

Every credential check goes through `django.contrib.auth.authenticate(request=...)`: the web
sign-in, `/admin/login/`, the API token, and the old password on both password-change pages.
`axes.backends.AxesStandaloneBackend` refuses a locked account or address before the password is
tried, so the right password is refused too until the cool-off ends. Failures are counted by
username and by address separately (`AXES_LOCKOUT_PARAMETERS`): many accounts from one address
(LOGIN_ADDRESS_FAILURE_LIMIT, higher: people share addresses), or one account from many addresses
(LOGIN_FAILURE_LIMIT), both lock. The address is `core.net.client_ip`, which
believes `X-Forwarded-For` only from `TRUSTED_PROXIES`.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

from core.api.errors import error_body

LOCKED_MESSAGE = _("Too many failed sign-in attempts. Try again in %(minutes)s minutes.")
PERMANENTLY_LOCKED_MESSAGE = _("Too many failed sign-in attempts. Ask a platform administrator to unlock the account.")


def cooloff_seconds() -> int | None:
    cooloff = settings.AXES_COOLOFF_TIME
    return int(cooloff.total_seconds()) if cooloff else None


def lockout_message() -> str:
    seconds = cooloff_seconds()
    if seconds is None:
        return str(PERMANENTLY_LOCKED_MESSAGE)
    return str(LOCKED_MESSAGE) % {"minutes": max(1, round(seconds / 60))}


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, but a successful sign-in clears only that account's failures from
    that address. Axes' own reset deletes every failure matching the username *or* the address,
    so an attacker holding any valid account could sign in to it between guesses at someone
    else's password and never be locked out."""

    def get_failures(self, request, credentials=None) -> int:
        """The failures that count towards the lock, on axes' scale (locked at AXES_FAILURE_LIMIT):
        the account's own, or the address's (any account) scaled so that the address locks at
        LOGIN_ADDRESS_FAILURE_LIMIT. One per AXES_LOCKOUT_PARAMETERS entry, in its order."""
        from django.db.models import Sum

        by_account, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        account_limit = settings.AXES_FAILURE_LIMIT
        address_limit = max(settings.LOGIN_ADDRESS_FAILURE_LIMIT, 1)
        return max(by_account, by_address * account_limit // address_limit)

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


class LockedOut(exceptions.Throttled):
    """The API's answer to a locked account or address: 429 in the one error format."""

    default_code = "locked_out"

    def __init__(self):
        super().__init__(wait=cooloff_seconds())
        self.detail = exceptions.ErrorDetail(lockout_message(), self.default_code)


def lockout_response(request, original_response=None, credentials=None):
    """`AXES_LOCKOUT_CALLABLE`: what a locked-out web or admin sign-in (or password change) sees."""
    seconds = cooloff_seconds()
    if request.path.startswith("/api/"):
        extra = {"retry_after_seconds": seconds} if seconds else {}
        response = JsonResponse(
            error_body("locked_out", lockout_message(), **extra), status=status.HTTP_429_TOO_MANY_REQUESTS
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": lockout_message(), "title": gettext("Sign-in locked")},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
