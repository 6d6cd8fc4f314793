"""Filling a national report: create, autosave, conflicts, conditions, submission, pages."""

import json
import re

import pytest
from django.urls import reverse

from core.models import AuditEntry, MemberState, Role
from reporting import presence, services
from reporting.models import Answer, Report, ReportRevision
from tests.conftest import generated_questionnaire, open_cycle_for, publish
from tests.factories import member

pytestmark = pytest.mark.django_db

COMPLETE = {
    "1.1": "yes",
    "1.2": "National Commission on Small Arms",
    "1.3": {"name": "Claire Dubois", "email": "claire.dubois@example.gouv.fr"},
    "2.1": [{"title_original": "Code de la sécurité intérieure"}],
    "2.3": "no",
    "3.1": 200,
    "3.2": 50,
}


def autosave(client, report, key, value, revision, **extra):
    return client.post(
        reverse("reporting:answer-save", args=[report.pk]),
        data=json.dumps({"answers": [{"key": key, "value": value, "revision": revision}], **extra}),
        content_type="application/json",
    )


def stored(report, key):
    answer = Answer.objects.filter(report=report, question__key=key).first()
    return (answer.value, answer.revision) if answer else (None, 0)


def fill(report, by, values=COMPLETE):
    services.save_answers(
        report,
        by=by,
        changes=[services.AnswerChange(k, v, stored(report, k)[1]) for k, v in values.items()],
        clear_hidden=True,
    )


# --- creating ---------------------------------------------------------------------------------


