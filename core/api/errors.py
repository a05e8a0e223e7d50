"""One JSON error format for every 4xx (and 5xx) answer of the API:

    {"error": {"code": "validation_error", "message": "...", "fields": {"title": ["..."]}}}

`fields` maps input field names to messages (nested for nested input); extra keys such as
`rows` (spreadsheet import) sit beside them.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource is not in a state that allows this action."


class ImportRejected(exceptions.APIException):
    """A spreadsheet with bad rows: carries every row error."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "import_invalid"

    def __init__(self, message: str, rows: list[dict]):
        super().__init__(message, self.default_code)
        self.rows = rows


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}, **extra}}


def _flatten_fields(detail):
    if isinstance(detail, dict):
        return {key: _flatten_fields(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten_fields(item) for item in detail]
    return str(detail)


def _used_by(exc) -> list[dict]:
    """What keeps a record from being deleted, as kinds and counts (never the titles: the
    user may not be allowed to see the records that use it)."""
    objects = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or ()
    counts: dict = {}
    for obj in objects:
        counts[obj._meta] = counts.get(obj._meta, 0) + 1
    return [
        {
            "kind": meta.label_lower,
            "name": str(meta.verbose_name if count == 1 else meta.verbose_name_plural),
            "count": count,
        }
        for meta, count in sorted(counts.items(), key=lambda item: item[0].label_lower)
    ]


def api_exception_handler(exc, context):
    extra = {}
    if isinstance(exc, (ProtectedError, RestrictedError)):
        # A delete that would orphan other records (on_delete=PROTECT / RESTRICT), wherever it
        # is raised: 409 with what uses the record.
        extra["used_by"] = _used_by(exc)
        uses = ", ".join(f"{u['count']} {u['name']}" for u in extra["used_by"])
        exc = Conflict(_("This cannot be deleted while other records use it: %(uses)s.") % {"uses": uses}, "in_use")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = _flatten_fields(detail)
        non_field = fields.get("non_field_errors")
        message = non_field[0] if non_field else _("The input is not valid: see the field messages.")
        code = "validation_error"
    else:
        fields = {}
        detail = exc.detail
        message = detail if isinstance(detail, str) else _flatten_fields(detail)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
    if isinstance(exc, ImportRejected):
        extra["rows"] = exc.rows
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after_seconds"] = int(exc.wait)
    response.data = error_body(code, message, fields, **extra)
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def json_404(request, exception=None):
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def json_500(request):
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(error_body("server_error", _("Internal server error.")), status=500)


def json_400(request, exception=None):
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)


def json_403(request, exception=None):
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse(error_body("permission_denied", _("You do not have permission to do this.")), status=403)


def render_error(code: str, message: str, http_status: int, **extra) -> Response:
    return Response(error_body(code, message, **extra), status=http_status)
