"""Every e-mail the platform sends is written in its recipient's language, whoever triggers
it and whatever language that person's own page is in.

Each flow below triggers the real service with four recipients whose languages are English,
Arabic, Chinese and French, while the person acting works in Spanish. The check is generic:
every translatable message of the e-mail's templates that the English e-mail shows must
appear in the other e-mails as the catalog's translation into the recipient's language, and
its English wording must not. A template that no flow sends fails
`test_every_email_template_is_checked`."""

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_python
from django.conf import settings
from django.core import mail
from django.template.loader import get_template
from django.utils import formats, timezone, translation
from django.utils.translation.template import templatize

from assistance import help as assistance_help
from assistance import services as assistance
from assistance import sponsorship
from assistance.models import Need
from core.emails import render_subject
from core.models import MemberState, Notification, Organisation, Role
from core.services import invite_person, tell
from reporting import services as reporting
from reporting.models import Meeting
from reporting.services.deadlines import send_deadline_reminders
from tests.factories import member
from tests.reporting.test_reports import fill
from tracing import requests as tracing
from tracing import services as tracing_services
from tracing.models import ContactPoint

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "ar", "zh-hans", "fr")  # English: the reference rendering
SENDER_LANGUAGE = "es"  # the language of the page of whoever triggers the e-mail
EMAILS = Path(settings.BASE_DIR) / "templates" / "emails"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")
CHECKED = set()  # the templates a flow of this module sends (filled at import, below)


def checks(*templates: str):
    """Mark a test as the one sending (and checking) these templates."""
    CHECKED.update(templates)
    return lambda test: test


# --- the check -----------------------------------------------------------------------------


def messages_of(template_name: str) -> list[tuple[str, str] | str]:
    """The translatable messages of a template, as makemessages finds them (msgid, or
    (singular, plural))."""
    code = templatize(get_template(template_name).template.source).encode()
    return [
        found[2][:2] if isinstance(found[2], tuple) else found[2]
        for found in extract_python(io.BytesIO(code), DEFAULT_KEYWORDS, [], {})
    ]


def pieces(text: str) -> frozenset[str]:
    """The literal pieces of a message between its placeholders."""
    return frozenset(p.strip() for p in PLACEHOLDER.split(text) if re.search(r"\w", p))


def forms(message, language: str) -> set[frozenset[str]]:
    """The pieces of `message` in `language`, for each of its plural forms."""
    with translation.override(language):
        if isinstance(message, tuple):
            return {pieces(translation.ngettext(*message, n)) for n in range(112)}
        return {pieces(translation.gettext(message))}


def shows(text: str, wording: set[frozenset[str]]) -> bool:
    return any(all(piece in text for piece in form) for form in wording)


def is_translated(message, language: str) -> bool:
    catalog = translation.trans_real.translation(language)._catalog
    return (message[0], 0) in catalog if isinstance(message, tuple) else message in catalog


def assert_in_recipients_language(template_name: str, texts: dict[str, str]) -> None:
    """`texts`: the subject (or body) each recipient got, by their language ("en" given)."""
    shown = [m for m in messages_of(template_name) if shows(texts["en"], forms(m, "en"))]
    assert shown, f"{template_name} was not used for the English e-mail:\n{texts['en']}"
    for language, text in texts.items():
        if language == "en":
            continue
        for message in shown:
            assert is_translated(message, language), f"{message!r} has no {language} translation"
            translated = forms(message, language)
            assert shows(text, translated), (
                f"{template_name}: the {language} translation of {message!r} is missing:\n{text}"
            )
            english = {p for form in forms(message, "en") for p in form if len(p) >= 6}
            english -= {p for form in translated for p in form}
            assert not any(p in text for p in english), (
                f"{template_name}: English in the {language} e-mail:\n{text}"
            )


def check(template: str, people: dict, outbox=None) -> None:
    """Each of `people` got one e-mail from `template`, subject and body in their language;
    plain text only (no HTML part whose direction would need setting)."""
    by_address = {}
    for message in outbox if outbox is not None else mail.outbox:
        by_address.setdefault(message.to[0], []).append(message)
    sent = {}
    for language, person in people.items():
        assert len(by_address.get(person.email, [])) == 1, f"{template} to {language}"
        sent[language] = by_address[person.email][0]
        assert not getattr(sent[language], "alternatives", [])
    assert_in_recipients_language(
        f"emails/{template}_subject.txt", {k: m.subject for k, m in sent.items()}
    )
    assert_in_recipients_language(f"emails/{template}.txt", {k: m.body for k, m in sent.items()})
    mail.outbox.clear()


def people(role: str, **scope) -> dict:
    """One person per language holding `role` in `scope` (state="FRA", organisation="EU")."""
    return {language: member(role, language=language, **scope) for language in LANGUAGES}


