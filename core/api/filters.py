import datetime
from decimal import Decimal

import django_filters as filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from core.ids import MAX_ID
from core.validators import validate_plausible_date


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class CodeMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    """`?field=a&field=b`: rows whose reference (by code) is any of the given codes."""

    def __init__(self, *, relation: str, **kwargs):
        super().__init__(field_name=f"{relation}__code", to_field_name="code", **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(filters.ModelChoiceFilter):
    def __init__(self, *, relation: str, **kwargs):
        super().__init__(field_name=relation, to_field_name="code", **kwargs)


def _problem(value) -> str | None:
    """Why a cleaned filter value cannot go to the database, or None."""
    if isinstance(value, (list, tuple)):
        return next((p for p in map(_problem, value) if p), None)
    if isinstance(value, (datetime.date, datetime.datetime)):
        try:
            validate_plausible_date(value)
        except DjangoValidationError as exc:
            return exc.messages[0]
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return _("The number is out of range.") if abs(value) > MAX_ID else None


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, plus one rule for every filter of every list: a number beyond
    the 64-bit range of the database, or a date outside the plausible range (a datetime in year 1
    or 9999 overflows when converted to UTC), is a 400 naming the parameter, not a 500."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        problems = {name: _problem(value) for name, value in filterset.form.cleaned_data.items()}
        errors = {name: [problem] for name, problem in problems.items() if problem}
        if errors:
            raise ValidationError(errors)
        return filterset.qs
