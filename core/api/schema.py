"""OpenAPI generation: what every operation can answer, and a schema that does not depend on the
database backend.

`ApiAutoSchema` documents, on every operation, the error answers it can give (all in the one error
format of `core.api.errors`, the shared `Error` component), derived from the view itself: who may
call it, what it reads, what throttles it. It also paginates only `list` actions, the only ones
DRF paginates: extra actions (`bids/`, `meetings/`, `history/`, ...) answer plain arrays.

Django derives integer bounds from the backend (SQLite and PostgreSQL differ), and
drf-spectacular copies them into the schema; the committed schema drops those
backend-specific bounds so it is the same everywhere."""

from http import HTTPStatus

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.permissions import AllowAny

from .throttling import WriteRateThrottle

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

ERROR_MEANINGS = {
    400: "The input is not valid: `error.fields` names each bad field.",
    401: "Not signed in, or the token is not valid.",
    403: "Signed in, but not allowed to do this.",
    404: "No such record, or one you may not see (hidden records answer as missing).",
    409: "The record is not in a state that allows this (or was changed meanwhile).",
    413: "The upload is larger than the limit.",
    415: "The request body's media type is not accepted.",
    429: "Too many requests: wait `error.retry_after_seconds` seconds.",
}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="machine-readable, e.g. `validation_error`, `not_found`")
    message = serializers.CharField(help_text="in the reader's language")
    fields = serializers.DictField(help_text="input field -> messages (nested for nested input)")
    rows = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="spreadsheet import: {row, column, message}"
    )
    retry_after_seconds = serializers.IntegerField(required=False, help_text="throttled: when to try again")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()

    class Meta:
        ref_name = "Error"


def decimal_pattern(field: serializers.DecimalField) -> str:
    """What the field accepts as a string: at least one digit (drf-spectacular's own pattern lets
    the empty string through), no minus sign when negative amounts are refused."""
    places = field.decimal_places or 0
    whole = "+" if field.max_digits is None else f"{{1,{field.max_digits - places}}}"
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    fraction = rf"(?:\.\d{{0,{places}}})?" if places else ""
    only_fraction = rf"|\.\d{{1,{places}}}" if places else ""
    return rf"^{sign}(?:\d{whole}{fraction}{only_fraction})$"


class ApiAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.DecimalField) and "pattern" in schema:
            schema["pattern"] = decimal_pattern(field)
        return schema

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if getattr(field, "read_only", False) and getattr(field, "default", empty) is None:
            # `CharField(source="district.code", read_only=True, default=None)` answers null when
            # the relation is empty: say so, whether or not the field also says allow_null
            meta["nullable"] = True
        return meta

    def map_parsers(self):
        """JSON is the API's request format: DRF also parses forms, but a form cannot carry the
        nested lists and objects many bodies have, so only uploads (views that take no JSON)
        document multipart."""
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def _get_paginator(self):
        if getattr(self.view, "action", "list") != "list":
            return None  # DRF paginates only ListModelMixin.list; extra actions answer arrays
        return super()._get_paginator()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_statuses():
            responses.setdefault(str(code), self._error_response(code))
        return responses

    def _error_response(self, code: int) -> dict:
        """A reference to the shared response component for this status (registered once)."""
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        component = ResolvedComponent(
            name=HTTPStatus(code).phrase.replace(" ", ""),
            type=ResolvedComponent.RESPONSE,
            object=f"error-{code}",
            schema={"description": ERROR_MEANINGS[code], "content": {"application/json": {"schema": error}}},
        )
        self.registry.register_on_missing(component)
        return component.ref

    def error_statuses(self) -> list[int]:
        """The 4xx answers this operation can give, from how the view is built."""
        view, method = self.view, self.method
        body = self._get_request_body() if method not in SAFE_METHODS and method != "DELETE" else None
        has_body = bool(body)
        parameters = [p for p in self._get_parameters() if p.get("in") in ("query", "path")]
        codes = {401}  # a bad or expired token is refused on every operation, even open ones
        if method not in SAFE_METHODS or any(p["in"] == "query" for p in parameters):
            codes.add(400)  # bad input, or a write the record's state or references refuse
        if not all(isinstance(p, AllowAny) for p in view.get_permissions()):
            codes.add(403)
        if any(p["in"] == "path" for p in parameters) or self._get_paginator():
            codes.add(404)  # a missing or hidden record; a page beyond the last
        if method not in SAFE_METHODS:
            codes.add(409)
        if has_body:
            codes.add(415)
            if "application/json" not in body["content"]:
                codes.add(413)  # uploads (multipart only) have a size limit
        throttles = view.get_throttles()
        if any(not isinstance(t, WriteRateThrottle) for t in throttles) or (method not in SAFE_METHODS and throttles):
            codes.add(429)
        return sorted(codes)


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
