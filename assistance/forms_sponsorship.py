"""Forms of the sponsorship fund: applying, deciding, recording a contribution. The services
check everything again; the forms give the first, field-by-field errors."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from assistance.models import FundContribution, SponsorshipApplication, donor_key
from assistance.permissions import Donor
from assistance.sponsorship import meetings_open_for_sponsorship
from core.models import MemberState

MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


class SponsorshipApplicationForm(forms.ModelForm):
    """One delegate to one meeting that has not yet taken place; the State is asked for
    only when the person serves more than one."""

    state = forms.ModelChoiceField(
        label=pgettext_lazy("country", "State"), queryset=MemberState.objects.none()
    )
    travel_cost = forms.DecimalField(label=_("Travel"), min_value=Decimal(0), **MONEY_FIELD)
    subsistence_cost = forms.DecimalField(
        label=_("Daily subsistence allowance"), min_value=Decimal(0), **MONEY_FIELD
    )

    class Meta:
        model = SponsorshipApplication
        fields = [
            "meeting",
            "traveller_name",
            "traveller_position",
            "travel_cost",
            "subsistence_cost",
            "justification",
        ]
        widgets = {"justification": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, states: list[MemberState], currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings_open_for_sponsorship()
        self.fields["meeting"].help_text = _("Only meetings that have not yet taken place.")
        for name in ("travel_cost", "subsistence_cost"):
            self.fields[name].help_text = _("In %(currency)s.") % {"currency": currency}
        if len(states) > 1:
            self.fields["state"].queryset = MemberState.objects.filter(
                pk__in=[s.pk for s in states]
            )
        else:
            del self.fields["state"]
        self.states = states

    def clean(self) -> dict:
        data = super().clean()
        travel, subsistence = data.get("travel_cost"), data.get("subsistence_cost")
        if travel is not None and subsistence is not None and travel + subsistence <= 0:
            raise forms.ValidationError(_("Ask for an amount greater than zero."))
        return data

    def chosen_state(self) -> MemberState:
        return self.cleaned_data.get("state") or self.states[0]


class SponsorshipDecisionForm(forms.Form):
    """UNODA's decision: approve (all that was asked, or less) or reject with a reason."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve")),
            ("reject", pgettext_lazy("sponsorship decision", "Reject")),
        ],
        widget=forms.RadioSelect,
    )
    amount_granted = forms.DecimalField(
        label=_("Amount granted"),
        required=False,
        min_value=Decimal("0.01"),
        help_text=_("Leave empty to grant the amount asked for."),
        **MONEY_FIELD,
    )
    note = forms.CharField(
        label=_("Decision note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you reject the application; the State reads it."),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the application is rejected."))
        return data


class FundContributionForm(forms.Form):
    """Money paid into the fund by one donor; the donor is asked for when there is a
    choice."""

    donor = forms.ChoiceField(label=_("Donor"))
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), **MONEY_FIELD)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=FundContribution._meta.get_field("note").max_length,
    )

    def __init__(self, *args, donors: list[Donor], currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.donors = {donor_key(*donor): donor for donor in donors}
        self.fields["donor"].choices = [
            (key, str(state or organisation)) for key, (state, organisation) in self.donors.items()
        ]
        self.fields["amount"].help_text = _("In %(currency)s.") % {"currency": currency}

    def chosen_donor(self) -> Donor:
        return self.donors[self.cleaned_data["donor"]]
