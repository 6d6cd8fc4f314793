"""Forms for invitations, accounts, API tokens and organisations."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import permissions
from core.models import MemberState, Organisation, Role, User


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    state = forms.ModelChoiceField(
        label=pgettext_lazy("country", "State"), queryset=MemberState.objects.all(), required=False
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.filter(is_active=True),
        required=False,
    )
    access_until = forms.DateTimeField(
        label=_("Access until"),
        required=False,
        help_text=_("Required for a delegated assistant: access ends at this time (UTC)."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=settings.LANGUAGES)

    def __init__(self, *args, inviter: User, **kwargs):
        super().__init__(*args, **kwargs)
        if not permissions.is_administrator(inviter):
            # A State's approver invites editors and assistants for their own State only.
            self.fields["role"].choices = [
                (r.value, r.label) for r in (Role.STATE_EDITOR, Role.ASSISTANT)
            ]
            own = permissions.states_for(inviter, Role.STATE_APPROVER)
            self.fields["state"].queryset = MemberState.objects.filter(pk__in=[s.pk for s in own])
            self.fields["state"].required = True

    def clean_access_until(self):
        value = self.cleaned_data.get("access_until")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError(_("Give a date in the future."))
        return value


class AcceptInvitationForm(forms.Form):
    """Account details for a person who joins through an invitation."""

    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    first_name = forms.CharField(label=_("Given name"), max_length=150)
    last_name = forms.CharField(label=_("Family name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This user name is taken."))
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(
                username=data.get("username", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["acronym", "name", "kind", "website", "is_active"]


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "language"]


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("User"), required=False)
    state = forms.ModelChoiceField(
        label=pgettext_lazy("country", "State"), queryset=MemberState.objects.all(), required=False
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
