"""Forms of the help-with-reports pages. Services re-check everything they validate."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assistance import help
from assistance.models import HelpRequest
from core.models import Organisation, User


class HelpRequestForm(forms.Form):
    description = forms.CharField(
        label=HelpRequest._meta.get_field("description").verbose_name,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Organisations that help States read this: say which sections or questions you "
            "need help with and by when. Do not include confidential answers."
        ),
    )


class AcceptHelpForm(forms.Form):
    """The organisation the person accepts for: one of their own."""

    organisation = forms.ModelChoiceField(label=_("Accept for"), queryset=Organisation.objects)

    def __init__(self, *args, organisations: list[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in organisations]
        )
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk
            self.fields["organisation"].widget = forms.HiddenInput()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} <{obj.email}>"


class GrantAccessForm(forms.Form):
    """A person of the accepting organisation, and the last day of their access."""

    user = PersonChoiceField(label=_("Person"), queryset=User.objects.none())
    until = forms.DateField(
        label=_("Access until (last day)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, help_request: HelpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        if help_request.organisation is not None:
            self.fields["user"].queryset = help.people_of(help_request.organisation)
        self.fields["until"].help_text = gettext(
            "Access ends automatically at the end of this day (UTC), at most %(days)s days "
            "from today. You can revoke it earlier."
        ) % {"days": help.MAX_ACCESS_DAYS}
        self.fields["until"].widget.attrs.update(
            min=timezone.localdate().isoformat(), max=self.latest().isoformat()
        )

    @staticmethod
    def latest() -> datetime.date:
        return timezone.localdate() + datetime.timedelta(days=help.MAX_ACCESS_DAYS)

    def clean_until(self) -> datetime.date:
        day = self.cleaned_data["until"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("Give today's date or a later one."))
        if day > self.latest():
            raise forms.ValidationError(
                gettext("Access can be granted for at most %(days)s days.")
                % {"days": help.MAX_ACCESS_DAYS}
            )
        return day
