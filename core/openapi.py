"""The OpenAPI schema documents the errors every endpoint can answer, not only its success.

drf-spectacular lists the success response of each operation. Clients (and the schemathesis
run in the tests) also need the errors the API gives through `core.api.exception_handler`,
the throttles and the request-wide middleware: a body that is not valid (400), a missing or
bad token (401), a refusal (403), an unknown or invisible object (404), a workflow conflict
(409), a body too large (413) and too many requests (429).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ErrorSerializer(serializers.Serializer):
    """The body of every error but a validation error: a sentence and, for workflow
    errors, a code and details (`conflicts`, `missing`, `errors`)."""

    detail = serializers.CharField(help_text=_("What went wrong, as a sentence."))
    code = serializers.CharField(
        required=False, help_text=_("A stable code for programs, such as not_editable.")
    )


#: A 400 body: each field's messages by field name, or `detail` (and `code`) for the whole
#: request (malformed JSON, a workflow rule).
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": True,
    "description": "Messages by field name, or `detail` for the whole request.",
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the error responses of each operation."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for code, response in self._error_responses(operation).items():
            operation["responses"].setdefault(code, response)
        return operation

    def _error_responses(self, operation: dict[str, Any]) -> dict[str, Any]:
        def error(code: str, description: str) -> dict[str, Any]:
            response = self._get_response_for_code(ErrorSerializer, code)
            return {**response, "description": description}

        parameters = operation.get("parameters", [])
        takes_input = (
            "requestBody" in operation
            or self.method in UNSAFE_METHODS  # a workflow rule can refuse a value (400)
            or any(p["in"] == "query" for p in parameters)
        )
        responses: dict[str, Any] = {}
        if takes_input:
            responses["400"] = {
                **self._get_response_for_code(VALIDATION_ERROR_SCHEMA, "400"),
                "description": str(_("The request is not valid; the response body says why.")),
            }
        responses["401"] = error(
            "401", str(_("Credentials are missing, or the API token is invalid or has expired."))
        )
        responses["403"] = error("403", str(_("You may not do this.")))
        if any(p["in"] == "path" for p in parameters):
            responses["404"] = error(
                "404", str(_("There is no such object, or you may not see it."))
            )
        if self.method in UNSAFE_METHODS:
            responses["409"] = error(
                "409", str(_("The object's current state does not allow this change."))
            )
        if "requestBody" in operation:
            responses["413"] = error("413", str(_("The request body is too large.")))
        responses["429"] = error("429", str(_("Too many requests; try again later.")))
        return responses
