"""The demo command loads working accounts and data, and can run twice."""

from io import StringIO

import pytest
from django.core.management import call_command

from core.models import Membership, User
from reporting.models import Report

pytestmark = pytest.mark.django_db
ACCOUNTS = {
    "admin",
    "reviewer",
    "editor.fra",
    "approver.fra",
    "editor.ken",
    "approver.ken",
    "donor.eu",
}


def test_demo_is_idempotent_and_accounts_log_in(anonymous, settings):
    out = StringIO()
    call_command("demo", "--force", stdout=out)
    counts = (User.objects.count(), Membership.objects.count(), Report.objects.count())
    call_command("demo", "--force", stdout=StringIO())
    assert (User.objects.count(), Membership.objects.count(), Report.objects.count()) == counts
    assert set(User.objects.values_list("username", flat=True)) >= ACCOUNTS
    assert "demo-poa-2026" in out.getvalue()
    settings.DEBUG = True
    response = anonymous.post(
        "/accounts/login/", {"login": "approver.fra", "password": "demo-poa-2026"}
    )
    assert response.status_code == 302
    page = anonymous.get("/dashboard/").content.decode()
    assert "Draft" in page and "France" in page


def test_demo_opens_a_reporting_cycle(db):
    from reporting.models import Cycle

    call_command("demo", "--force", stdout=StringIO())
    assert Cycle.objects.open_on().exists()
    assert Report.objects.filter(state__iso3="KEN", status="draft").exists()


def test_demo_reports_are_marked_as_demo_data(anonymous, db):
    call_command("demo", "--force", stdout=StringIO())
    assert not Report.objects.filter(is_demo=False).exists()
    report = Report.objects.filter(status="published", published_visibility="public").first()
    page = anonymous.get(f"/reports/{report.pk}/").content.decode()
    assert "Demo data" in page
