"""What assistance does when reporting says a report was published."""

from django.dispatch import receiver

from assistance.tasks import record_report_needs
from reporting.signals import report_published


@receiver(report_published)
def queue_report_needs(sender, report, revision, **kwargs) -> None:
    """Queued, so that a failure here never touches the publication (the task retries)."""
    record_report_needs.delay(report.pk)