def test_editor_starts_a_report_from_the_page(client_for, editor, cycle):
    response = client_for(editor).post(
        reverse("reporting:report-create"),
        {
            "state": MemberState.objects.get(iso3="FRA").pk,
            "cycle": cycle.pk,
            "language": "fr",
        },
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert (report.state.iso3, report.language, report.status) == ("FRA", "fr", "draft")
    assert report.questionnaire == cycle.questionnaire
    assert AuditEntry.objects.filter(action="reporting.report.created").exists()


def test_one_report_per_state_and_cycle(editor, report):
    from core.errors import WorkflowError

    with pytest.raises(WorkflowError, match="already has a report"):
        services.create_report(state=report.state, cycle=report.cycle, by=editor, language="en")
    assert Report.objects.count() == 1


def test_no_report_in_a_closed_cycle(editor, cycle):
    import datetime

    from core.errors import WorkflowError

    cycle.opens_on = cycle.opens_on - datetime.timedelta(days=100)
    cycle.deadline = cycle.closes_on = cycle.opens_on + datetime.timedelta(days=50)
    cycle.save()
    with pytest.raises(WorkflowError, match="not open"):
        services.create_report(
            state=MemberState.objects.get(iso3="FRA"), cycle=cycle, by=editor, language="en"
        )
    assert not Report.objects.exists()


def test_outsider_cannot_start_a_report_for_another_state(client_for, outsider, cycle):
    response = client_for(outsider).post(
        reverse("reporting:report-create"),
        {
            "state": MemberState.objects.get(iso3="FRA").pk,
            "cycle": cycle.pk,
            "language": "en",
        },
    )
    assert response.status_code == 200  # France is not among the outsider's choices
    assert not Report.objects.exists()


def test_prefill_copies_answers_by_key_across_versions(editor, report, questionnaire):
    fill(report, editor)
    report.status = Report.Status.PUBLISHED
    report.save()
    data = generated_questionnaire("next", 4)
    data["sections"][0]["questions"].append(
        {"key": "1.2", "number": "1.2", "type": "short_text", "text": {"en": "Body"}}
    )
    data["sections"][0]["questions"].append(
        {
            "key": "3.1",
            "number": "3.1",
            "type": "number",
            "text": {"en": "Seized"},
            "config": {"integer": True, "max": 10},
        }
    )  # limit changed: not carried over
    later = open_cycle_for(publish(data), number=11, later_by_days=700)
    new = services.create_report(
        state=report.state, cycle=later, by=editor, language="en", prefill=True
    )
    assert stored(new, "1.2")[0] == "National Commission on Small Arms"
    assert stored(new, "3.1") == (None, 0)
    assert (
        AuditEntry.objects.filter(action="reporting.report.created")
        .first()
        .data["prefilled_answers"]
        == 1
    )


# --- autosave ---------------------------------------------------------------------------------


def test_autosave_saves_one_answer_and_returns_its_revision(client_for, editor, report):
    client = client_for(editor)
    response = autosave(client, report, "1.1", "yes", 0)
    assert response.status_code == 200
    assert response.json()["revisions"] == {"1.1": 1}
    response = autosave(client, report, "1.1", "no", 1)
    assert response.json()["revisions"] == {"1.1": 2}
    assert stored(report, "1.1") == ("no", 2)
    assert AuditEntry.objects.filter(action="reporting.answers.saved").count() == 2


def test_two_editors_racing_on_one_answer(client_for, editor, report):
    colleague = member(Role.STATE_EDITOR, state="FRA", first_name="Luc", last_name="Morel")
    mine, theirs = client_for(editor), client_for(colleague)
    refused = autosave(mine, report, "1.2", "Commission", 0)  # 1.2 applies only if 1.1 is yes
    assert refused.status_code == 400
    assert "does not apply" in refused.json()["errors"]["1.2"]
    autosave(mine, report, "1.1", "yes", 0)
    autosave(mine, report, "1.2", "Commission A", 0)
    # Both loaded revision 1; the colleague saves first and wins.
    assert autosave(theirs, report, "1.2", "Commission B", 1).status_code == 200
    lost = autosave(mine, report, "1.2", "Commission C", 1)
    assert lost.status_code == 409
    conflict = lost.json()["conflicts"]["1.2"]
    assert conflict == {
        **conflict,
        "value": "Commission B",
        "revision": 2,
        "display": "Commission B",
        "updated_by": "Luc Morel",
    }
    assert stored(report, "1.2") == ("Commission B", 2)
    # Choosing to keep mine: save again on their revision.
    assert autosave(mine, report, "1.2", "Commission C", 2).status_code == 200
    assert stored(report, "1.2") == ("Commission C", 3)


def test_retried_save_that_already_landed_is_not_a_conflict(client_for, editor, report):
    client = client_for(editor)
    autosave(client, report, "1.1", "yes", 0)
    response = autosave(client, report, "1.1", "yes", 0)  # the first response was lost
    assert response.status_code == 200
    assert stored(report, "1.1") == ("yes", 1)


def test_invalid_answer_is_refused_with_key_and_reason(client_for, editor, report):
    response = autosave(client_for(editor), report, "3.1", -5, 0)
    assert response.status_code == 400
    assert "3.1" in response.json()["errors"]
    assert stored(report, "3.1") == (None, 0)


@pytest.mark.parametrize(
    "body", ["not json", "[]", '{"answers": [{"key": "1.1"}]}', '{"answers": "x"}']
)
def test_malformed_autosave_gets_400(client_for, editor, report, body):
    response = client_for(editor).post(
        reverse("reporting:answer-save", args=[report.pk]),
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_outsider_and_anonymous_cannot_see_or_save(client_for, outsider, anonymous, report):
    for client in (client_for(outsider), anonymous):
        assert client.get(reverse("reporting:report-detail", args=[report.pk])).status_code in (
            302,
            404,
        )
        response = autosave(client, report, "1.1", "yes", 0)
        assert response.status_code in (302, 404)
    assert (
        client_for(outsider).get(reverse("reporting:report-detail", args=[report.pk])).status_code
        == 404
    )
    assert not Answer.objects.exists()


def test_reviewer_reads_but_cannot_write_a_draft(client_for, reviewer, report):
    client = client_for(reviewer)
    assert client.get(reverse("reporting:report-detail", args=[report.pk])).status_code == 200
    assert autosave(client, report, "1.1", "yes", 0).status_code == 403
    assert not Answer.objects.exists()


def test_one_autosave_is_a_short_transaction(
    client_for, editor, report, django_assert_max_num_queries
):
    client = client_for(editor)
    autosave(client, report, "1.1", "yes", 0)
    with django_assert_max_num_queries(14):
        assert autosave(client, report, "1.1", "no", 1).status_code == 200


# --- conditions -------------------------------------------------------------------------------


def test_page_asks_before_clearing_answers_that_stop_applying(client_for, editor, report):
    client = client_for(editor)
    autosave(client, report, "1.1", "yes", 0)
    autosave(client, report, "1.2", "Commission", 0)
    response = autosave(client, report, "1.1", "no", 1)
    assert response.status_code == 409
    assert response.json()["code"] == "confirm_clear"
    assert [q["key"] for q in response.json()["questions"]] == ["1.2"]
    assert stored(report, "1.1") == ("yes", 1)  # nothing saved yet
    response = autosave(client, report, "1.1", "no", 1, clear_hidden=True)
    assert response.status_code == 200
    assert response.json()["cleared"] == ["1.2"]
    assert "1.2" not in response.json()["visible"]
    assert stored(report, "1.2") == (None, 2)


# --- submission -------------------------------------------------------------------------------


def test_only_the_approver_submits(editor, report):
    from core.errors import WorkflowError

    fill(report, editor)
    with pytest.raises(WorkflowError) as exc:
        services.submit_report(report, by=editor, visibility="public", mfa_verified=True)
    assert exc.value.code == "forbidden"
    assert Report.objects.get().status == "draft"


def test_submission_needs_recent_mfa(approver, editor, report):
    from core.errors import WorkflowError

    fill(report, editor)
    with pytest.raises(WorkflowError) as exc:
        services.submit_report(report, by=approver, visibility="public", mfa_verified=False)
    assert exc.value.code == "mfa_required"


def test_submission_needs_every_required_answer(approver, editor, report):
    from core.errors import WorkflowError

    fill(report, editor, {k: v for k, v in COMPLETE.items() if k != "3.2"})
    with pytest.raises(WorkflowError) as exc:
        services.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    assert exc.value.code == "incomplete"
    assert exc.value.missing == ["3.2"]


def test_hidden_required_question_does_not_block_submission(approver, editor, report):
    fill(report, editor, {**{k: v for k, v in COMPLETE.items() if k != "1.2"}, "1.1": "no"})
    services.submit_report(report, by=approver, visibility="restricted", mfa_verified=True)
    assert Report.objects.get().status == "submitted"


def test_submitted_report_is_frozen_and_read_only(approver, editor, report, client_for):
    fill(report, editor)
    services.submit_report(report, by=approver, visibility="restricted", mfa_verified=True)
    report.refresh_from_db()
    assert (report.status, report.visibility) == ("submitted", "restricted")
    revision = ReportRevision.objects.get(report=report)
    assert revision.answers["1.2"] == "National Commission on Small Arms"
    assert revision.answers["3.3"] == "25.0"  # the calculated ratio is frozen too
    entry = AuditEntry.objects.get(action="reporting.report.submitted")
    assert entry.actor == approver and entry.state.iso3 == "FRA"
    response = autosave(client_for(editor), report, "1.1", "no", stored(report, "1.1")[1])
    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"
    assert stored(report, "1.1")[0] == "yes"


def test_approver_submits_from_the_page_after_mfa(client_for, approver, editor, report):
    fill(report, editor)
    client = client_for(approver)
    response = client.post(
        reverse("reporting:report-submit", args=[report.pk]),
        {"visibility": "public", "confirm": "on"},
    )
    # force_login records no second factor: the approver is asked to confirm it first.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert Report.objects.get().status == "draft"
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "mfa", "type": "totp", "at": __import__("time").time()}
    ]
    session["account_authentication_methods_user"] = str(approver.pk)
    session.save()
    client.post(
        reverse("reporting:report-submit", args=[report.pk]),
        {"visibility": "public", "confirm": "on"},
    )
    assert Report.objects.get().status == "submitted"


