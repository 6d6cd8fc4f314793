"""Permission functions for meetings and cycles."""

from core.permissions import AnyUser, is_administrator


def can_manage_meetings(user: AnyUser) -> bool:
    """UNODA administrators create meetings and open the next reporting cycle."""
    return is_administrator(user)