def acting(action, *args, **kwargs):
    """Run a service as a Spanish-speaking person would, and send its e-mails (on commit)."""
    with translation.override(SENDER_LANGUAGE):
        return action(*args, **kwargs)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return acting(action, *args, **kwargs)

    return run


def state(iso3: str) -> MemberState:
    return MemberState.objects.get(iso3=iso3)


# --- the flows -------------------------------------------------------------------------------


@checks("invitation")
def test_invitations_are_written_in_the_invited_persons_language(administrator, send):
    invited = {}
    for language in LANGUAGES:
        invitation, _link = send(
            invite_person,
            by=administrator,
            email=f"invited.{language}@example.org",
            role=Role.STATE_EDITOR,
            state=state("FRA"),
            language=language,
        )
        invited[language] = invitation
    french = next(m for m in mail.outbox if m.to == [invited["fr"].email])
    check("invitation", invited)
    # Dates too: the expiry is written as French writes dates (month name, order).
    with translation.override("fr"):
        expiry = formats.date_format(
            timezone.localtime(invited["fr"].expires_at), "DATETIME_FORMAT"
        )
    assert expiry in french.body


@checks("report_submitted", "comment_added", "report_returned", "report_published")
def test_review_mails_reach_each_recipient_in_their_language(
    report, editor, approver, reviewer, send
):
    officials = people(Role.STATE_EDITOR, state="FRA")
    reviewers = people(Role.REVIEWER)
    fill(report, editor)
    send(reporting.submit_report, report, by=approver, visibility="public", mfa_verified=True)
    check("report_submitted", reviewers, only_to(reviewers))
    send(reporting.add_comment, report, by=reviewer, body="Is 3.1 right?", question_key="3.1")
    check("comment_added", officials, only_to(officials))
    send(reporting.return_report, report, by=reviewer, message="Please check 3.1.")
    check("report_returned", officials, only_to(officials))
    send(reporting.submit_report, report, by=approver, visibility="public", mfa_verified=True)
    mail.outbox.clear()
    send(reporting.publish_report, report, by=reviewer)
    check("report_published", officials, only_to(officials))


def only_to(recipients: dict) -> list:
    addresses = {person.email for person in recipients.values()}
    return [message for message in mail.outbox if message.to[0] in addresses]


@checks("deadline_reminder")
def test_deadline_reminders_in_each_officials_language(cycle, send):
    officials = people(Role.STATE_EDITOR, state="FRA")
    send(send_deadline_reminders, today=cycle.deadline - datetime.timedelta(days=7))
    check("deadline_reminder", officials, only_to(officials))


@checks("contacts_confirmation")
def test_contact_confirmation_requests_in_each_approvers_language(send):
    approvers = people(Role.STATE_APPROVER, state="FRA")
    contact = tracing_services.save_contact_point(
        state=state("FRA"), kind="poa", data={"name": "Claire Dubois"}, by=approvers["en"]
    )
    ContactPoint.objects.filter(pk=contact.pk).update(
        last_confirmed_at=timezone.now() - datetime.timedelta(days=400)
    )
    send(tracing_services.request_yearly_confirmations)
    check("contacts_confirmation", approvers)


@checks("tracing_request_received", "tracing_request_updated", "tracing_request_due")
def test_tracing_mails_in_each_officials_language(editor, outsider, send):
    kenyans = people(Role.STATE_EDITOR, state="KEN")
    french = people(Role.STATE_EDITOR, state="FRA")
    request = send(
        tracing.send_request,
        by=editor,
        from_state=state("FRA"),
        to_state=state("KEN"),
        data={
            "weapon_type": "Assault rifle",
            "serial_number": "12345",
            "markings": "12-345",
            "circumstances": "Seized at the border.",
            "why_illicit": "No licence.",
            "intended_use": "Criminal investigation.",
            "due_on": timezone.localdate() + datetime.timedelta(days=30),
        },
    )
    check("tracing_request_received", kenyans, only_to(kenyans))
    send(tracing.acknowledge_request, request, by=outsider)
    check("tracing_request_updated", french, only_to(french))
    send(tracing.send_due_reminders, today=request.due_on - datetime.timedelta(days=2))
    check("tracing_request_due", kenyans, only_to(kenyans))


