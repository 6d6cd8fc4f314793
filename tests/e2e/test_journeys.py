"""End-to-end journeys of each role in a real browser: people click and type through the
pages; the ORM only sets up where a journey starts and checks where it ends.
(The editor's journey, autosave and conflicts, is in test_report_editing.py.)"""

import datetime
import re
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.utils import timezone
from playwright.sync_api import expect

from assistance import services as assistance
from assistance.models import Match, MatchMessage, Need
from core.models import AuditEntry, MemberState, Role
from reporting import services
from reporting.models import Comment, Report
from tests.factories import PASSWORD, member
from tests.reporting.test_reports import COMPLETE, fill
from tracing.models import TracingMessage, TracingRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class AuthenticatorApp:
    """What the person's phone shows: the code of the current 30-second period."""

    def __init__(self, user):
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        self.secret = decrypt(authenticator.data["secret"])

    def code(self) -> str:
        return format_hotp_value(hotp_value(self.secret, next(yield_hotp_counters_from_time())))


def give_code(page, app: AuthenticatorApp, button: str) -> None:
    """Type the authenticator code. A code typed just as its period ends is refused, as with
    a real phone: the person then types the new one."""
    for _attempt in range(2):
        page.get_by_label("Code").fill(app.code())
        with page.expect_navigation():
            page.get_by_role("button", name=button).click()
        if not page.get_by_text("Incorrect code.").count():
            return


def submit(page) -> None:
    """On the report's page: choose who may read it, confirm the clearance, submit."""
    page.get_by_label("Everyone (public)").check()
    page.get_by_label("I confirm that this report has been cleared").check()
    page.get_by_role("button", name="Submit to UNODA").click()


def status_of(report) -> str:
    return Report.objects.get(pk=report.pk).status


def follow(page, link_name, url_pattern: str) -> None:
    """Click a link and wait until its page has replaced the current one: the next action
    must not find the same element on the page being left (a "France" link, a status)."""
    page.get_by_role("link", name=link_name).click()
    expect(page).to_have_url(re.compile(url_pattern))


def open_section(page, name_pattern: str) -> None:
    """Open a section of the report for editing and wait until the autosave script runs: a
    field filled before it listens would never be saved (seen on a loaded machine)."""
    follow(page, re.compile(name_pattern), r"/sections/[\w-]+/$")
    page.wait_for_load_state("load")  # after the deferred report-editor.js has run


@pytest.fixture
def visitor(browser, live_server):
    """A browser page of someone who is not logged in."""
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def filled(report, editor):
    fill(report, editor)
    return report


@pytest.fixture
def submitted(filled, approver):
    return services.submit_report(filled, by=approver, visibility="public", mfa_verified=True)


# --- 2. the approver logs in with a second factor and submits ----------------------------------


def test_approver_logs_in_with_second_factor_and_submits(visitor, approver, filled):
    page = visitor
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in").click()
    page.get_by_label("Login").fill("approver.fra")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    give_code(page, AuthenticatorApp(approver), "Sign In")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.get_by_role("link", name="National reports").click()
    page.get_by_role("link", name=str(filled)).click()
    expect(page.get_by_role("heading", name="Submit the report")).to_be_visible()
    # The code given at login is recent: the submission needs no second one.
    expect(page.get_by_text("You will be asked to confirm your identity")).to_have_count(0)
    submit(page)
    expect(page.get_by_role("status")).to_contain_text("The report was submitted to UNODA.")
    report = Report.objects.get(pk=filled.pk)
    assert (report.status, report.visibility) == ("submitted", "public")
    assert report.revisions.filter(status="submitted", created_by=approver).count() == 1
    assert AuditEntry.objects.filter(action="core.user.logged_in", actor=approver).exists()
    assert AuditEntry.objects.filter(action="reporting.report.submitted", actor=approver).exists()


# --- 3. review: comment and return, the State fixes and resubmits, UNODA publishes -------------


