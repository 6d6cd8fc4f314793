"""Who may read and keep the national points of contact."""

from core.models import MemberState, Role
from core.permissions import AnyUser, is_unoda_staff, states_for


def sees_all_contact_fields(user: AnyUser) -> bool:
    """Government officials of any State and UNODA see e-mail and phone; the public sees
    what each State chose."""
    return is_unoda_staff(user) or bool(states_for(user, Role.STATE_EDITOR, Role.STATE_APPROVER))


def can_edit_contacts(user: AnyUser, state: MemberState) -> bool:
    """The State's approver and editors, and UNODA (which keeps the directory)."""
    return is_unoda_staff(user) or state in states_for(user, Role.STATE_EDITOR, Role.STATE_APPROVER)
