"""Accessibility checked in a real browser: axe-core (pinned in package-lock.json, installed by
`scripts/bootstrap dev`) finds no WCAG 2.1 A/AA violation on the main pages, in English,
Arabic (right to left) and Chinese, nor after the autosave changes the section page; a
section can be completed with the keyboard alone, in the order of the questions."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from assistance import services as assistance
from assistance.models import Need
from core.models import MemberState, Role
from reporting import services as reporting
from reporting.models import Answer, Report
from tests.factories import member
from tests.reporting.test_figures import build_world
from tests.reporting.test_reports import fill
from tracing import requests as tracing
from tracing import services as contacts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = json.loads((Path(settings.BASE_DIR) / "package.json").read_text())["dependencies"][
    "axe-core"
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = ["en", "ar", "zh-hans"]
COMPLETE = {
    "1.1": "yes",
    "1.2": "National Commission on Small Arms",
    "1.3": {"name": "Claire Dubois", "email": "claire.dubois@example.gouv.fr"},
    "1.4": "adopted",
    "1.5": "2024-05-02",
    "2.1": [{"title_original": "Code de la sécurité intérieure", "link": "https://example.org"}],
    "2.2": ["manufacture"],
    "2.3": "yes",
    "2.4": "Stockpiles are inspected every year.",
    "3.1": 200,
    "3.2": 50,
}


# --- running axe ------------------------------------------------------------------------------


def describe(violations: list[dict]) -> str:
    """One readable paragraph per violated rule: what, how bad, where, how to fix."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:10]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Run axe on the whole document for the WCAG 2.0/2.1 A and AA rules."""
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations = results["violations"]
    where = f"{page.url} (lang={page.locator('html').get_attribute('lang')})"
    assert not violations, f"axe {results['testEngine']['version']} on {where}:\n" + describe(
        violations
    )


@pytest.fixture
def open_page(browser, live_server):
    """A page in `language` (the django_language cookie), logged in as `user` unless None,
    with axe-core loaded in every document.

    The Content-Security-Policy allows only the site's own and nonced scripts, so a script tag
    added by the test (page.add_script_tag) is refused; an init script is not subject to it."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/bootstrap dev (npm ci)")
    contexts = []

    def make(user, language: str = "en"):
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language}]
        if user is not None:
            client = Client()
            client.force_login(user)
            cookies.append(
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                }
            )
        context.add_cookies([{**c, "url": live_server.url} for c in cookies])
        context.add_init_script(path=AXE)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_axe_is_loaded_although_the_policy_refuses_added_scripts(open_page):
    page = open_page(None)
    page.goto("/")
    with pytest.raises(Exception, match="violates the following Content Security Policy"):
        page.add_script_tag(content="window.injected = true;")
    assert page.evaluate("() => window.injected") is None
    assert page.evaluate("() => axe.version") == AXE_VERSION  # the init script ran
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
        assert_accessible(page)  # and axe finds what is wrong


# --- the data each page shows -----------------------------------------------------------------


def submitted_report(state: str, cycle, editor, approver) -> Report:
    report = reporting.create_report(
        state=MemberState.objects.get(iso3=state), cycle=cycle, by=editor, language="en"
    )
    fill(report, editor, COMPLETE)
    return reporting.submit_report(report, by=approver, visibility="public", mfa_verified=True)


def amended_report(cycle, editor, approver, reviewer) -> Report:
    """France's report: submitted (revision 1), published (revision 2), then amended and
    changed, so that it has revisions to compare and answers to edit."""
    report = submitted_report("FRA", cycle, editor, approver)
    report = reporting.publish_report(report, by=reviewer)
    report = reporting.amend_report(Report.objects.get(pk=report.pk), by=editor)
    fill(report, editor, {"1.2": "National Small Arms Commission", "3.1": 210})
    return report


def tracing_request(editor, outsider):
    """A request from France to Kenya, with Kenya's answer in the conversation."""
    request = tracing.send_request(
        by=editor,
        from_state=MemberState.objects.get(iso3="FRA"),
        to_state=MemberState.objects.get(iso3="KEN"),
        data={
            "weapon_type": "Assault rifle",
            "make": "Unknown",
            "calibre": "7.62x39",
            "serial_number": "12-345",
            "markings": "★ 12-345 / КБ",
            "circumstances": "Seized at a border crossing.",
            "why_illicit": "No licence; marks altered.",
            "intended_use": "Criminal investigation.",
            "due_on": timezone.localdate() + datetime.timedelta(days=30),
        },
    )
    tracing.add_message(request, by=outsider, body="We are looking into it.")
    return request


