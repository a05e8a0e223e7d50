import datetime
from decimal import Decimal

import django_filters as filters
from django import forms
from django.utils.translation import gettext_lazy as _
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


class _TrueOrFalseField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        kwargs.pop("empty_value", None)
        super().__init__(choices=[("true", "true"), ("false", "false")], coerce=lambda value: value == "true", **kwargs)

    def clean(self, value):
        if value == "":  # `?is_high_tech=` is a value the schema does not allow, not "no filter"
            message = self.error_messages["invalid_choice"]
            raise forms.ValidationError(message, code="invalid_choice", params={"value": ""})
        return super().clean(value)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.BooleanFilter):
    """`?flag=true` or `?flag=false`; anything else is a 400 naming the parameter (django-filter's
    BooleanFilter quietly ignores a value it cannot read, so a typo returned every row)."""

    field_class = _TrueOrFalseField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, widget=forms.TextInput, **kwargs)


class IntegerFilter(filters.NumberFilter):
    """A whole-number filter (`?trl_min=6`): NumberFilter reads decimals, so `?trl_min=0.5` passed
    although the schema says integer."""

    field_class = forms.IntegerField


_TEXT_FILTERS = (filters.CharFilter, filters.ModelChoiceFilter, filters.ModelMultipleChoiceFilter)


class StrictFilterSet(filters.FilterSet):
    """A parameter given with no value (`?updated_after=`, `?trl_min=`) is refused with a 400
    naming it, unless the filter takes text: django-filter reads an empty value as "no filter",
    which hid a client's mistake behind the whole list."""

    def is_valid(self):
        form = self.form
        if form.is_bound and form.errors is not None:
            getlist = getattr(self.data, "getlist", lambda name: [self.data.get(name)])
            for name, declared in self.filters.items():
                if not isinstance(declared, _TEXT_FILTERS) and "" in getlist(name) and name not in form.errors:
                    form.add_error(name, _("Give a value, or leave the parameter out."))
        return form.is_valid()


# Wider than the range a stored date may have (core.validators): a search for "after 2999" is
# harmless and simply finds nothing; only years next to 1 and 9999 overflow in time-zone arithmetic.
FILTER_EARLIEST = datetime.date(1000, 1, 1)
FILTER_LATEST = datetime.date(9000, 12, 31)


def _problem(value) -> str | None:
    """Why a cleaned filter value cannot go to the database, or None."""
    if isinstance(value, (list, tuple)):
        return next((p for p in map(_problem, value) if p), None)
    if isinstance(value, (datetime.date, datetime.datetime)):
        day = value.date() if isinstance(value, datetime.datetime) else value
        if not FILTER_EARLIEST <= day <= FILTER_LATEST:
            return _("Give a date between %(earliest)s and %(latest)s.") % {
                "earliest": FILTER_EARLIEST.isoformat(),
                "latest": FILTER_LATEST.isoformat(),
            }
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return _("The number is out of range.") if abs(value) > MAX_ID else None


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, plus one rule for every filter of every list: a number beyond
    the 64-bit range of the database, or a date outside years 1000-9000 (a datetime in year 1 or
    9999 overflows when converted to UTC), is a 400 naming the parameter, not a 500."""

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
