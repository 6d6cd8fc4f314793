"""API: the directory of national points of contact (fields as the caller may see them)."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from core.models import MemberState
from core.permissions import states_for
from tracing.models import REQUEST_FIELDS, ContactPoint, MarkingPractice, TracingRequest
from tracing.requests import (
    OFFICIAL_ROLES,
    acknowledge_request,
    answer_request,
    close_request,
    request_information,
    requests_visible_to,
    send_request,
)
from tracing.selectors import marking_catalogue, visible_contact


class ContactPointSerializer(serializers.ModelSerializer):
    state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)
    contact = serializers.SerializerMethodField()
    possibly_outdated = serializers.BooleanField(read_only=True)

    class Meta:
        model = ContactPoint
        fields = [
            "id",
            "state",
            "kind",
            "same_as_poa",
            "contact",
            "last_confirmed_at",
            "possibly_outdated",
        ]

    @extend_schema_field(serializers.DictField())
    def get_contact(self, contact: ContactPoint) -> dict:
        """Only the fields the caller may see: e-mail and phone for officials and UNODA,
        unless the State made them public."""
        return visible_contact(self.context["request"].user, contact)


class ContactPointViewSet(viewsets.ReadOnlyModelViewSet):
    """National points of contact of every State."""

    serializer_class = ContactPointSerializer
    permission_classes = [AllowAny]
    filterset_fields = ["kind", "state__iso3"]

    def get_queryset(self):
        return ContactPoint.objects.select_related("state").order_by("state__name", "kind")


class MarkingPracticeSerializer(serializers.ModelSerializer):
    state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)

    class Meta:
        model = MarkingPractice
        fields = [
            "state",
            "manufacture_required",
            "manufacture_elements",
            "country_code",
            "manufacture_methods",
            "import_required",
            "import_mark_format",
            "import_mark_year",
            "state_held_marked",
            "alteration_measures",
            "updated_at",
        ]


class MarkingPracticeViewSet(viewsets.ReadOnlyModelViewSet):
    """How States mark small arms. `?search=` finds a country code or import mark."""

    serializer_class = MarkingPracticeSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return marking_catalogue(
            self.request.user, text=self.request.query_params.get("search", "")
        )


class TracingRequestSerializer(serializers.ModelSerializer):
    requesting_state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)
    requested_state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)

    class Meta:
        model = TracingRequest
        fields = [
            "id",
            "requesting_state",
            "requested_state",
            "status",
            *REQUEST_FIELDS,
            "outcome",
            "answer",
            "created_at",
            "answered_at",
        ]


class TracingRequestCreateSerializer(serializers.ModelSerializer):
    requested_state = serializers.SlugRelatedField(
        slug_field="iso3", queryset=MemberState.objects.all()
    )

    class Meta:
        model = TracingRequest
        fields = ["requested_state", *REQUEST_FIELDS]


class InformationRequestSerializer(serializers.Serializer):
    """What the requested State needs to know; the service refuses a blank message."""

    message = serializers.CharField(max_length=10000, allow_blank=True, default="")


class TracingAnswerSerializer(serializers.Serializer):
    """The outcome and the answer; the service refuses a blank answer."""

    outcome = serializers.ChoiceField(choices=TracingRequest.Outcome.choices)
    answer = serializers.CharField(max_length=10000, allow_blank=True, default="")


class TracingRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Requests between the caller's State and another; any other caller gets 404."""

    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return requests_visible_to(self.request.user).order_by("-created_at")

    def get_serializer_class(self):
        return (
            TracingRequestCreateSerializer
            if self.action == "create"
            else (TracingRequestSerializer)
        )

    def create(self, request, *args, **kwargs):
        incoming = TracingRequestCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        own = states_for(request.user, *OFFICIAL_ROLES)
        if not own:
            raise exceptions.PermissionDenied()
        created = send_request(
            by=request.user, from_state=own[0], to_state=data.pop("requested_state"), data=data
        )
        return Response(TracingRequestSerializer(created).data, status=status.HTTP_201_CREATED)

    def _act(self, change, **kwargs):
        return Response(
            TracingRequestSerializer(change(self.get_object(), by=self.request.user, **kwargs)).data
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._act(acknowledge_request)

    def _body(self, serializer_class: type[serializers.Serializer]) -> dict:
        """The request body checked by `serializer_class` (its type, length, no NUL), after
        the 404 for a request the caller may not see."""
        self.get_object()
        incoming = serializer_class(data=self.request.data)
        incoming.is_valid(raise_exception=True)
        return incoming.validated_data

    @extend_schema(request=InformationRequestSerializer)
    @action(detail=True, methods=["post"], url_path="request-information")
    def request_information(self, request, pk=None):
        body = self._body(InformationRequestSerializer)
        return self._act(request_information, message=body["message"])

    @extend_schema(request=TracingAnswerSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        body = self._body(TracingAnswerSerializer)
        return self._act(answer_request, outcome=body["outcome"], answer=body["answer"])

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._act(close_request)