def public_need(editor, donor) -> Need:
    need = assistance.record_need(
        by=editor,
        state=MemberState.objects.get(iso3="FRA"),
        data={
            "theme": "marking",
            "kind": "equipment",
            "priority": "high",
            "description": "Marking machines for the national armoury",
            "estimated_cost": Decimal("120000"),
            "currency": "USD",
            "visibility": Need.Visibility.PUBLIC,
        },
    )
    eu = (None, donor.memberships.get().organisation)
    assistance.express_interest(need, by=donor, donor=eu, message="We can fund two machines.")
    return need


def contact_point(approver) -> None:
    contacts.save_contact_point(
        state=MemberState.objects.get(iso3="FRA"),
        kind="poa",
        by=approver,
        data={
            "name": "Claire Dubois",
            "position": "Head of unit",
            "organisation": "Ministry of the Interior",
            "email": "claire.dubois@example.gouv.fr",
            "working_languages": ["fr", "en"],
        },
    )


def marking_practice(report: Report) -> None:
    report.published_visibility = "public"
    contacts.update_marking_from_report(
        report,
        {
            "manufacture.marking": "yes",
            "manufacture.marking.elements": ["manufacturer", "country", "serial_number"],
            "manufacture.marking.country_code": "FR",
            "transfers.import_marking": "yes",
            "transfers.import_marking.format": "FRA-YY",
        },
    )


@pytest.fixture
def people(editor, approver, outsider, reviewer, administrator, donor):
    return SimpleNamespace(
        editor=editor,
        approver=approver,
        outsider=outsider,
        reviewer=reviewer,
        administrator=administrator,
        donor=donor,
    )


@pytest.fixture
def world(people, cycle):
    """Something on every page: France's amended report with three revisions, Kenya's
    submitted report waiting for review, a tracing request, a need a donor answered,
    a point of contact and a marking practice."""
    kenya_approver = member(Role.STATE_APPROVER, state="KEN")
    kenya = submitted_report("KEN", cycle, people.outsider, kenya_approver)
    france = amended_report(cycle, people.editor, people.approver, people.reviewer)
    contact_point(people.approver)
    marking_practice(france)
    return SimpleNamespace(
        france=france,
        kenya=kenya,
        request=tracing_request(people.editor, people.outsider),
        need=public_need(people.editor, people.donor),
    )


# --- the pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    persona: str | None  # a fixture of tests/conftest.py; None: an anonymous visitor
    url: Callable[[SimpleNamespace], str]

    def __str__(self) -> str:
        return self.name


