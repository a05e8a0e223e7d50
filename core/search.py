"""Full-text search that works for Chinese (no spaces between words) and English.

Each searchable row keeps a lower-cased `search_document` (title, keywords, body, owner).
A query is segmented with jieba into terms; a row matches when it contains every term, and
rows are ordered by a weighted count of where the terms occur (title and keywords count more).
Substring containment is what makes unsegmented Chinese documents searchable without a
segmentation step at write time.
"""

import re

from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from .text import FUNCTION_WORDS, jieba

MAX_TERMS = 12
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
STOPWORDS = FUNCTION_WORDS


def query_terms(query: str) -> list[str]:
    """Segment a query into distinct, lower-cased search terms."""
    text = (query or "").strip().lower()[:200]
    if not text:
        return []
    terms: list[str] = []
    for token in jieba().lcut(text):
        token = token.strip()
        if not token or _PUNCT.match(token) or token in STOPWORDS or token in terms:
            continue
        terms.append(token)
    if not terms and text and not _PUNCT.match(text):
        terms = [text]
    return terms[:MAX_TERMS]


def build_document(*parts) -> str:
    """The lower-cased text a row is searched by."""
    flat: list[str] = []
    for part in parts:
        if isinstance(part, (list, tuple)):
            flat.extend(str(p) for p in part if p)
        elif part:
            flat.append(str(part))
    return "\n".join(flat).lower()


def apply_search(queryset, query: str, *, title_field: str = "title", document_field: str = "search_document"):
    """Filter `queryset` to rows containing every query term; annotate `search_rank`. The
    document field is lower-cased text (`search_document`), or any text field (matched
    case-insensitively) for models without one."""
    terms = query_terms(query)
    if not terms:
        return queryset, False
    condition = Q()
    rank_parts = []
    for term in terms:
        lookup = "contains" if document_field == "search_document" else "icontains"
        condition &= Q(**{f"{document_field}__{lookup}": term})
        rank_parts.append(
            Case(
                When(_title_lower__contains=term, then=Value(3)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
    queryset = queryset.annotate(_title_lower=Lower(title_field)).filter(condition)
    rank = rank_parts[0]
    for part in rank_parts[1:]:
        rank = rank + part
    return queryset.annotate(search_rank=rank), True