def test_reviewer_returns_state_fixes_and_resubmits_reviewer_publishes(
    page_for, reviewer, editor, approver, submitted
):
    report_page = rf"/reports/{submitted.pk}/$"
    comments_page = rf"/reports/{submitted.pk}/comments/$"
    unoda = page_for(reviewer)
    unoda.goto("/")
    follow(unoda, "Review queue", r"/review/$")
    follow(unoda, "France", report_page)
    unoda.get_by_role("button", name="Start the review").click()
    expect(unoda.get_by_role("status")).to_contain_text("You are reviewing this report.")
    follow(unoda, "Comments between the State and UNODA", comments_page)
    unoda.get_by_label("About").select_option("3.1")
    unoda.get_by_label("Comment", exact=True).fill("200 weapons destroyed seems low: please check.")
    unoda.get_by_role("button", name="Add the comment").click()
    expect(unoda.get_by_role("status")).to_contain_text("Your comment was added.")
    follow(unoda, str(submitted), report_page)
    unoda.get_by_label("Message to the State").fill("Please check question 3.1.")
    unoda.get_by_role("button", name="Return for clarification").click()
    expect(unoda.get_by_role("status")).to_contain_text("returned to the State")
    assert status_of(submitted) == "returned"

    state = page_for(editor)
    state.goto("/dashboard/")
    follow(state, re.compile(r"new notification"), r"/notifications/$")
    follow(state, f"Returned for clarification: {submitted}", report_page)
    follow(state, "Comments between the State and UNODA", comments_page)
    question = state.get_by_role("article", name="Question 3.1")
    expect(question).to_contain_text("seems low")
    expect(state.get_by_role("article", name="Returned for clarification")).to_contain_text(
        "Please check question 3.1."
    )
    question.get_by_label("Reply").fill("Right: 210 were destroyed. We correct 3.1.")
    question.get_by_role("button", name="Send the reply").click()
    expect(question).to_contain_text("Right: 210 were destroyed.")
    expect(state.get_by_role("status")).to_contain_text("Your comment was added.")
    follow(state, str(submitted), report_page)
    open_section(state, r"^3\. ")
    state.fill("#q-3-1-input", "210")
    # The class changes only when the server has answered: "saving" → "saved".
    expect(state.locator("#q-3-1-state")).to_have_class("save-state saved")
    assert Report.objects.get(pk=submitted.pk).answers.get(question__key="3.1").value == 210

    # The approver logged in earlier: submitting asks for the authenticator code first.
    approving = page_for(approver)
    approving.goto(f"/reports/{submitted.pk}/")
    expect(approving.get_by_text("You will be asked to confirm your identity")).to_be_visible()
    submit(approving)
    expect(approving.get_by_role("status")).to_contain_text("Confirm your identity")
    assert status_of(submitted) == "returned"
    give_code(approving, AuthenticatorApp(approver), "Confirm")
    expect(approving.get_by_role("heading", name="Submit the report")).to_be_visible()
    submit(approving)
    expect(approving.get_by_role("status")).to_contain_text("The report was submitted to UNODA.")
    assert status_of(submitted) == "submitted"

    unoda.goto("/review/")
    follow(unoda, "France", report_page)
    expect(
        unoda.get_by_role("link", name="What changed since the previous submission")
    ).to_be_visible()
    unoda.get_by_role("button", name="Accept and publish").click()
    expect(unoda.get_by_role("status")).to_contain_text("The report was published.")
    report = Report.objects.get(pk=submitted.pk)
    assert report.status == "published" and report.published_visibility == "public"
    published = report.revisions.get(status="published")
    assert published.answers["3.1"] == 210
    thread = Comment.objects.get(report=report, question_key="3.1", parent=None)
    assert thread.author == reviewer
    assert [reply.author for reply in thread.replies.all()] == [editor]


