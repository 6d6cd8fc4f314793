"""API error mapping and the States endpoint."""

from __future__ import annotations

from django.core.exceptions import FieldError
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import audit
from core.errors import WorkflowError
from core.i18n import region_name
from core.models import MemberState
from core.selectors import states_queryset

#: WorkflowError codes that are not conflicts with the report's state.
FORBIDDEN_CODES = {"forbidden", "mfa_required"}


def workflow_error_body(exc: WorkflowError) -> tuple[dict, int]:
    """The JSON body and status for a WorkflowError: 400 for invalid values (with `errors`
    by key), 403 for a refusal, otherwise 409 (with `conflicts`, `missing` when known)."""
    body = {"detail": exc.message, "code": exc.code}
    for extra in ("errors", "conflicts", "missing"):
        if hasattr(exc, extra):
            body[extra] = getattr(exc, extra)
    if exc.code == "invalid":
        return body, status.HTTP_400_BAD_REQUEST
    if exc.code in FORBIDDEN_CODES:
        return body, status.HTTP_403_FORBIDDEN
    return body, status.HTTP_409_CONFLICT


#: Refusals of the caller (401, 403): each is a denial for the security log.
DENIALS = (
    exceptions.PermissionDenied,
    exceptions.NotAuthenticated,
    exceptions.AuthenticationFailed,
)


def exception_handler(exc, context):
    """WorkflowError → 400/403/409 (see workflow_error_body); Django's PermissionDenied →
    403. Denials are audited: 401, 403, and a 404 for an object that exists but is hidden
    from the caller (another State's, say)."""
    request = context.get("request")
    if isinstance(exc, WorkflowError):
        body, code = workflow_error_body(exc)
        if code == status.HTTP_403_FORBIDDEN and request is not None:
            audit.record_denial(request, reason=exc.code)
        return Response(body, status=code)
    recorded = getattr(exc, "recorded", False)  # raised through core.views.deny
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    hidden = isinstance(exc, Http404 | exceptions.NotFound) and hidden_object_exists(
        context.get("view")
    )
    if request is not None and not recorded and (isinstance(exc, DENIALS) or hidden):
        audit.record_denial(request, reason="not visible" if hidden else type(exc).__name__)
    return drf_exception_handler(exc, context)


def hidden_object_exists(view) -> bool:
    """Whether the object a detail endpoint answered 404 for exists all the same: then the
    caller may not see it (the endpoint reads through a selector scoped to the caller)."""
    field = getattr(view, "lookup_field", None)
    value = getattr(view, "kwargs", {}).get(getattr(view, "lookup_url_kwarg", None) or field)
    if not field or value is None:
        return False
    try:
        model = view.get_queryset().model
        return model._base_manager.filter(**{field: value}).exists()
    except (ValueError, TypeError, DjangoValidationError, FieldError):
        return False  # not even a valid key: nothing was hidden
    except exceptions.APIException:
        return False  # the caller's credentials fail too (a 404 for the format, say)


class MemberStateSerializer(serializers.ModelSerializer):
    region_name = serializers.SerializerMethodField()
    subregion_name = serializers.SerializerMethodField()

    class Meta:
        model = MemberState
        fields = [
            "iso2",
            "iso3",
            "m49",
            "name",
            "names",
            "status",
            "region",
            "region_name",
            "subregion",
            "intermediate_region",
            "subregion_name",
            "regional_group",
            "takes_part_in",
            "admitted_on",
        ]

    def get_region_name(self, obj: MemberState) -> str:
        return region_name(obj.region)

    def get_subregion_name(self, obj: MemberState) -> str:
        return obj.subregion_name


class MemberStateViewSet(viewsets.ReadOnlyModelViewSet):
    """The 193 Member States and 2 observer States, with names in the six languages."""

    serializer_class = MemberStateSerializer
    permission_classes = [AllowAny]
    pagination_class = None
    lookup_field = "iso3"
    filterset_fields = ["regional_group", "region", "subregion", "status"]

    def get_queryset(self):
        return states_queryset()
