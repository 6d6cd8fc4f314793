"""Who may read and change meetings and national reports."""

from __future__ import annotations

from core.models import MemberState, Role
from core.permissions import AnyUser, is_administrator, is_unoda_staff, states_for
from reporting.models import Report

#: Roles that work on their State's drafts.
DRAFTING_ROLES = (Role.STATE_EDITOR, Role.STATE_APPROVER, Role.ASSISTANT)


def can_manage_meetings(user: AnyUser) -> bool:
    """UNODA administrators create meetings and open the next reporting cycle."""
    return is_administrator(user)


def can_manage_questionnaires(user: AnyUser) -> bool:
    return is_administrator(user)


def is_government_official(user: AnyUser) -> bool:
    """An editor or approver of any State: may read restricted published reports."""
    return bool(states_for(user, Role.STATE_EDITOR, Role.STATE_APPROVER))


def can_view_report(user: AnyUser, report: Report) -> bool:
    """UNODA sees every report; a State's officials and delegated assistants see their own
    State's reports in any status; published reports are public, or restricted to
    government officials and UNODA."""
    if is_unoda_staff(user) or report.state in states_for(user, *DRAFTING_ROLES):
        return True
    if report.published_at is None:
        return False
    return report.published_visibility == Report.Visibility.PUBLIC or is_government_official(user)


def can_review_report(user: AnyUser, report: Report) -> bool:
    """UNODA reviewers and administrators return, publish and comment as UNODA."""
    return is_unoda_staff(user)


def can_comment_on_report(user: AnyUser, report: Report) -> bool:
    """Comments are between the State and UNODA: never the public or other States."""
    return is_unoda_staff(user) or report.state in states_for(user, *DRAFTING_ROLES)


def can_amend_report(user: AnyUser, report: Report) -> bool:
    """The State's editors and approver open an amendment of a published report."""
    return report.state in states_for(user, Role.STATE_EDITOR, Role.STATE_APPROVER)


def can_create_report(user: AnyUser, state: MemberState) -> bool:
    """A State's editors and approver start its report."""
    return state in states_for(user, Role.STATE_EDITOR, Role.STATE_APPROVER)


def can_draft_report(user: AnyUser, report: Report) -> bool:
    """The State's editors, approver and live delegated assistants work on its reports,
    whatever their status (the status then says whether answers may change)."""
    return report.state in states_for(user, *DRAFTING_ROLES)


def can_edit_report(user: AnyUser, report: Report) -> bool:
    """The State's editors, approver and live delegated assistants, while the report is
    in an editable status."""
    return report.is_editable and can_draft_report(user, report)


def can_submit_report(user: AnyUser, report: Report) -> bool:
    """Only the State's approver (the designated point of contact or mission) submits."""
    return report.state in states_for(user, Role.STATE_APPROVER)


def can_build_analysis(user: AnyUser) -> bool:
    """UNODA builds and publishes the analysis of national reports."""
    return is_unoda_staff(user)


def can_download_edition(user: AnyUser, edition) -> bool:
    """Staff read every finished edition; everyone reads a published public edition."""
    if edition.status != edition.Status.DONE:
        return False
    return is_unoda_staff(user) or (edition.is_public and edition.published_at is not None)
