from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.models import MemberState
from reporting.filters import REGIONS
from tracing.models import (
    CONTACT_FIELDS,
    REQUEST_FIELDS,
    ContactPoint,
    MarkingPractice,
    TracingRequest,
)

FIELD_LABELS = {name: ContactPoint._meta.get_field(name).verbose_name for name in CONTACT_FIELDS}


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *REGIONS]
    )
    group = forms.ChoiceField(
        label=_("UN regional group"),
        required=False,
        choices=[("", _("All groups")), *MemberState.RegionalGroup.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *ContactPoint.Kind.choices]
    )


class ContactPointForm(forms.Form):
    """One contact as the State keeps it, with its choice of public fields."""

    same_as_poa = forms.BooleanField(label=_("Same as the PoA point of contact"), required=False)
    title = forms.CharField(label=FIELD_LABELS["title"], max_length=300, required=False)
    name = forms.CharField(label=FIELD_LABELS["name"], max_length=300, required=False)
    position = forms.CharField(label=FIELD_LABELS["position"], max_length=300, required=False)
    organisation = forms.CharField(
        label=FIELD_LABELS["organisation"], max_length=300, required=False
    )
    address = forms.CharField(
        label=FIELD_LABELS["address"],
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    phone = forms.CharField(label=FIELD_LABELS["phone"], max_length=300, required=False)
    email = forms.EmailField(label=FIELD_LABELS["email"], max_length=300, required=False)
    working_languages = forms.MultipleChoiceField(
        label=FIELD_LABELS["working_languages"],
        required=False,
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    public_fields = forms.MultipleChoiceField(
        label=_("Shown to the public"),
        required=False,
        choices=[(name, FIELD_LABELS[name]) for name in CONTACT_FIELDS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Government officials of Member States and UNODA see every field."),
    )


class MarkingSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Country code, import mark or State"), required=False, max_length=100
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *REGIONS]
    )


class MarkingForm(forms.ModelForm):
    """What the State completes or corrects by hand (the rest comes from its report)."""

    class Meta:
        model = MarkingPractice
        fields = ["country_code", "import_mark_format", "alteration_measures", "is_public"]


class TracingRequestForm(forms.ModelForm):
    to_state = forms.ModelChoiceField(
        label=_("Requested State"), queryset=MemberState.objects.all()
    )

    class Meta:
        model = TracingRequest
        fields = list(REQUEST_FIELDS)
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Evidence: kept exactly as typed, surrounding spaces included (as the page says).
        for name in ("serial_number", "markings"):
            self.fields[name].strip = False