# --- pages ------------------------------------------------------------------------------------


def test_section_page_shows_questions_in_the_users_language(client_for, editor, report):
    client = client_for(editor)
    client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    page = client.get(reverse("reporting:section-edit", args=[report.pk, "coordination"]))
    content = page.content.decode()
    assert page.status_code == 200
    assert 'dir="rtl"' in content
    assert "هل أنشأ بلدكم" in content
    assert 'aria-live="polite"' in content
    assert "report-editor.js" in content


def test_section_form_without_javascript_saves_and_reports_errors(client_for, editor, report):
    client = client_for(editor)
    url = reverse("reporting:section-edit", args=[report.pk, "stockpiles"])
    response = client.post(url, {"rev:3.1": "0", "3.1": "-1", "rev:3.2": "0", "3.2": "7"})
    assert response.status_code == 400
    assert "q-3-1" in response.content.decode()
    assert stored(report, "3.2") == (None, 0)  # all or nothing
    response = client.post(url, {"rev:3.1": "0", "3.1": "20", "rev:3.2": "0", "3.2": "7"})
    assert response.status_code == 302
    assert stored(report, "3.1") == (20, 1)


#: One question of each type that is typed in, in turn, and an answer to it.
TWO_OPTIONS = [{"value": "a", "label": {"en": "A"}}, {"value": "b", "label": {"en": "B"}}]
TYPED_QUESTIONS = [
    ({"type": "yes_no"}, "yes"),
    ({"type": "single_choice", "options": TWO_OPTIONS}, "b"),
    ({"type": "multiple_choice", "options": TWO_OPTIONS}, ["a", "b"]),
    ({"type": "short_text"}, "A short answer"),
    ({"type": "long_text"}, "A longer answer,\non two lines."),
    ({"type": "number", "config": {"integer": True, "min": 0}}, 42),
    ({"type": "date"}, "2024-05-01"),
    ({"type": "contact"}, {"name": "Claire Dubois", "email": "claire.dubois@example.org"}),
    (
        {
            "type": "table",
            "config": {
                "columns": [
                    {"key": "title", "label": {"en": "Title"}, "type": "text"},
                    {"key": "year", "label": {"en": "Year"}, "type": "number"},
                ]
            },
        },
        [{"title": "Firearms Act", "year": 2020}, {"title": "Decree", "year": 2021}],
    ),
]


