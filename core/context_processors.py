"""Values every page's shell needs: the navigation the user is entitled to."""

from django.http import HttpRequest

from core import permissions
from core.models import Role


def shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "people": permissions.is_administrator(user)
            or bool(permissions.states_for(user, Role.STATE_APPROVER)),
            "audit": permissions.can_view_audit_log(user),
            "admin": permissions.is_administrator(user),
            "unread": user.notifications.unread().count(),
            "reports": bool(
                permissions.states_for(user, Role.STATE_EDITOR, Role.STATE_APPROVER, Role.ASSISTANT)
            ),
        }
    }
