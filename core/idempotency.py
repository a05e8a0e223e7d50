"""Idempotency keys for API writes: a client that retries a POST (a timeout, a flaky network)
with the same `Idempotency-Key` header gets the first response back, and the thing is created
once. The same key with a different request is refused; a key whose first request is still
running answers 409. Keys are per client (token or session) and kept for a day."""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .api.errors import error_body
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP = timedelta(days=1)
METHODS = ("POST", "PATCH")


def _owner(request) -> str:
    credentials = request.headers.get("Authorization") or ""
    if not credentials and hasattr(request, "session"):
        credentials = "session:" + (request.session.session_key or "")
    return hashlib.sha256(credentials.encode()).hexdigest()


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}".encode())
    if (request.content_type or "").startswith("application/json"):
        digest.update(request.body)
    else:  # uploads: compare their size rather than read them twice
        digest.update(str(request.META.get("CONTENT_LENGTH", "")).encode())
    return digest.hexdigest()


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method not in METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not 1 <= len(key) <= 100 or not key.isprintable():
            return _error(
                400, "invalid_idempotency_key", _("The Idempotency-Key must be 1 to 100 printable characters.")
            )
        owner, fingerprint = _owner(request), _fingerprint(request)
        IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner=owner, key=key, method=request.method, path=request.path[:300], fingerprint=fingerprint
                )
        except IntegrityError:
            return self._replay(IdempotencyRecord.objects.get(owner=owner, key=key), fingerprint)
        response = self.get_response(request)
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()  # let the client try again with the same key
            return response
        record.status_code = response.status_code
        record.content = bytes(response.content)
        record.content_type = response.get("Content-Type", "")
        record.save(update_fields=["status_code", "content", "content_type"])
        return response

    @staticmethod
    def _replay(record: IdempotencyRecord, fingerprint: str):
        if record.fingerprint != fingerprint:
            return _error(422, "idempotency_key_reused", _("This Idempotency-Key was used for a different request."))
        if record.status_code is None:
            return _error(409, "request_in_progress", _("A request with this Idempotency-Key is still running."))
        response = HttpResponse(bytes(record.content), status=record.status_code, content_type=record.content_type)
        response["Idempotent-Replayed"] = "true"
        return response
