"""Model permissions for the Django admin follow the UNODA administrator role."""

from django.contrib.auth.backends import BaseBackend

from core.permissions import is_administrator


class AdministratorRoleBackend(BaseBackend):
    """Grants every model permission to active UNODA administrators; nothing to others.

    It authenticates no one: allauth's backend does that.
    """

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return user_obj.is_active and is_administrator(user_obj)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return user_obj.is_active and is_administrator(user_obj)
