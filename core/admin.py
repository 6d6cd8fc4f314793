"""Django admin for UNODA administrators. Writes go through services so they are audited."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from core import audit, services
from core.errors import WorkflowError
from core.models import (
    ApiToken,
    AuditEntry,
    Invitation,
    Membership,
    MemberState,
    Organisation,
    User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Every save and delete in the admin leaves an audit entry."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        verb = "updated" if change else "created"
        audit.record(
            f"{obj._meta.label_lower}.{verb}",
            actor=request.user,
            obj=obj,
            data={"fields": sorted(form.changed_data), "via": "admin"},
            request=request,
        )

    def delete_model(self, request, obj):
        audit.record(
            f"{obj._meta.label_lower}.deleted",
            actor=request.user,
            obj=obj,
            data={"via": "admin"},
            request=request,
        )
        super().delete_model(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class PlatformUserAdmin(AuditedAdmin, UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Platform", {"fields": ("language", "is_demo")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "language", "is_active")


@admin.register(MemberState)
class MemberStateAdmin(ReadOnlyAdmin):
    list_display = ("name", "iso3", "m49", "regional_group", "region", "subregion", "status")
    list_filter = ("regional_group", "region", "status")
    search_fields = ("name", "iso2", "iso3")


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("acronym", "name", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("acronym", "name")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = (
        "user",
        "role",
        "state",
        "organisation",
        "created_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("role", "state__regional_group")
    search_fields = ("user__username", "user__email", "state__name")
    actions = ["revoke"]

    @admin.action(description="Revoke the selected roles")
    def revoke(self, request, queryset):
        for membership in queryset.filter(revoked_at__isnull=True):
            try:
                services.revoke_membership(membership=membership, by=request.user)
            except WorkflowError as exc:
                self.message_user(request, f"{membership}: {exc.message}", messages.ERROR)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = (
        "email",
        "role",
        "state",
        "organisation",
        "created_at",
        "expires_at",
        "accepted_at",
    )
    list_filter = ("role",)
    search_fields = ("email",)
    exclude = ("token_hash",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "object_label", "state", "ip_address")
    list_filter = ("action", "state__regional_group")
    search_fields = ("action", "actor_label", "object_label", "object_id")
    date_hierarchy = "at"
