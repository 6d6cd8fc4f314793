"""The one signal reporting sends to its readers (STYLE.md): a report was published.

`report_published` is sent after the transaction that published the report has committed,
with `sender=Report`, `report` (the Report) and `revision` (the ReportRevision now public).
Tracing offers the report's contacts as directory updates; assistance records its needs.
"""

from django.dispatch import Signal

report_published = Signal()
