"""Filters of the needs board (django-filter), shared by the page, its CSV and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from assistance.models import AssistanceType, Need, Offer, Theme
from core.models import MemberState
from reporting.filters import REGIONS


class NeedFilter(django_filters.FilterSet):
    theme = django_filters.ChoiceFilter(label=_("Theme"), choices=Theme.choices)
    kind = django_filters.ChoiceFilter(
        label=_("Type of assistance"), choices=AssistanceType.choices
    )
    region = django_filters.ChoiceFilter(
        label=_("Region"), field_name="state__region", choices=REGIONS
    )
    regional_group = django_filters.ChoiceFilter(
        label=_("UN regional group"),
        field_name="state__regional_group",
        choices=MemberState.RegionalGroup.choices,
    )
    state = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("country", "State"),
        queryset=MemberState.objects.all(),
        to_field_name="iso3",
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Need.Status.choices)
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Need.Priority.choices)
    cost_min = django_filters.NumberFilter(
        label=_("Estimated cost from"), field_name="estimated_cost", lookup_expr="gte", min_value=0
    )
    cost_max = django_filters.NumberFilter(
        label=_("Estimated cost up to"), field_name="estimated_cost", lookup_expr="lte", min_value=0
    )

    class Meta:
        model = Need
        fields = ["theme", "kind", "region", "regional_group", "state", "status", "priority"]


class OfferFilter(django_filters.FilterSet):
    theme = django_filters.ChoiceFilter(
        label=_("Theme"), choices=Theme.choices, method="filter_listed", field_name="themes"
    )
    kind = django_filters.ChoiceFilter(
        label=_("Type of assistance"),
        choices=AssistanceType.choices,
        method="filter_listed",
        field_name="kinds",
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Offer.Status.choices)

    class Meta:
        model = Offer
        fields = ["theme", "kind", "status"]

    def filter_listed(self, queryset, name, value):
        """JSON lists: `contains` is not available on SQLite, so filter the ids in Python."""
        ids = [pk for pk, listed in queryset.values_list("pk", name) if value in (listed or [])]
        return queryset.filter(pk__in=ids)
