"""OpenAPI post-processing: the schema must not depend on the database backend.

Django derives integer bounds from the backend (SQLite and PostgreSQL differ), and
drf-spectacular copies them into the schema; the committed schema drops those
backend-specific bounds so it is the same everywhere."""

BACKEND_LIMITS = {32767, 2147483647, 9223372036854775807, -32768, -2147483648, -9223372036854775808}


def _strip(node):
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for bound in ("maximum", "minimum"):
                if node.get(bound) in BACKEND_LIMITS:
                    del node[bound]
            if node.get("format") == "int64":
                del node["format"]
        for value in node.values():
            _strip(value)
    elif isinstance(node, list):
        for value in node:
            _strip(value)


def drop_backend_integer_limits(result, generator, request, public):
    _strip(result)
    return result
