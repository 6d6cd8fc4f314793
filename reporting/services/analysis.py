"""Starting and publishing editions of the analysis of national reports."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.errors import WorkflowError
from core.models import User
from reporting import permissions
from reporting.models import AnalysisEdition, Cycle

Edition = AnalysisEdition
LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _queue_build(edition: Edition) -> None:
    from reporting.tasks import build_analysis_edition  # tasks import this module

    # robust: if the broker is down now, the edition stays queued and the beat task
    # resume_stalled_editions sends it again; the request that asked for it still succeeds.
    transaction.on_commit(lambda: build_analysis_edition.delay(edition.pk), robust=True)


@transaction.atomic
def request_edition(
    *,
    cycle: Cycle,
    language: str,
    kind: str,
    by: User | None,
    trigger: str = Edition.Trigger.MANUAL,
) -> Edition:
    """Queue a new edition; the ones built before stay as they are."""
    if by is not None and not permissions.can_build_analysis(by):
        raise WorkflowError(_("Only UNODA builds the analysis."), code="forbidden")
    if language not in LANGUAGES:
        raise WorkflowError(_("Choose one of the six languages."), code="invalid")
    if kind not in Edition.Kind.values:
        raise WorkflowError(_("Choose the public or the staff edition."), code="invalid")
    edition = Edition.objects.create(
        cycle=cycle, language=language, kind=kind, trigger=trigger, requested_by=by
    )
    audit.record(
        "reporting.analysis.requested",
        actor=by,
        obj=edition,
        data={"language": language, "kind": kind, "trigger": trigger},
    )
    _queue_build(edition)
    return edition


@transaction.atomic
def publish_edition(edition: Edition, *, by: User) -> Edition:
    """Show a finished public edition to everyone, on the meeting's analysis page."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if not permissions.can_build_analysis(by):
        raise WorkflowError(_("Only UNODA publishes the analysis."), code="forbidden")
    if edition.status != Edition.Status.DONE or not edition.is_public:
        raise WorkflowError(_("Only a finished public edition can be published."))
    if edition.published_at is None:
        edition.published_at = timezone.now()
        edition.save(update_fields=["published_at"])
        audit.record("reporting.analysis.published", actor=by, obj=edition)
    return edition


def _automatic(cycle: Cycle, trigger: str) -> list[Edition]:
    made = []
    for language in settings.ANALYSIS_LANGUAGES:
        for kind in Edition.Kind.values:
            try:
                with transaction.atomic():
                    made.append(
                        request_edition(
                            cycle=cycle, language=language, kind=kind, by=None, trigger=trigger
                        )
                    )
            except IntegrityError:  # built already for this trigger
                continue
    return made


def schedule_automatic_editions(today: datetime.date | None = None) -> list[Edition]:
    """Editions due `ANALYSIS_DAYS_BEFORE_MEETING` days before each coming meeting, and
    once a cycle's deadline has passed (within the last month, so that old cycles are not
    rebuilt on a new installation). Each automatic build happens once."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=settings.ANALYSIS_DAYS_BEFORE_MEETING)
    made = []
    for cycle in Cycle.objects.filter(meeting__start_date__gt=today, meeting__start_date__lte=soon):
        made += _automatic(cycle, Edition.Trigger.BEFORE_MEETING)
    recent = today - datetime.timedelta(days=31)
    for cycle in Cycle.objects.filter(deadline__lt=today, deadline__gte=recent):
        made += _automatic(cycle, Edition.Trigger.AFTER_DEADLINE)
    return made
