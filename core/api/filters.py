import django_filters as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class CodeMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    """`?field=a&field=b`: rows whose reference (by code) is any of the given codes."""

    def __init__(self, *, relation: str, **kwargs):
        super().__init__(field_name=f"{relation}__code", to_field_name="code", **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(filters.ModelChoiceFilter):
    def __init__(self, *, relation: str, **kwargs):
        super().__init__(field_name=relation, to_field_name="code", **kwargs)
