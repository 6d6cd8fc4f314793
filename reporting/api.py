"""API: meetings, questionnaires and national reports (same services as the pages)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from core.i18n import current_language
from core.mfa import has_recent_mfa
from core.models import MemberState, Role
from core.permissions import states_for
from reporting import exports, permissions, services
from reporting.models import (
    AnalysisEdition,
    Answer,
    Comment,
    Cycle,
    Meeting,
    Question,
    QuestionnaireVersion,
    Report,
    Section,
)
from reporting.questionnaire_io import QUESTION_FIELDS
from reporting.revisions import diff_answers
from reporting.selectors import (
    answers_for_reader,
    answers_with_derived,
    editions_visible_to,
    meetings_queryset,
    published_questionnaires,
    questionnaire_structure,
    reads_live_answers,
    reports_visible_to,
)
from reporting.services import analysis as analysis_services


class CycleSerializer(serializers.ModelSerializer):
    questionnaire = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

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
        fields = list(QUESTION_FIELDS)


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
    """An answer; a reader of the published revision gets no revision, date or author."""

    key = serializers.CharField(source="question.key")
    revision = serializers.IntegerField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = Answer
        fields = ["key", "value", "revision", "updated_at", "updated_by"]


class RevisionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReportDetailSerializer(ReportSerializer):
    answers = serializers.SerializerMethodField()
    revisions = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "answers", "revisions"]

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, report: Report) -> list[dict]:
        """Live answers for the State and UNODA; the published revision for others."""
        user = self.context["request"].user
        if reads_live_answers(user, report):
            return AnswerSerializer(report.answers.all(), many=True).data
        values, _revisions = answers_for_reader(user, report)
        return [
            {"key": k, "value": v, "revision": None, "updated_at": None, "updated_by": None}
            for k, v in values.items()
        ]

    @extend_schema_field(RevisionSummarySerializer(many=True))
    def get_revisions(self, report: Report) -> list[dict]:
        if not reads_live_answers(self.context["request"].user, report):
            return []
        return RevisionSummarySerializer(report.revisions.all(), many=True).data


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()
    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "question_key",
            "parent",
            "author",
            "body",
            "is_return_message",
            "created_at",
        ]


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    question_key = serializers.CharField(max_length=60, required=False, allow_blank=True)
    parent = serializers.IntegerField(required=False, allow_null=True)


class ReturnSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)


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

    def _transition(self, change, **kwargs):
        report = change(self.get_object(), by=self.request.user, **kwargs)
        return Response(ReportSerializer(report).data)

    @extend_schema(request=ReturnSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_clarification(self, request, pk=None):
        """UNODA returns a submitted report to the State with a message."""
        incoming = ReturnSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return self._transition(services.return_report, message=incoming.validated_data["message"])

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """UNODA accepts and publishes a submitted report."""
        return self._transition(services.publish_report)

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        """The State opens an amendment of its published report."""
        return self._transition(services.amend_report)

    @extend_schema(
        parameters=[OpenApiParameter("a", int), OpenApiParameter("b", str)],
        responses={
            200: inline_serializer(
                "RevisionDiff", {"changes": serializers.ListField(child=serializers.DictField())}
            )
        },
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        """Answers that differ between revisions `a` and `b` (a number, or `now`)."""
        report = self.get_object()
        if not reads_live_answers(request.user, report):
            raise exceptions.NotFound()
        old, new = (self._answers(report, request.query_params.get(p, "")) for p in ("a", "b"))
        _sections, questions = questionnaire_structure(report.questionnaire)
        changes = diff_answers(questions, old, new, language=current_language())
        return Response({"changes": [vars(c) for c in changes]})

    def _answers(self, report: Report, which: str) -> dict:
        if which == "now":
            return answers_with_derived(report)
        revision = report.revisions.filter(number=int(which) if which.isdigit() else -1).first()
        if revision is None:
            raise exceptions.ValidationError({"revision": ["Give a revision number or now."]})
        return revision.answers

    @extend_schema(methods=["GET"], responses={200: CommentSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=CommentCreateSerializer, responses={201: CommentSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, pk=None):
        """Comments between the State and UNODA (never public)."""
        report = self.get_object()
        if not permissions.can_comment_on_report(request.user, report):
            raise exceptions.NotFound()
        if request.method == "GET":
            return Response(
                CommentSerializer(report.comments.select_related("author"), many=True).data
            )
        incoming = CommentCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        parent = (
            report.comments.filter(pk=data.get("parent")).first() if data.get("parent") else None
        )
        if data.get("parent") and parent is None:
            raise exceptions.ValidationError({"parent": ["No such comment on this report."]})
        comment = services.add_comment(
            report,
            by=request.user,
            body=data["body"],
            question_key=data.get("question_key", ""),
            parent=parent,
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("lang", str)],
        responses={
            200: inline_serializer(
                "ReportExport",
                {
                    "id": serializers.IntegerField(),
                    "state": serializers.DictField(),
                    "cycle": serializers.DictField(),
                    "meeting": serializers.DictField(),
                    "questionnaire": serializers.CharField(),
                    "status": serializers.CharField(),
                    "visibility": serializers.CharField(),
                    "language": serializers.CharField(),
                    "display_language": serializers.CharField(),
                    "submitted_at": serializers.DateTimeField(allow_null=True),
                    "published_at": serializers.DateTimeField(allow_null=True),
                    "answers": serializers.DictField(),
                },
            )
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The report as the JSON export (answers with readable values in `lang`)."""
        report = self.get_object()
        return Response(exports.report_json(report, language=_language(request), user=request.user))

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


