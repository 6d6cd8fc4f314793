"""Autosave in a real browser: each answer saved, conflicts shown, no work lost offline."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from core.models import Role
from reporting.models import Answer
from tests.factories import member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stored(report, key):
    answer = Answer.objects.filter(report=report, question__key=key).first()
    return answer.value if answer else None


def section(page, report, key="coordination"):
    page.goto(f"/reports/{report.pk}/sections/{key}/")


def test_editor_sees_each_answer_saved_and_it_stays_saved(page_for, editor, report):
    page = page_for(editor)
    section(page, report)
    page.check("#q-1-1 input[value=yes]")
    expect(page.locator("#q-1-1-state")).to_contain_text("Saved")
    expect(page.locator("#q-1-2")).to_be_visible()  # the condition now holds
    page.fill("#q-1-2-input", "Commission nationale")
    expect(page.locator("#q-1-2-state")).to_contain_text("Saved", timeout=5000)
    page.fill("#q-1-3-name", "Claire Dubois")
    page.fill("#q-1-3-email", "not an address")
    expect(page.locator("#q-1-3-error")).to_be_visible(timeout=5000)
    assert stored(report, "1.2") == "Commission nationale"
    page.reload()
    expect(page.locator("#q-1-2-input")).to_have_value("Commission nationale")


def test_conflicting_change_is_shown_and_resolved(page_for, editor, report):
    colleague = member(Role.STATE_EDITOR, state="FRA", first_name="Luc", last_name="Morel")
    mine, theirs = page_for(editor), page_for(colleague)
    section(mine, report)
    mine.check("#q-1-1 input[value=yes]")
    expect(mine.locator("#q-1-1-state")).to_contain_text("Saved")
    section(theirs, report)
    mine.fill("#q-1-2-input", "Version A")
    expect(mine.locator("#q-1-2-state")).to_contain_text("Saved", timeout=5000)
    section(theirs, report)
    theirs.fill("#q-1-2-input", "Version B")
    expect(theirs.locator("#q-1-2-state")).to_contain_text("Saved", timeout=5000)
    mine.fill("#q-1-2-input", "Version C")
    conflict = mine.locator("#q-1-2-conflict")
    expect(conflict).to_contain_text("Version B", timeout=5000)
    expect(conflict).to_contain_text("Luc Morel")
    assert stored(report, "1.2") == "Version B"  # never a silent overwrite
    conflict.get_by_role("button", name="Keep my answer").click()
    expect(mine.locator("#q-1-2-state")).to_contain_text("Saved", timeout=5000)
    assert stored(report, "1.2") == "Version C"


def test_answers_typed_offline_are_saved_when_the_connection_returns(page_for, editor, report):
    page = page_for(editor)
    section(page, report, "stockpiles")
    page.context.set_offline(True)
    page.fill("#q-3-1-input", "250")
    expect(page.locator("#q-3-1-state")).to_contain_text("retrying", timeout=5000)
    expect(page.get_by_role("alert")).to_contain_text("Connection lost")
    assert stored(report, "3.1") is None
    page.context.set_offline(False)
    expect(page.locator("#q-3-1-state")).to_contain_text("Saved", timeout=15000)
    assert stored(report, "3.1") == 250


def test_a_save_refused_while_the_database_restarts_is_sent_again(page_for, editor, report):
    """The server answers 503 (tests/security/test_faults.py): the page says the service is
    briefly unavailable, keeps the answer and saves it once the server accepts it."""
    page = page_for(editor)
    section(page, report, "stockpiles")
    refused = []

    def first_save_unavailable(route):
        if refused:
            route.continue_()
            return
        refused.append(route.request.post_data)
        body = {"detail": "Nothing was saved: try again in a moment.", "code": "unavailable"}
        route.fulfill(status=503, headers={"Retry-After": "10"}, json=body)

    page.route(re.compile(r"/answers/$"), first_save_unavailable)
    page.fill("#q-3-1-input", "250")
    expect(page.locator("#q-3-1-state")).to_contain_text("retrying", timeout=5000)
    expect(page.get_by_role("alert")).to_contain_text("briefly unavailable")
    expect(page.locator("#q-3-1-state")).to_contain_text("Saved", timeout=15000)
    assert refused and stored(report, "3.1") == 250


def test_page_asks_before_clearing_dependent_answers(page_for, editor, report):
    page = page_for(editor)
    section(page, report)
    page.check("#q-1-1 input[value=yes]")
    page.fill("#q-1-2-input", "Commission")
    expect(page.locator("#q-1-2-state")).to_contain_text("Saved", timeout=5000)
    page.check("#q-1-1 input[value=no]")
    expect(page.locator("#clear-confirm")).to_contain_text("1.2", timeout=5000)
    assert stored(report, "1.1") == "yes"
    page.click("#clear-confirm-yes")
    expect(page.locator("#q-1-2")).to_be_hidden(timeout=5000)
    expect(page.locator("#q-1-1-state")).to_contain_text("Saved")
    assert stored(report, "1.1") == "no" and stored(report, "1.2") is None


# --- times and counters written by the page, in the page's language ------------------------

# Where the person is: the page writes the time of the save on their clock.
ZONES = {"ar": "Asia/Riyadh", "zh-hans": "Asia/Shanghai"}


def clock(instant: datetime.datetime, language: str) -> str:
    """How the language writes a time of day, as Django's own formats do on the server
    (Latin digits in Arabic, with ص/م for am/pm; 24 hours in Chinese)."""
    local = instant.astimezone(ZoneInfo(ZONES[language]))
    if language == "ar":
        return f"{local.hour % 12 or 12}:{local:%M:%S} {'م' if local.hour >= 12 else 'ص'}"
    return f"{local:%H:%M:%S}"


@pytest.mark.parametrize("language", ["ar", "zh-hans"])
def test_autosave_time_and_counters_are_written_as_the_language_does(
    page_for, live_server, editor, report, language
):
    page = page_for(editor, timezone_id=ZONES[language])
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    section(page, report)
    expect(page.locator("html")).to_have_attribute("lang", language)
    progress = page.locator("#report-progress")
    before = progress.inner_text()
    with page.expect_response(re.compile(r"/answers/$")) as response:
        page.check("#q-1-1 input[value=yes]")
    saved_at = datetime.datetime.fromisoformat(response.value.json()["saved_at"])
    with translation.override(language):
        saved = translation.gettext("Saved at %(time)s") % {"time": clock(saved_at, language)}
    expect(page.locator("#q-1-1-state")).to_have_text(saved)
    # The counter the page rewrote reads exactly as the one the server writes on reload.
    expect(progress).not_to_have_text(before)
    written = progress.inner_text()
    page.reload()
    expect(progress).to_have_text(written)
