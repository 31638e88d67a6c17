"""OpenAPI schema: every operation documents the one error shape it can answer with."""

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers


class ErrorOutput(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `session_full`.")
    message = serializers.CharField(help_text="A sentence written for the person.")
    # Named as the contract names it; the serializer's own `fields` property is unaffected
    # because declared fields are collected by the metaclass.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field; only on 400.",
    )


class AutoSchema(openapi.AutoSchema):
    """Adds the error responses a view can give, read from what the view is.

    A view names its domain errors (409, 503, ...) in `error_statuses`; input,
    filters, path parameters and throttles add 400, 404 and 429 on their own.
    """

    def _error_statuses(self) -> set[int]:
        statuses = set(getattr(self.view, "error_statuses", ()))
        if self.method in {"POST", "PUT", "PATCH"} or getattr(self.view, "filterset_class", None):
            statuses.add(400)
        if "{" in self.path or self._is_list_view():
            statuses.add(404)  # unknown id, or a page past the end
        if getattr(self.view, "throttle_classes", None):
            statuses.add(429)
        return statuses

    def _get_response_bodies(self, direction: openapi.Direction = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status in sorted(self._error_statuses()):
            responses.setdefault(
                str(status), self._get_response_for_code(ErrorOutput, str(status), None, direction)
            )
        responses.setdefault(
            "default", self._get_response_for_code(ErrorOutput, "default", None, direction)
        )
        return responses
