"""The public archive: published revisions only, searched and filtered as readers may see
them (restricted reports only for government officials and UNODA)."""

from __future__ import annotations

import json

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from core.models import User
from reporting.models import Report, ReportRevision
from reporting.selectors import reports_visible_to


def latest_published_revisions() -> QuerySet[ReportRevision]:
    """For each report, its last published revision (what the archive shows)."""
    latest = (
        ReportRevision.objects.filter(report=OuterRef("report"), status=Report.Status.PUBLISHED)
        .order_by("-number")
        .values("pk")[:1]
    )
    return ReportRevision.objects.filter(pk=Subquery(latest))


def archive_reports(
    user: User,
    *,
    text: str = "",
    answer_key: str = "",
    answer_value: str = "",
) -> QuerySet[Report]:
    """Published reports `user` may read, optionally matching a full-text query across their
    published answers and an answer to one question (e.g. import marking = yes)."""
    reports = reports_visible_to(user).published()
    revisions = latest_published_revisions()
    if text.strip():
        revisions = _search(revisions, text.strip())
    if answer_key and answer_value:
        revisions = revisions.annotate(
            chosen=Cast(KT(f"answers__{answer_key}"), TextField())
        ).filter(chosen=answer_value)
    if text.strip() or (answer_key and answer_value):
        reports = reports.filter(pk__in=revisions.values("report_id"))
    return reports.order_by("-cycle__deadline", "state__name")


def _search(revisions: QuerySet[ReportRevision], text: str) -> QuerySet[ReportRevision]:
    """PostgreSQL full-text search in production; a plain substring search on the embedded
    SQLite default."""
    if connection.vendor == "postgresql":
        as_text = Cast("answers", TextField())
        return revisions.annotate(document=SearchVector(as_text, config="simple")).filter(
            document=SearchQuery(text, config="simple", search_type="websearch")
        )
    # SQLite stores JSON with \\u escapes: compare decoded text in Python (the embedded
    # default holds little data).
    needle = text.casefold()
    matching = [
        pk
        for pk, answers in revisions.values_list("pk", "answers")
        if needle in json.dumps(answers, ensure_ascii=False).casefold()
    ]
    return revisions.filter(pk__in=matching)