PAGES = [
    Page("home", None, lambda w: reverse("home")),
    Page("login", None, lambda w: reverse("account_login")),
    Page("dashboard-editor", "editor", lambda w: reverse("dashboard")),
    Page("dashboard-approver", "approver", lambda w: reverse("dashboard")),
    Page("dashboard-reviewer", "reviewer", lambda w: reverse("dashboard")),
    Page("dashboard-administrator", "administrator", lambda w: reverse("dashboard")),
    Page("dashboard-donor", "donor", lambda w: reverse("dashboard")),
    Page(
        "report-editing",
        "editor",
        lambda w: reverse("reporting:section-edit", args=[w.france.pk, "coordination"]),
    ),
    Page(
        "report-editing-table-and-files",
        "editor",
        lambda w: reverse("reporting:section-edit", args=[w.france.pk, "laws"]),
    ),
    Page("report-view", "editor", lambda w: reverse("reporting:report-detail", args=[w.france.pk])),
    Page(
        "revision-diff",
        "reviewer",
        lambda w: reverse("reporting:revision-diff", args=[w.france.pk]) + "?a=1&b=now",
    ),
    Page("review-queue", "reviewer", lambda w: reverse("reporting:review-queue")),
    Page("directory", None, lambda w: reverse("tracing:directory")),
    Page("marking-catalogue", None, lambda w: reverse("tracing:marking-catalogue")),
    Page(
        "tracing-request",
        "editor",
        lambda w: reverse("tracing:request-detail", args=[w.request.pk]),
    ),
    Page("needs-board", None, lambda w: reverse("assistance:board")),
    Page("needs-board-donor", "donor", lambda w: reverse("assistance:board")),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("target", PAGES, ids=str)
def test_page_has_no_wcag_violation(open_page, people, world, target, language):
    user = getattr(people, target.persona) if target.persona else None
    page = open_page(user, language)
    response = page.goto(target.url(world))
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("which", ["list", "cycle"])
def test_statistics_pages_have_no_wcag_violation(open_page, which, language):
    data = build_world()  # States, cycles and published reports with figures and charts
    url = reverse("reporting:statistics")
    if which == "cycle":
        url = reverse("reporting:statistics-cycle", args=[data.c3.pk])
    page = open_page(None, language)
    assert page.goto(url).status == 200
    if which == "cycle":
        expect(page.locator("svg").first).to_be_attached()
    assert_accessible(page)


# --- the section page as the autosave changes it ----------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_section_stays_accessible_after_autosave_and_errors(open_page, editor, report, language):
    page = open_page(editor, language)
    page.goto(reverse("reporting:section-edit", args=[report.pk, "coordination"]))
    page.check("#q-1-1 input[value=yes]")
    expect(page.locator("#q-1-2")).to_be_visible()
    page.fill("#q-1-2-input", "Commission nationale")
    expect(page.locator("#q-1-2-state")).to_have_class("save-state saved")
    assert_accessible(page)
    page.fill("#q-1-3-email", "not an address")
    expect(page.locator("#q-1-3-error")).to_be_visible()
    assert_accessible(page)
    page.check("#q-1-1 input[value=no]")  # 1.2 would no longer apply: the page asks first
    expect(page.locator("#clear-confirm-yes")).to_be_focused()
    assert_accessible(page)


# --- errors linked to their fields -----------------------------------------------------------


def assert_errors_linked(page) -> int:
    """Every field marked aria-invalid is described by a visible element holding the error
    message; returns how many fields are marked."""
    fields = page.evaluate(
        """() => Array.from(document.querySelectorAll('[aria-invalid=true]')).map(field => ({
            field: field.id || field.name,
            described: (field.getAttribute('aria-describedby') || '').split(/\\s+/)
                .map(id => document.getElementById(id))
                .filter(e => e && !e.hidden && e.textContent.trim()).map(e => e.id),
        }))"""
    )
    assert all(f["described"] for f in fields), fields
    return len(fields)


def send_empty_tracing_request(page, request) -> None:
    page.goto(reverse("tracing:request-new"))
    page.locator("main form button[type=submit]").click()


def filter_needs_by_a_negative_cost(page, request) -> None:
    page.goto(reverse("assistance:board") + "?cost_min=-5")


def log_in_with_a_wrong_password(page, request) -> None:
    page.goto(reverse("account_login"))
    page.fill("input[name=login]", "nobody@example.org")
    page.fill("input[name=password]", "wrong password")
    page.locator("main form button[type=submit]").click()


def save_a_section_without_script(page, request) -> None:
    """The section form posted the old way (its script did not load): the page comes back
    with the errors."""
    report = request.getfixturevalue("report")
    page.route("**/js/report-editor*.js", lambda route: route.abort())
    page.goto(reverse("reporting:section-edit", args=[report.pk, "stockpiles"]))
    page.fill("#q-3-1-input", "many")
    page.locator("#section-form button[type=submit]").click()
    expect(page.locator("#q-3-1-error")).to_be_visible()


FORMS_WITH_ERRORS = {
    "tracing-request-form": ("editor", send_empty_tracing_request),
    "needs-board-filter": (None, filter_needs_by_a_negative_cost),
    "login": (None, log_in_with_a_wrong_password),
    "section-without-script": ("editor", save_a_section_without_script),
}


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("form", FORMS_WITH_ERRORS)
def test_form_errors_are_linked_to_their_fields(open_page, people, request, form, language):
    persona, submit = FORMS_WITH_ERRORS[form]
    page = open_page(getattr(people, persona) if persona else None, language)
    submit(page, request)
    page.wait_for_load_state()
    marked = assert_errors_linked(page)
    # allauth's error on a wrong password is about the form as a whole, not one field.
    assert marked == 0 if form == "login" else marked >= 1
    if form == "login":
        expect(page.locator("main form .errorlist.nonfield")).to_be_visible()
    assert_accessible(page)


# --- the keyboard alone -----------------------------------------------------------------------


def focus(page) -> dict:
    """What has the focus: its id (or name), its place among the form's fields, its question
    and how far down the page that question is."""
    return page.evaluate(
        """() => {
            const e = document.activeElement, q = e.closest('.question');
            const fields = Array.from(document.querySelectorAll('#section-form :is('
                + 'input:not([type=hidden]), textarea, button)'));
            return {id: e.id || e.name || e.getAttribute('href') || e.tagName,
                    index: fields.indexOf(e), question: q ? q.id : null,
                    top: q ? q.getBoundingClientRect().top + window.scrollY : null};
        }"""
    )


def tab_to(page, wanted: str, *, limit: int = 40) -> list[dict]:
    """Press Tab until `wanted` (an id, or a radio group's name) has the focus; returns what
    had the focus on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(focus(page))
        if seen[-1]["id"] == wanted:
            return seen
    raise AssertionError(f"Tab never reached {wanted}: {[f['id'] for f in seen]}")


def stored(report, key):
    answer = Answer.objects.filter(report=report, question__key=key).first()
    return answer.value if answer else None


def saved(page, number: str) -> None:
    state = page.locator(f"#q-{number.replace('.', '-')}-state")
    expect(state).to_have_attribute("aria-live", "polite")
    expect(state).to_have_class("save-state saved")
    expect(state).to_contain_text("Saved")


def test_a_section_is_completed_with_the_keyboard_alone(open_page, editor, report):
    page = open_page(editor)
    page.goto(reverse("reporting:section-edit", args=[report.pk, "coordination"]))
    page.keyboard.press("Tab")
    assert focus(page)["id"] == "#main"  # the skip link comes first
    page.keyboard.press("Enter")
    path = tab_to(page, "1.1")  # Tab enters the radio group of 1.1 at its first choice
    page.keyboard.press("Space")
    expect(page.locator("#q-1-1 input[value=yes]")).to_be_checked()
    saved(page, "1.1")
    expect(page.locator("#q-1-2")).to_be_visible()  # now applies

    path += tab_to(page, "q-1-2-input")
    page.keyboard.type("Commission nationale")
    path += tab_to(page, "q-1-3-name")
    page.keyboard.type("Claire Dubois")
    path += tab_to(page, "q-1-3-email")
    page.keyboard.type("not an address")
    page.keyboard.press("Shift+Tab")
    assert focus(page)["id"] == "q-1-3-phone"  # back one field, as on the page
    saved(page, "1.2")

    # The error is shown, marks the field invalid and is read with it.
    email = page.locator("#q-1-3-email")
    expect(page.locator("#q-1-3-error")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#q-1-3-name")).not_to_have_attribute("aria-invalid", "true")
    assert assert_errors_linked(page) == 1
    page.keyboard.press("Tab")
    assert focus(page)["id"] == "q-1-3-email"
    page.keyboard.press("Control+a")
    page.keyboard.type("claire.dubois@example.gouv.fr")
    saved(page, "1.3")
    expect(page.locator("#q-1-3-error")).to_be_hidden()
    expect(email).not_to_have_attribute("aria-invalid", "true")

    # 1.4 with the arrow keys; 1.5 applies to "Adopted" only.
    path += tab_to(page, "1.4")
    page.keyboard.press("Space")  # Adopted
    expect(page.locator("#q-1-5")).to_be_visible()
    page.keyboard.press("ArrowDown")  # In preparation
    expect(page.locator("#q-1-5")).to_be_hidden()
    page.keyboard.press("ArrowUp")  # Adopted again
    expect(page.locator("#q-1-5")).to_be_visible()
    saved(page, "1.4")
    path += tab_to(page, "q-1-5-input")
    page.keyboard.type("05022024")  # month, day, year in an en-US date field
    saved(page, "1.5")

    assert_follows_the_page(path)
    assert stored(report, "1.1") == "yes"
    assert stored(report, "1.2") == "Commission nationale"
    assert stored(report, "1.3") == {
        "name": "Claire Dubois",
        "email": "claire.dubois@example.gouv.fr",
    }
    assert (stored(report, "1.4"), stored(report, "1.5")) == ("adopted", "2024-05-02")
    expect(page.locator(".section-progress[data-section=coordination]")).to_have_text("100%")


def assert_follows_the_page(path: list[dict]) -> None:
    """Inside the form, Tab moved forward through the fields in the order of the page, from
    one question to the next, each lower on the page than the one before."""
    in_form = [f for f in path if f["index"] >= 0]
    indexes = [f["index"] for f in in_form]
    assert indexes == sorted(set(indexes)), [f["id"] for f in in_form]
    questions = list(dict.fromkeys(f["question"] for f in in_form if f["question"]))
    assert questions == ["q-1-1", "q-1-2", "q-1-3", "q-1-4", "q-1-5"]
    tops = [f["top"] for f in in_form if f["question"]]
    assert tops == sorted(tops)
