"""Refuse query parameters with NUL bytes before any view sees them: PostgreSQL cannot store or
compare text holding NUL, so a `?q=%00` reaching a filter was a server error."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RefuseNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in value for _name, values in request.GET.lists() for value in values):
            message = _("A parameter holds a NUL character, which no text may contain.")
            if request.path.startswith("/api/"):
                from core.api.errors import error_body

                return JsonResponse(error_body("bad_request", message), status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
