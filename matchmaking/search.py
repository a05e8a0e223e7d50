"""Free-text search over published achievements with the production ranker."""

from .embeddings import encode_query_spaces
from .engine import Record
from .ranking import achievement_ranker


def _language(text: str) -> str:
    han = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return "zh-hans" if han else "en"


def search_achievements(query: str, *, limit: int = 20) -> list[dict]:
    ranker = achievement_ranker()
    if not ranker.ids:
        return []
    record = Record(id=None, body=query, language=_language(query))
    vectors = encode_query_spaces([query])
    hits = ranker.rank([record], query_vectors=vectors, top_k=limit)[0]
    results = []
    for hit in hits:
        if hit.components.get("lexical", 0) == 0 and hit.components.get("dense", 0) < 0.3:
            continue  # nothing in common with the query
        document = ranker.documents[hit.index]
        results.append(
            {
                "score": hit.score,
                "components": hit.components,
                "shared_terms": ranker.shared_terms(record, hit.index),
                "achievement": {
                    "id": document.id,
                    "title": document.title,
                    "field": document.attrs.get("field"),
                    "trl": document.attrs.get("trl"),
                },
            }
        )
    return results
