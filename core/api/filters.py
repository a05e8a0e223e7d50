from decimal import Decimal

import django_filters as filters
from django.utils.translation import gettext as _
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from core.ids import MAX_ID


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class CodeMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    """`?field=a&field=b`: rows whose reference (by code) is any of the given codes."""

    def __init__(self, *, relation: str, **kwargs):
        super().__init__(field_name=f"{relation}__code", to_field_name="code", **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(filters.ModelChoiceFilter):
    def __init__(self, *, relation: str, **kwargs):
        super().__init__(field_name=relation, to_field_name="code", **kwargs)


def _out_of_range(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_out_of_range(item) for item in value)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return False
    return value.is_finite() and abs(value) > MAX_ID if isinstance(value, Decimal) else abs(value) > MAX_ID


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, plus one rule for every filter of every list: a number beyond
    the 64-bit range of the database is a 400 naming the parameter (SQLite raises OverflowError
    for it, which was a 500)."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        errors = {
            name: [_("The number is out of range.")]
            for name, value in filterset.form.cleaned_data.items()
            if _out_of_range(value)
        }
        if errors:
            raise ValidationError(errors)
        return filterset.qs
