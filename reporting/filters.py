"""Filters for the review queue (django-filter), shared by the page and the API."""

import datetime

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import MemberState
from reporting.models import Cycle, Report

QUEUE_STATUSES = [(s.value, s.label) for s in (Report.Status.SUBMITTED, Report.Status.UNDER_REVIEW)]
REGIONS = [
    ("002", _("Africa")),
    ("019", _("Americas")),
    ("142", _("Asia")),
    ("150", _("Europe")),
    ("009", _("Oceania")),
]


class ReviewQueueFilter(django_filters.FilterSet):
    cycle = django_filters.ModelChoiceFilter(
        label=_("Reporting cycle"), queryset=Cycle.objects.select_related("meeting")
    )
    state = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("country", "State"), queryset=MemberState.objects.all()
    )
    region = django_filters.ChoiceFilter(
        label=_("Region"), field_name="state__region", choices=REGIONS
    )
    regional_group = django_filters.ChoiceFilter(
        label=_("UN regional group"),
        field_name="state__regional_group",
        choices=MemberState.RegionalGroup.choices,
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=QUEUE_STATUSES)
    waiting_days = django_filters.NumberFilter(
        label=_("Waiting at least (days)"), method="filter_waiting", min_value=0
    )

    class Meta:
        model = Report
        fields = ["cycle", "state", "region", "regional_group", "status", "waiting_days"]

    def filter_waiting(self, queryset: QuerySet[Report], name: str, value) -> QuerySet[Report]:
        since = timezone.now() - datetime.timedelta(days=int(value))
        return queryset.filter(submitted_at__lte=since)
