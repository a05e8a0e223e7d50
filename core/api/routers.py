from django.urls import register_converter
from rest_framework.routers import DefaultRouter

from core.ids import IdConverter

register_converter(IdConverter, "id")


class IdRouter(DefaultRouter):
    """Every viewset's `{pk}` goes through the `id` path converter (core.ids)."""

    include_format_suffixes = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, use_regex_path=False, **kwargs)
        self._default_value_pattern = "id"
