"""Admin for meetings and questionnaires. Published questionnaire versions are read-only;
copying and publishing go through the services (audited, validated)."""

from django.contrib import admin, messages
from django.utils import timezone

from core.admin import AuditedAdmin, ReadOnlyAdmin
from core.errors import WorkflowError
from reporting.models import Cycle, Meeting, Question, QuestionnaireVersion, Report, Section
from reporting.questionnaire_io import copy_version, publish_version


class CycleInline(admin.StackedInline):
    model = Cycle
    extra = 0
    max_num = 1
    can_delete = False


@admin.register(Meeting)
class MeetingAdmin(AuditedAdmin):
    list_display = ("__str__", "kind", "number", "start_date", "end_date", "venue")
    list_filter = ("kind",)
    inlines = [CycleInline]


class DraftOnlyMixin:
    """Objects of a published questionnaire version never change."""

    def _version(self, obj):
        return obj if isinstance(obj, QuestionnaireVersion) else getattr(obj, "version", None)

    def has_change_permission(self, request, obj=None) -> bool:
        version = self._version(obj) if obj is not None else None
        if version is not None and version.status != QuestionnaireVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(DraftOnlyMixin, AuditedAdmin):
    list_display = ("code", "__str__", "status", "published_at", "based_on")
    list_filter = ("status",)
    fields = ("code", "title", "status", "based_on", "published_at")
    readonly_fields = ("status", "based_on", "published_at")
    actions = ["publish", "copy_as_draft"]

    @admin.action(description="Publish the selected draft versions")
    def publish(self, request, queryset):
        for version in queryset:
            try:
                publish_version(version, by=request.user)
            except WorkflowError as exc:
                problems = getattr(exc, "problems", [])
                self.message_user(
                    request, f"{version.code}: {exc.message} {' '.join(problems)}", messages.ERROR
                )

    @admin.action(description="Copy the selected versions as new drafts")
    def copy_as_draft(self, request, queryset):
        for version in queryset:
            code = f"{version.code}-draft-{timezone.now():%Y%m%d%H%M%S}"[:40]
            try:
                copy_version(version, code=code, by=request.user)
            except WorkflowError as exc:
                self.message_user(request, f"{version.code}: {exc.message}", messages.ERROR)


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = (
        "key",
        "number",
        "position",
        "type",
        "required",
        "paragraph",
        "text",
        "help",
        "options",
        "config",
        "condition",
    )


@admin.register(Section)
class SectionAdmin(DraftOnlyMixin, AuditedAdmin):
    list_display = ("__str__", "version", "position")
    list_filter = ("version",)
    inlines = [QuestionInline]

    def save_formset(self, request, form, formset, change):
        for question in formset.save(commit=False):
            question.version = form.instance.version
            question.save()
        formset.save_m2m()


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("state", "cycle", "status", "visibility", "language", "updated_at")
    list_filter = ("status", "visibility", "cycle", "state__regional_group")
    search_fields = ("state__name",)
