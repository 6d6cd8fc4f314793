"""Autosave in a real browser: each answer saved, conflicts shown, no work lost offline."""

import pytest
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
