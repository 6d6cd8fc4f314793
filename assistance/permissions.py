"""Who may read and change needs, offers, matches, sponsorship and help requests."""

from __future__ import annotations

from assistance.models import DonorMixin, HelpRequest, Match, Need, SponsorshipApplication
from core.models import MemberState, Organisation, Role
from core.permissions import (
    AnyUser,
    active_memberships,
    is_administrator,
    is_unoda_staff,
    organisations_for,
    states_for,
)

#: A State's officials record its needs and talk to donors about them.
OFFICIAL_ROLES = (Role.STATE_EDITOR, Role.STATE_APPROVER)

Donor = tuple[MemberState | None, Organisation | None]


def donors_for(user: AnyUser) -> list[Donor]:
    """The donors (a State or an organisation) the user acts for as a donor."""
    return [(m.state, m.organisation) for m in active_memberships(user) if m.role == Role.DONOR]


def is_donor(user: AnyUser) -> bool:
    return bool(donors_for(user))


def acts_for_donor(user: AnyUser, obj: DonorMixin) -> bool:
    return (obj.donor_state, obj.donor_organisation) in donors_for(user)


def can_see_restricted_needs(user: AnyUser) -> bool:
    """Restricted fields of needs (description, cost, plan) are for governments, donors and
    UNODA; the public sees the theme, type, State and status."""
    return bool(is_unoda_staff(user) or states_for(user, *OFFICIAL_ROLES) or is_donor(user))


def can_record_need(user: AnyUser, state: MemberState) -> bool:
    return state in states_for(user, *OFFICIAL_ROLES)


def can_edit_need(user: AnyUser, need: Need) -> bool:
    """Only the State's officials change its needs, while they are not closed; donors never."""
    closed = (Need.Status.COMPLETED, Need.Status.WITHDRAWN)
    return need.status not in closed and can_record_need(user, need.state)


def can_express_interest(user: AnyUser, need: Need) -> bool:
    return is_donor(user) and need.status in (
        Need.Status.OPEN,
        Need.Status.IN_DISCUSSION,
        Need.Status.MATCHED,
    )


def side_in_match(user: AnyUser, match: Match) -> str | None:
    """ "donor", "state" or None: which party of the conversation the user speaks for."""
    if acts_for_donor(user, match):
        return "donor"
    if match.need.state in states_for(user, *OFFICIAL_ROLES):
        return "state"
    return None


def can_view_match(user: AnyUser, match: Match) -> bool:
    """The donor, the State and UNODA read a conversation; nobody else, other States
    included."""
    return is_unoda_staff(user) or side_in_match(user, match) is not None


def can_apply_for_sponsorship(user: AnyUser, state: MemberState) -> bool:
    return state in states_for(user, *OFFICIAL_ROLES)


def can_decide_sponsorship(user: AnyUser, application: SponsorshipApplication | None = None):
    """UNODA decides on applications within the fund's balance."""
    return is_unoda_staff(user)


def can_view_fund_statement(user: AnyUser) -> bool:
    """The balance, the totals and the list of contributions are for UNODA and donors."""
    return is_unoda_staff(user) or is_donor(user)


def can_contribute_to_fund(user: AnyUser) -> bool:
    return is_donor(user) or is_administrator(user)


def can_ask_for_help(user: AnyUser, state: MemberState) -> bool:
    return state in states_for(user, *OFFICIAL_ROLES)


def can_accept_help_request(user: AnyUser, help_request: HelpRequest) -> bool:
    """A person of an organisation (a UN regional centre, say) takes on an open request."""
    return help_request.status == HelpRequest.Status.OPEN and bool(organisations_for(user))


def can_grant_delegated_access(user: AnyUser, help_request: HelpRequest) -> bool:
    """Only the State's approver lets someone else into its draft."""
    return help_request.state in states_for(user, Role.STATE_APPROVER)
