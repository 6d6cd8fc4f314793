"""API: meetings, questionnaires and national reports (same services as the pages)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from core.mfa import has_recent_mfa
from core.models import MemberState, Role
from core.permissions import states_for
from reporting import services
from reporting.models import Answer, Cycle, Meeting, Question, QuestionnaireVersion, Report, Section
from reporting.selectors import meetings_queryset, published_questionnaires, reports_visible_to


class CycleSerializer(serializers.ModelSerializer):
    questionnaire = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Cycle
        fields = ["id", "opens_on", "deadline", "closes_on", "questionnaire"]


class MeetingSerializer(serializers.ModelSerializer):
    short_name = serializers.CharField(read_only=True)
    display_title = serializers.CharField(read_only=True)
    cycle = CycleSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "number",
            "short_name",
            "display_title",
            "start_date",
            "end_date",
            "venue",
            "cycle",
        ]


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    """PoA/ITI meetings and, where reports are due before them, their reporting cycles."""

    serializer_class = MeetingSerializer
    permission_classes = [AllowAny]
    pagination_class = None
    filterset_fields = ["kind"]

    def get_queryset(self):
        return meetings_queryset().select_related("cycle__questionnaire")


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = [
            "key",
            "number",
            "type",
            "text",
            "help",
            "required",
            "paragraph",
            "options",
            "config",
            "condition",
        ]


class SectionSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Section
        fields = ["key", "number", "title", "help", "questions"]


class QuestionnaireSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuestionnaireVersion
        fields = ["id", "code", "title", "published_at"]


class QuestionnaireDetailSerializer(QuestionnaireSerializer):
    sections = SectionSerializer(many=True, read_only=True)

    class Meta(QuestionnaireSerializer.Meta):
        fields = [*QuestionnaireSerializer.Meta.fields, "sections"]


class QuestionnaireViewSet(viewsets.ReadOnlyModelViewSet):
    """Published questionnaire versions, with their sections and questions."""

    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self):
        qs = published_questionnaires()
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                Prefetch(
                    "sections",
                    queryset=Section.objects.order_by("position").prefetch_related(
                        Prefetch("questions", queryset=Question.objects.order_by("position"))
                    ),
                )
            )
        return qs

    def get_serializer_class(self):
        return (
            QuestionnaireDetailSerializer if self.action == "retrieve" else QuestionnaireSerializer
        )


class ReportSerializer(serializers.ModelSerializer):
    state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)
    meeting = serializers.CharField(source="cycle.meeting.short_name", read_only=True)
    questionnaire = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "state",
            "cycle",
            "meeting",
            "questionnaire",
            "status",
            "visibility",
            "language",
            "created_at",
            "updated_at",
            "submitted_at",
            "published_at",
        ]


class AnswerSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="question.key")
    updated_by = serializers.StringRelatedField()

    class Meta:
        model = Answer
        fields = ["key", "value", "revision", "updated_at", "updated_by"]


class RevisionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReportDetailSerializer(ReportSerializer):
    answers = AnswerSerializer(many=True, read_only=True)
    revisions = RevisionSummarySerializer(many=True, read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "answers", "revisions"]


class ReportCreateSerializer(serializers.Serializer):
    state = serializers.SlugRelatedField(
        slug_field="iso3", queryset=MemberState.objects.all(), required=False
    )
    cycle = serializers.PrimaryKeyRelatedField(queryset=Cycle.objects.all())
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    prefill = serializers.BooleanField(default=False)


class AnswerChangeSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=60)
    value = serializers.JSONField(allow_null=True)
    revision = serializers.IntegerField(min_value=0)


class AnswersPatchSerializer(serializers.Serializer):
    answers = AnswerChangeSerializer(many=True, allow_empty=False, max_length=500)


class SubmitSerializer(serializers.Serializer):
    visibility = serializers.ChoiceField(choices=Report.Visibility.choices)


class ReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """National reports the caller may see. Drafts only to their State's officials."""

    permission_classes = [IsAuthenticated]
    filterset_fields = ["status", "cycle"]

    def get_queryset(self):
        qs = reports_visible_to(self.request.user).select_related("questionnaire")
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                Prefetch(
                    "answers",
                    queryset=Answer.objects.select_related("question", "updated_by").order_by(
                        "question__position"
                    ),
                ),
                "revisions",
            )
        return qs.order_by("-cycle__deadline", "state__name")

    def get_serializer_class(self):
        return {"retrieve": ReportDetailSerializer, "create": ReportCreateSerializer}.get(
            self.action, ReportSerializer
        )

    @extend_schema(request=ReportCreateSerializer, responses={201: ReportSerializer})
    def create(self, request, *args, **kwargs):
        incoming = ReportCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        own = states_for(request.user, Role.STATE_EDITOR, Role.STATE_APPROVER)
        state = data.get("state") or (own[0] if len(own) == 1 else None)
        if state is None:
            raise serializers.ValidationError({"state": ["Give the State (ISO3 code)."]})
        report = services.create_report(
            state=state,
            cycle=data["cycle"],
            by=request.user,
            language=data["language"],
            prefill=data["prefill"],
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AnswersPatchSerializer,
        responses={
            200: inline_serializer(
                "AnswersSaved",
                {
                    "revisions": serializers.DictField(child=serializers.IntegerField()),
                    "cleared": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    @action(detail=True, methods=["patch"])
    def answers(self, request, pk=None):
        """Save answers all-or-nothing. 400 names each bad key; 409 lists conflicting keys
        with their current values and revisions. Answers to questions that stop applying
        are cleared and listed in `cleared`."""
        report = self.get_object()
        incoming = AnswersPatchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        changes = [
            services.AnswerChange(a["key"], a["value"], a["revision"])
            for a in incoming.validated_data["answers"]
        ]
        result = services.save_answers(report, by=request.user, changes=changes, clear_hidden=True)
        return Response({"revisions": result.revisions, "cleared": result.cleared})

    @extend_schema(request=SubmitSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit (approver only, after a recent second-factor login in this session)."""
        report = self.get_object()
        incoming = SubmitSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        report = services.submit_report(
            report,
            by=request.user,
            visibility=incoming.validated_data["visibility"],
            mfa_verified=request.auth is None and has_recent_mfa(request._request),
        )
        return Response(ReportSerializer(report).data)