def typed_report(editor, size: int, number: int):
    """A draft on a generated questionnaire of `size` questions of every typed-in type, in
    two sections, every question answered."""
    data = generated_questionnaire(f"typed{size}", size)
    for section in data["sections"]:
        for question in section["questions"]:
            question.update(TYPED_QUESTIONS[int(question["key"][1:]) % len(TYPED_QUESTIONS)][0])
    report = services.create_report(
        state=MemberState.objects.get(iso3="FRA"),
        cycle=open_cycle_for(publish(data), number),
        by=editor,
        language="en",
    )
    answers = [TYPED_QUESTIONS[i % len(TYPED_QUESTIONS)][1] for i in range(size)]
    services.save_answers(
        report,
        by=editor,
        changes=[services.AnswerChange(f"q{i}", answer, 0) for i, answer in enumerate(answers)],
    )
    return report


def test_section_page_query_count_is_the_same_at_50_100_and_200_questions(
    client_for, editor, db, django_assert_max_num_queries
):
    client = client_for(editor)
    client.get(reverse("reporting:report-list"))  # the session's first queries
    counts = {}
    for number, size in enumerate((50, 100, 200), start=20):
        report = typed_report(editor, size, number)
        url = reverse("reporting:section-edit", args=[report.pk, "a"])
        with django_assert_max_num_queries(30) as rendered:
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count('class="question"') == size // 2
        with django_assert_max_num_queries(30) as cached:
            assert client.get(url).content.count(b'class="question"') == size // 2
        counts[size] = (len(rendered.captured_queries), len(cached.captured_queries))
    assert counts[50] == counts[100] == counts[200]
    assert counts[50][1] < counts[50][0]  # the answers are not read again


def section_progress(page: str, key: str) -> int:
    return int(re.search(rf'data-section="{key}">(\d+)%', page).group(1))


def test_section_page_shows_an_answer_saved_after_it_was_shown(client_for, editor, report):
    client = client_for(editor)
    url = reverse("reporting:section-edit", args=[report.pk, "coordination"])
    before = client.get(url).content.decode()
    assert "National Commission" not in before
    autosave(client, report, "1.1", "yes", 0)
    autosave(client, report, "1.2", "National Commission", 0)
    after = client.get(url).content.decode()
    assert 'value="National Commission"' in after
    assert section_progress(after, "coordination") > section_progress(before, "coordination")


def test_section_page_follows_answers_saved_in_other_sections(client_for, editor, db):
    data = generated_questionnaire("linked", 4)
    data["sections"][0]["questions"][0]["type"] = "yes_no"
    data["sections"][1]["questions"][0]["condition"] = {"key": "q0", "in": ["yes"]}
    report = services.create_report(
        state=MemberState.objects.get(iso3="FRA"),
        cycle=open_cycle_for(publish(data)),
        by=editor,
        language="en",
    )
    client = client_for(editor)
    url = reverse("reporting:section-edit", args=[report.pk, "b"])
    assert re.search(r'id="q-q2"[^>]* hidden>', client.get(url).content.decode())
    autosave(client, report, "q0", "yes", 0)
    page = client.get(url).content.decode()
    assert re.search(r'id="q-q2"[^>]*>', page) and not re.search(r'id="q-q2"[^>]* hidden>', page)


def test_section_page_follows_status_language_and_reader(
    client_for, approver, editor, reviewer, report
):
    fill(report, editor)
    url = reverse("reporting:section-edit", args=[report.pk, "coordination"])
    client = client_for(editor)
    assert "Save this section" in client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert "(obligatoire)" in client.get(url).content.decode()
    reviewer_page = client_for(reviewer).get(url).content.decode()
    assert "Save this section" not in reviewer_page and " disabled" in reviewer_page
    services.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(url).content.decode()
    assert "Save this section" not in page and " disabled" in page