def _language(request) -> str:
    code = request.query_params.get("lang", "")
    return code if code in settings.LANGUAGE_CODES else current_language()


class CycleExportViewSet(viewsets.GenericViewSet):
    """A cycle's published answers as CSV, one row per State (public and restricted reports
    according to the caller, like the pages)."""

    permission_classes = [AllowAny]
    queryset = Cycle.objects.select_related("meeting", "questionnaire")

    @extend_schema(
        parameters=[OpenApiParameter("lang", str)], responses={(200, "text/csv"): OpenApiTypes.STR}
    )
    @action(detail=True, methods=["get"], url_path="export")
    def export_csv(self, request, pk=None):
        cycle = self.get_object()
        lines = exports.cycle_csv_lines(cycle, user=request.user, language=_language(request))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="cycle-{cycle.pk}.csv"'
        return response


class SummarySerializer(serializers.ModelSerializer):
    """An edition of the analysis of national reports (a "summary" job)."""

    meeting = serializers.IntegerField(source="cycle.meeting_id", read_only=True)
    edition = serializers.CharField(source="kind", read_only=True)
    progress = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = AnalysisEdition
        fields = [
            "id",
            "meeting",
            "language",
            "edition",
            "trigger",
            "status",
            "progress",
            "chunks_total",
            "chunks_done",
            "page_count",
            "checksum",
            "size",
            "build_seconds",
            "requested_at",
            "finished_at",
            "published_at",
            "error",
            "download_url",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, edition: AnalysisEdition) -> str | None:
        if edition.status != AnalysisEdition.Status.DONE:
            return None
        path = reverse("reporting:edition-download", args=[edition.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class SummaryRequestSerializer(serializers.Serializer):
    meeting = serializers.PrimaryKeyRelatedField(
        queryset=Meeting.objects.filter(cycle__isnull=False)
    )
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    edition = serializers.ChoiceField(choices=AnalysisEdition.Kind.choices)


class SummaryViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The analysis of national reports for a meeting: UNODA starts a build (a job) and
    follows its progress; everyone reads the published public editions."""

    serializer_class = SummarySerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return editions_visible_to(self.request.user)

    @extend_schema(request=SummaryRequestSerializer, responses={202: SummarySerializer})
    def create(self, request, *args, **kwargs):
        if not permissions.can_build_analysis(request.user):
            raise exceptions.PermissionDenied()
        incoming = SummaryRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        edition = analysis_services.request_edition(
            cycle=data["meeting"].cycle,
            language=data["language"],
            kind=data["edition"],
            by=request.user,
        )
        body = SummarySerializer(edition, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)
