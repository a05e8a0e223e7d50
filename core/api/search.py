from django.utils.translation import gettext_lazy as _
from rest_framework.filters import BaseFilterBackend

from core.search import apply_search


class ChineseAwareSearchFilter(BaseFilterBackend):
    """`?search=` over the row's search document; Chinese queries are segmented with jieba.

    Results are ordered by relevance unless the client asks for an explicit `ordering`.
    """

    param = "search"

    def filter_queryset(self, request, queryset, view):
        query = request.query_params.get(self.param, "")
        queryset, searched = apply_search(
            queryset,
            query,
            title_field=getattr(view, "search_title_field", "title"),
            document_field=getattr(view, "search_document_field", "search_document"),
        )
        if searched and not request.query_params.get("ordering"):
            queryset = queryset.order_by("-search_rank", "-id")
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Full-text search in Chinese or English; every word must occur (title matches rank first).")
                ),
                "schema": {"type": "string"},
            }
        ]