def test_print_view_and_draft_pdf(client_for, editor, report):
    fill(report, editor)
    client = client_for(editor)
    page = client.get(reverse("reporting:report-print", args=[report.pk])).content.decode()
    assert "National Commission on Small Arms" in page and "Draft" in page
    response = client.get(reverse("reporting:report-pdf", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_presence_shows_who_else_is_editing(client_for, editor, report):
    colleague = member(Role.STATE_EDITOR, state="FRA", first_name="Luc", last_name="Morel")
    client_for(colleague).get(reverse("reporting:report-detail", args=[report.pk]))
    response = client_for(editor).post(reverse("reporting:presence", args=[report.pk]))
    assert response.json()["others"] == ["Luc Morel"]


def test_saving_keeps_the_editor_present_without_a_cache_write_per_save(
    client_for, editor, report, monkeypatch
):
    monkeypatch.setattr(presence, "_refreshed", {})
    colleague = member(Role.STATE_EDITOR, state="FRA", first_name="Luc", last_name="Morel")
    touches = []
    real_touch = presence.touch
    monkeypatch.setattr(presence, "touch", lambda *a: touches.append(a) or real_touch(*a))
    luc = client_for(colleague)
    assert autosave(luc, report, "1.1", "yes", 0).status_code == 200
    assert autosave(luc, report, "1.2", "National Commission", 0).status_code == 200
    assert len(touches) == 1  # the second save, seconds later, leaves the cache alone
    response = client_for(editor).post(reverse("reporting:presence", args=[report.pk]))
    assert response.json()["others"] == ["Luc Morel"]


def test_section_unchanged_copies_previous_answers(client_for, editor, report, cycle):
    fill(report, editor)
    report.status = Report.Status.PUBLISHED
    report.save()
    later = open_cycle_for(cycle.questionnaire, number=11, later_by_days=700)
    new = services.create_report(state=report.state, cycle=later, by=editor, language="en")
    client_for(editor).post(reverse("reporting:section-unchanged", args=[new.pk, "stockpiles"]))
    assert stored(new, "3.1") == (200, 1)
    assert stored(new, "1.1") == (None, 0)
    new.refresh_from_db()
    assert new.unchanged_sections == ["stockpiles"]


# --- files ------------------------------------------------------------------------------------

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(client, report, name, content, key="2.5"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("reporting:attachment-upload", args=[report.pk]),
        {"key": key, "file": SimpleUploadedFile(name, content)},
    )


def test_upload_a_file_answer_and_download_it(client_for, editor, outsider, report):
    client = client_for(editor)
    response = upload(client, report, "../../etc/national-action-plan.pdf", MINIMAL_PDF)
    assert response.status_code == 200, response.content
    token = response.json()["attachment"]["token"]
    assert stored(report, "2.5") == ([token], 1)
    attachment = report.attachments.get()
    assert attachment.original_name.endswith("national-action-plan.pdf")
    assert ".." not in attachment.file.name and attachment.file.name.endswith(".pdf")
    download = client.get(reverse("reporting:attachment-download", args=[report.pk, token]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == MINIMAL_PDF
    assert download["X-Content-Type-Options"] == "nosniff"
    assert (
        client_for(outsider)
        .get(reverse("reporting:attachment-download", args=[report.pk, token]))
        .status_code
        == 404
    )


def test_file_whose_content_does_not_match_is_refused(client_for, editor, report):
    response = upload(client_for(editor), report, "plan.pdf", PNG)
    assert response.status_code == 400
    assert "2.5" in response.json()["errors"]
    assert not report.attachments.exists()
    assert stored(report, "2.5") == (None, 0)


def test_file_over_the_limit_is_refused(client_for, editor, report, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    response = upload(client_for(editor), report, "plan.pdf", MINIMAL_PDF + b"0" * 200)
    assert response.status_code == 400
    assert not report.attachments.exists()


def test_upload_to_a_question_that_takes_no_file_is_refused(client_for, editor, report):
    response = upload(client_for(editor), report, "plan.pdf", MINIMAL_PDF, key="1.2")
    assert response.status_code == 400
    assert not report.attachments.exists()


def test_arabic_draft_pdf_has_arabic_text_and_fonts(client_for, editor, report, tmp_path):
    import subprocess

    fill(report, editor)
    client = client_for(editor)
    client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    pdf = client.get(reverse("reporting:report-pdf", args=[report.pk])).content
    path = tmp_path / "draft.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "التنسيق" in text or "الوطني" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "DejaVu" in fonts
