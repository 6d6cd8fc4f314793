from django.contrib import admin

from core.admin import AuditedAdmin, ReadOnlyAdmin
from reporting.models import Cycle, Meeting, Report


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


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("state", "cycle", "status", "language", "updated_at")
    list_filter = ("status", "cycle", "state__regional_group")
    search_fields = ("state__name",)
