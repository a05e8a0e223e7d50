"""Streams a queryset to .xlsx or .csv as a download."""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from .spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, write_csv, write_xlsx

EXPORT_FORMATS = ("xlsx", "csv")
EXPORT_MAX_ROWS = 50_000


def check_file_format(file_format: str) -> str:
    if file_format not in EXPORT_FORMATS:
        raise ValidationError({"file_format": [_("Choose xlsx or csv.")]})
    return file_format


def export_response(*, headers, rows, basename: str, file_format: str, actor=None) -> HttpResponse:
    """The download; every export is written to the audit log (who exported what, how many rows)."""
    from . import audit

    check_file_format(file_format)
    rows = list(rows)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "xlsx":
        body, content_type = write_xlsx(headers, rows, title=basename), XLSX_CONTENT_TYPE
    else:
        body, content_type = write_csv(headers, rows), CSV_CONTENT_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.{file_format}"'
    if actor is not None:
        audit.record(actor, "export", actor, what=basename, rows=len(rows), file_format=file_format)
    return response
