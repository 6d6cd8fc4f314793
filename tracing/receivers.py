"""What tracing does when reporting says a report was published."""

from django.dispatch import receiver

from reporting.signals import report_published
from tracing.services import propose_updates_from_report, update_marking_from_report


@receiver(report_published)
def use_published_report(sender, report, revision, **kwargs) -> None:
    propose_updates_from_report(report, revision.answers)
    update_marking_from_report(report, revision.answers)
