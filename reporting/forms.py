from django import forms
from django.utils.translation import gettext_lazy as _

from reporting.models import Meeting


class MeetingForm(forms.Form):
    """A new meeting and, optionally, the reporting cycle ahead of it."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Meeting.Kind.choices)
    number = forms.IntegerField(label=_("Number"), min_value=1, max_value=99, required=False)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the kind and number."),
    )
    start_date = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    venue = forms.CharField(label=_("Venue"), max_length=200, initial="New York")
    opens_on = forms.DateField(
        label=_("Reporting opens on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    deadline = forms.DateField(
        label=_("Reporting deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    closes_on = forms.DateField(
        label=_("Late reports accepted until"),
        required=False,
        help_text=_("Leave empty to close on the deadline."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
