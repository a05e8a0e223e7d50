import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

WHOLE_NUMBER = re.compile(r"[0-9]+")  # ASCII digits only ("²".isdigit() is true, int("²") fails)


class StandardPagination(PageNumberPagination):
    """Page-number pagination that refuses what it cannot read (`page_size=abc`, `page=`,
    the parameter given twice) with a 400 naming the parameter, instead of quietly using the
    default: the schema says both are positive integers, and a client that sent something else
    should hear so. A page size above `max_page_size` is capped, as documented, and a page
    beyond the last is a 404, however large the number: neither reaches the database."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def _positive(self, request, name: str) -> int | None:
        values = request.query_params.getlist(name)
        if not values:
            return None
        digits = values[0].lstrip("0") if len(values) == 1 else ""
        if len(values) > 1 or not WHOLE_NUMBER.fullmatch(values[0]) or not digits:
            raise ValidationError({name: [_("A whole number of at least 1, please.")]})
        # past 20 digits the number only needs to be "huge" (int() refuses 4,300+ digits)
        return int(digits) if len(digits) <= 20 else 10**20

    def get_page_size(self, request):
        size = self._positive(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        return self._positive(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
