from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import MemberState
from reporting.filters import REGIONS
from reporting.models import Cycle, Meeting, QuestionnaireVersion


class MeetingForm(forms.Form):
    """A new meeting and, optionally, the reporting cycle ahead of it."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Meeting.Kind.choices)
    number = forms.IntegerField(
        label=pgettext_lazy("meeting number", "Number"), min_value=1, max_value=99, required=False
    )
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
    questionnaire = forms.ModelChoiceField(
        label=_("Questionnaire version"),
        queryset=QuestionnaireVersion.objects.filter(status=QuestionnaireVersion.Status.PUBLISHED),
        required=False,
        help_text=_("The published questionnaire that reports in this cycle use."),
    )
    closes_on = forms.DateField(
        label=_("Late reports accepted until"),
        required=False,
        help_text=_("Leave empty to close on the deadline."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ReportCreateForm(forms.Form):
    """Start a report: the State (when the person serves several), the cycle, the language."""

    state = forms.ModelChoiceField(label=pgettext_lazy("country", "State"), queryset=None)
    cycle = forms.ModelChoiceField(label=_("Reporting cycle"), queryset=None)
    language = forms.ChoiceField(label=_("Language of the report"), choices=settings.LANGUAGES)
    prefill = forms.BooleanField(
        label=_("Start from the answers of our previous report"),
        required=False,
        initial=True,
        help_text=_("Answers are copied by question; check each one before submitting."),
    )

    def __init__(self, *args, states, cycles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].queryset = states
        self.fields["cycle"].queryset = cycles
        if states.count() == 1:
            self.fields["state"].initial = states.first()
            self.fields["state"].widget = forms.HiddenInput()


class SubmitForm(forms.Form):
    visibility = forms.ChoiceField(
        label=_("Who may read the report once UNODA publishes it?"),
        choices=[
            ("public", _("Everyone (public)")),
            ("restricted", _("Government officials of Member States and UNODA only")),
        ],
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=_("I confirm that this report has been cleared for submission by my Government."),
    )


class ExtensionForm(forms.Form):
    state = forms.ModelChoiceField(
        label=pgettext_lazy("country", "State"), queryset=MemberState.objects.all()
    )
    deadline = forms.DateField(
        label=_("Extended deadline"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class ArchiveFilterForm(forms.Form):
    q = forms.CharField(label=_("Search the answers"), required=False, max_length=200)
    cycle = forms.ModelChoiceField(
        label=_("Reporting cycle"),
        required=False,
        queryset=Cycle.objects.select_related("meeting").order_by("-deadline"),
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *REGIONS]
    )
    regional_group = forms.ChoiceField(
        label=_("UN regional group"),
        required=False,
        choices=[("", _("All groups")), *MemberState.RegionalGroup.choices],
    )
    question = forms.RegexField(
        regex=r"^[a-z0-9_.]+$",
        label=_("Question key"),
        required=False,
        max_length=60,
        help_text=_("With an answer: e.g. transfers.import_marking and yes."),
    )
    answer = forms.CharField(label=_("Answer"), required=False, max_length=100)