@checks(
    "help_request_asked",
    "help_request_accepted",
    "help_request_access_granted",
    "help_request_access_revoked",
    "help_request_closed",
)
def test_help_request_mails_in_each_recipients_language(report, editor, approver, send):
    unrec = Organisation.objects.get(acronym="UNREC")
    helpers = people(Role.DONOR, organisation="UNREC")
    officials = people(Role.STATE_EDITOR, state="FRA")
    asked = send(assistance_help.ask_for_help, report, by=editor, description="Section 3.")
    check("help_request_asked", helpers, only_to(helpers))
    taker = member(Role.DONOR, organisation="UNREC")
    send(assistance_help.accept_help_request, asked, by=taker, organisation=unrec)
    check("help_request_accepted", officials, only_to(officials))
    until = assistance_help.access_ends_at(timezone.localdate() + datetime.timedelta(days=30))
    grants = {
        language: send(
            assistance_help.grant_delegated_access, asked, by=approver, user=person, until=until
        )
        for language, person in helpers.items()
    }
    check("help_request_access_granted", helpers)
    for language in ("en", "ar"):
        send(
            assistance_help.revoke_delegated_access,
            asked,
            by=approver,
            membership=grants[language],
        )
    check("help_request_access_revoked", {k: helpers[k] for k in ("en", "ar")})
    # Closing ends the accesses still live and tells the organisation's people.
    send(assistance_help.close_help_request, asked, by=approver)
    check("help_request_closed", helpers, only_to(helpers))


@checks("assistance_interest", "assistance_match_updated")
def test_assistance_conversation_mails_in_each_recipients_language(editor, donor, send):
    officials = people(Role.STATE_EDITOR, state="FRA")
    donors = people(Role.DONOR, organisation="EU")
    need = assistance.record_need(
        by=editor,
        state=state("FRA"),
        data={
            "theme": "marking",
            "kind": "equipment",
            "priority": "high",
            "description": "Marking machines",
            "estimated_cost": Decimal("120000"),
            "currency": "USD",
            "visibility": Need.Visibility.PUBLIC,
        },
    )
    eu = (None, Organisation.objects.get(acronym="EU"))
    match = send(assistance.express_interest, need, by=donor, donor=eu, message="We can help.")
    check("assistance_interest", officials, only_to(officials))
    send(assistance.post_match_message, match, by=editor, body="Thank you.")
    check("assistance_match_updated", donors, only_to(donors))


@checks("sponsorship_decided")
def test_sponsorship_decisions_in_each_officials_language(editor, donor, reviewer, send):
    officials = people(Role.STATE_EDITOR, state="FRA")
    sponsorship.record_contribution(by=donor, amount="5000.00")
    meeting = Meeting.objects.create(
        kind="regional",
        title="Regional meeting on tracing",
        start_date=timezone.localdate() + datetime.timedelta(days=60),
        end_date=timezone.localdate() + datetime.timedelta(days=62),
    )

    def apply(name: str):
        return sponsorship.apply_for_sponsorship(
            by=editor,
            state=state("FRA"),
            meeting=meeting,
            traveller_name=name,
            travel_cost="600.00",
            subsistence_cost="150.00",
        )

    send(sponsorship.approve_sponsorship, apply("Marie Dupont"), by=reviewer)
    check("sponsorship_decided", officials, only_to(officials))
    send(sponsorship.reject_sponsorship, apply("Jean Martin"), by=reviewer, note="Too late.")
    check("sponsorship_decided", officials, only_to(officials))


def test_every_email_template_is_checked():
    templates = {path.name.removesuffix(".txt") for path in EMAILS.glob("*.txt")}
    assert {t.removesuffix("_subject") for t in templates} == CHECKED


# --- allauth's e-mails ---------------------------------------------------------------------


def test_password_reset_mail_is_in_the_account_holders_language(anonymous):
    holders = {
        language: member(Role.STATE_EDITOR, state="FRA", language=language)
        for language in LANGUAGES
    }
    for person in holders.values():
        anonymous.post(
            "/accounts/password/reset/",
            {"email": person.email},
            HTTP_ACCEPT_LANGUAGE=SENDER_LANGUAGE,
        )
    sent = {
        language: next(m for m in mail.outbox if m.to == [person.email])
        for language, person in holders.items()
    }
    assert_in_recipients_language(
        "account/email/password_reset_key_subject.txt", {k: m.subject for k, m in sent.items()}
    )
    assert_in_recipients_language(
        "account/email/password_reset_key_message.txt", {k: m.body for k, m in sent.items()}
    )


def test_reset_for_an_unknown_address_does_not_offer_to_sign_up(anonymous):
    anonymous.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    [message] = mail.outbox
    assert "invitation only" in message.body
    assert "/accounts/signup/" not in message.body and "sign up" not in message.body.lower()


def test_subjects_and_notifications_are_plain_text(approver):
    """Subjects are also the in-app notification text: no HTML escaping in them."""
    korea = state("PRK")
    subject = render_subject("contacts_confirmation", "en", {"state": korea})
    assert "Democratic People's Republic of Korea" in subject
    tell([approver], template="contacts_confirmation", path="/", context={"state": korea})
    assert "People's" in Notification.objects.get(user=approver).message
