"""Forms of needs, offers and matches. They check the shape of the input; the services
check everything that depends on who asks and on the current state."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assistance.models import NEED_FIELDS, OFFER_FIELDS, AssistanceType, Need, Offer, Theme
from assistance.permissions import Donor
from core.models import MemberState
from reporting.filters import REGIONS

CURRENCY_HELP = _("Three-letter code, for example USD or EUR.")


class CurrencyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("help_text", CURRENCY_HELP)
        super().__init__(**kwargs)

    def clean(self, value):
        return super().clean((value or "").strip().upper())


class NeedForm(forms.ModelForm):
    currency = CurrencyField(label=_("currency"), required=False)

    class Meta:
        model = Need
        fields = list(NEED_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def clean(self):
        data = super().clean()
        if data.get("estimated_cost") is not None and not data.get("currency"):
            self.add_error("currency", _("Give the currency of the estimated cost."))
        return data


class OfferForm(forms.ModelForm):
    themes = forms.MultipleChoiceField(
        label=_("themes"), choices=Theme.choices, widget=forms.CheckboxSelectMultiple
    )
    kinds = forms.MultipleChoiceField(
        label=_("types of assistance"),
        choices=AssistanceType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    eligible_regions = forms.MultipleChoiceField(
        label=_("eligible regions"),
        choices=REGIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave the regions and States empty to accept every State."),
    )
    eligible_states = forms.ModelMultipleChoiceField(
        label=_("eligible States"),
        queryset=MemberState.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    currency = CurrencyField(label=_("currency"))

    class Meta:
        model = Offer
        fields = list(OFFER_FIELDS)
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "conditions": forms.Textarea(attrs={"rows": 4}),
        }

    def clean(self):
        data = super().clean()
        low, high = data.get("budget_min"), data.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", _("The largest amount must not be below the smallest."))
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The period cannot end before it starts."))
        return data


def donor_label(donor: Donor) -> str:
    return str(donor[0] or donor[1])


class DonorChoiceMixin:
    """Adds a `donor` choice when the user acts for more than one donor."""

    def setup_donors(self, donors: list[Donor]) -> None:
        self.donors = donors
        if len(donors) > 1:
            self.fields["donor"] = forms.TypedChoiceField(
                label=_("On behalf of"),
                choices=[(i, donor_label(d)) for i, d in enumerate(donors)],
                coerce=int,
            )

    def chosen_donor(self) -> Donor:
        return self.donors[self.cleaned_data.get("donor", 0)]


class InterestForm(DonorChoiceMixin, forms.Form):
    offer = forms.ModelChoiceField(
        label=_("Under which offer"), queryset=Offer.objects.none(), required=False
    )
    message = forms.CharField(
        label=_("Message to the State"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, donors: list[Donor], **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_donors(donors)
        offers = Offer.objects.none()
        for state, organisation in donors:
            offers |= Offer.objects.filter(
                donor_state=state, donor_organisation=organisation, status=Offer.Status.OPEN
            )
        self.fields["offer"].queryset = offers

    def clean(self):
        data = super().clean()
        offer = data.get("offer")
        if offer and (offer.donor_state, offer.donor_organisation) != self.chosen_donor():
            self.add_error("offer", _("Choose one of this donor's offers."))
        return data


class NewOfferForm(DonorChoiceMixin, OfferForm):
    def __init__(self, *args, donors: list[Donor], **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_donors(donors)


class AgreementForm(forms.Form):
    agreement = forms.CharField(
        label=_("What was agreed"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    amount = forms.DecimalField(
        label=_("Amount agreed"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    currency = CurrencyField(label=_("currency"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("amount") is not None and not data.get("currency"):
            self.add_error("currency", _("Give the currency of the amount."))
        return data