# --- 4. an anonymous visitor finds the published report and downloads its PDF -------------------


def publish_report_of_kenya(cycle, reviewer) -> Report:
    editor = member(Role.STATE_EDITOR, state="KEN")
    approver = member(Role.STATE_APPROVER, state="KEN")
    kenya = MemberState.objects.get(iso3="KEN")
    report = services.create_report(state=kenya, cycle=cycle, by=editor, language="en")
    fill(report, editor, {**COMPLETE, "1.2": "Kenya National Focal Point on Small Arms"})
    services.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    return services.publish_report(report, by=reviewer)


def test_visitor_finds_published_report_and_downloads_its_pdf(visitor, submitted, reviewer):
    services.publish_report(submitted, by=reviewer)
    publish_report_of_kenya(submitted.cycle, reviewer)
    page = visitor
    page.goto("/")
    page.get_by_role("link", name="Published reports").click()
    results = page.get_by_role("table")
    expect(results.locator("caption")).to_have_text("2 reports")
    page.get_by_label("Search the answers").fill("commission")
    page.get_by_role("button", name="Search").click()
    expect(results.locator("caption")).to_have_text("1 report")
    expect(results).not_to_contain_text("Kenya")
    row = results.get_by_role("row").filter(has_text="France")
    row.get_by_role("link", name=submitted.cycle.meeting.short_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("France")
    page.get_by_role("link", name="1. National coordination").click()
    expect(page.locator("#q-1-2-input")).to_have_value("National Commission on Small Arms")
    page.get_by_role("link", name=str(submitted)).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"report-FRA-cycle-{submitted.cycle_id}-en.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


# --- 5. a donor offers help with a need; the State answers ------------------------------------


def record_need(by, iso3: str, theme: str, description: str) -> Need:
    return assistance.record_need(
        by=by,
        state=MemberState.objects.get(iso3=iso3),
        data={
            "theme": theme,
            "kind": "equipment",
            "priority": "high",
            "description": description,
            "estimated_cost": Decimal("120000"),
            "currency": "EUR",
            "visibility": Need.Visibility.PUBLIC,
        },
    )


def test_donor_offers_help_with_a_need_and_the_state_answers(page_for, donor, editor, outsider):
    need = record_need(editor, "FRA", "marking", "Marking machines for the national armoury")
    record_need(outsider, "KEN", "legislation", "Drafting a firearms act")

    helping = page_for(donor)
    helping.goto("/")
    helping.get_by_role("navigation", name="Main").get_by_role("link", name="Assistance").click()
    helping.get_by_role("combobox", name="Theme").select_option(label="Marking")
    helping.get_by_role("button", name="Filter").click()
    needs = helping.get_by_role("table", name="1 need")
    expect(needs).not_to_contain_text("Kenya")
    needs.get_by_role("link", name="France").click()
    expect(helping.get_by_role("heading", level=1)).to_have_text(
        "France: assistance need (Marking)"
    )
    helping.get_by_label("Message to the State").fill("We could fund two marking machines.")
    helping.get_by_role("button", name="Express interest").click()
    expect(helping.get_by_role("status")).to_contain_text("The State was told of your interest.")

    state = page_for(editor)
    state.goto("/dashboard/")
    state.get_by_role("link", name=re.compile(r"new notification")).click()
    state.get_by_role("link", name=re.compile(r"offers to help with a need \(Marking\)")).click()
    thread = state.get_by_role("list").filter(has_text="two marking machines")
    expect(thread).to_be_visible()
    state.get_by_label("Message", exact=True).fill("Welcome: the armoury needs them by June.")
    state.get_by_role("button", name="Send the message").click()
    expect(thread).to_contain_text("the armoury needs them by June")
    state.get_by_label("What was agreed").fill("Two marking machines, delivered in June.")
    state.get_by_label("Amount agreed").fill("95000")
    state.get_by_label("Currency").fill("eur")
    state.get_by_role("button", name="Record the agreement").click()
    expect(state.locator("dl")).to_contain_text("Two marking machines, delivered in June.")
    expect(state.locator(".status").first).to_have_text("Agreement recorded")

    helping.reload()
    expect(helping.get_by_text("the armoury needs them by June")).to_be_visible()
    match = Match.objects.get(need=need)
    assert match.donor_organisation.acronym == "EU" and match.created_by == donor
    assert (match.status, match.amount, match.currency) == ("agreed", Decimal("95000"), "EUR")
    assert list(MatchMessage.objects.filter(match=match).values_list("side", "author")) == [
        ("donor", donor.pk),
        ("state", editor.pk),
    ]
    assert Need.objects.get(pk=need.pk).status == Need.Status.MATCHED


# --- 6. two States exchange a tracing request --------------------------------------------------


def test_two_states_exchange_a_tracing_request(page_for, editor, outsider):
    due = timezone.localdate() + datetime.timedelta(days=30)
    france = page_for(editor)
    france.goto("/dashboard/")
    france.get_by_role("link", name="Tracing requests").click()
    france.get_by_role("link", name="Send a tracing request").click()
    france.get_by_label("Requested State").select_option(label="Kenya")
    france.get_by_label("Type of weapon").fill("Assault rifle")
    france.get_by_label("Make").fill("Unknown")
    france.get_by_label("Calibre").fill("7.62x39")
    france.get_by_label("Serial number as seen").fill(" 0O-1l 234 ")
    france.get_by_label("All markings as seen").fill("★ 12-345 / КБ  (partly ground off)")
    france.get_by_label("Circumstances in which it was found").fill("Seized at the border.")
    france.get_by_label("Why it is considered illicit").fill("No licence; marks altered.")
    france.get_by_label("Intended use of the information").fill("Criminal investigation.")
    france.get_by_label("Answer requested by").fill(due.isoformat())
    france.get_by_role("button", name="Send the request").click()
    expect(france.get_by_role("status")).to_contain_text("The tracing request was sent.")
    sent = TracingRequest.objects.get()
    assert (sent.requesting_state.iso3, sent.requested_state.iso3) == ("FRA", "KEN")

    kenya = page_for(outsider)
    kenya.goto("/dashboard/")
    kenya.get_by_role("link", name=re.compile(r"new notification")).click()
    kenya.get_by_role(
        "link", name=f"France sent tracing request TR-{sent.pk} to your State"
    ).click()
    expect(kenya.locator("pre")).to_have_text("★ 12-345 / КБ  (partly ground off)")
    kenya.get_by_role("button", name="Acknowledge receipt").click()
    expect(kenya.get_by_role("button", name="Acknowledge receipt")).to_have_count(0)
    kenya.get_by_label("Partially traced").check()
    kenya.get_by_label("Answer: last known legal holder").fill("Exported in 2009 to a dealer.")
    kenya.get_by_role("button", name="Send the answer").click()
    expect(kenya.get_by_role("heading", name="Respond")).to_have_count(0)

    france.goto("/dashboard/")
    france.get_by_role("link", name=re.compile(r"new notification")).click()
    france.get_by_role("link", name=re.compile(rf"TR-{sent.pk}")).first.click()
    expect(france.locator("dl")).to_contain_text("Exported in 2009 to a dealer.")
    france.get_by_role("button", name="Close the request").click()
    expect(france.get_by_role("button", name="Close the request")).to_have_count(0)
    sent.refresh_from_db()
    assert (sent.status, sent.outcome) == ("closed", "partially")
    assert sent.serial_number == " 0O-1l 234 "  # evidence kept exactly as typed
    assert sent.markings == "★ 12-345 / КБ  (partly ground off)"
    assert list(TracingMessage.objects.filter(request=sent).values_list("status", flat=True)) == [
        "sent",
        "acknowledged",
        "answered",
        "closed",
    ]
