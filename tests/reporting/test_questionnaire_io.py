"""Questionnaire versions as files: export, import with checks, copy and publish."""

import copy
import datetime
import sys
import types
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.errors import WorkflowError
from core.models import AuditEntry, MemberState
from reporting.models import Cycle, Meeting, Question, QuestionnaireVersion, Report, Section
from reporting.questionnaire_io import (
    QuestionnaireDefinitionError,
    QuestionnaireImportError,
    copy_version,
    dump,
    export_version,
    import_version,
    load,
    publish_version,
)

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "reporting" / "questionnaires" / "sample.yaml"
LANGUAGES = {"en", "fr", "es", "ar", "ru", "zh-hans"}


def sample_data() -> dict:
    return load(FIXTURE.read_text(encoding="utf-8"), "yaml")


def question_data(data: dict, key: str) -> dict:
    return next(q for s in data["sections"] for q in s["questions"] if q["key"] == key)


def counts() -> tuple[int, int, int]:
    return QuestionnaireVersion.objects.count(), Section.objects.count(), Question.objects.count()


@pytest.fixture
def sample(administrator) -> QuestionnaireVersion:
    return import_version(sample_data(), by=administrator)


def use_in_report(version: QuestionnaireVersion) -> Report:
    meeting = Meeting.objects.create(
        kind=Meeting.Kind.BMS,
        number=42,
        start_date=datetime.date(2030, 6, 10),
        end_date=datetime.date(2030, 6, 14),
    )
    cycle = Cycle.objects.create(
        meeting=meeting,
        opens_on=datetime.date(2029, 6, 1),
        deadline=datetime.date(2030, 3, 31),
        closes_on=datetime.date(2030, 3, 31),
    )
    return Report.objects.create(
        state=MemberState.objects.get(iso3="FRA"),
        cycle=cycle,
        questionnaire=version,
        language="fr",
    )


# --- Export and import ------------------------------------------------------------------------


def test_sample_fixture_imports_with_every_question_type(sample, administrator):
    assert sample.status == QuestionnaireVersion.Status.DRAFT
    assert list(sample.sections.values_list("key", flat=True)) == [
        "coordination",
        "laws",
        "stockpiles",
    ]
    questions = list(sample.questions.order_by("section__position", "position"))
    assert len(questions) == 14
    assert {q.type for q in questions} == set(Question.Type.values)
    assert all(set(q.text) == LANGUAGES for q in questions)
    assert set(sample.title) == LANGUAGES
    numbers = {q.key: q.config for q in questions if q.type == Question.Type.NUMBER}
    assert numbers["3.1"]["integer"] is True and numbers["3.1"]["min"] == 0
    assert numbers["3.4"] == {"integer": False, "decimal_places": 2, "min": 0}
    assert sample.questions.get(key="1.2").condition == {"key": "1.1", "in": ["yes"]}
    assert sample.questions.filter(required=True).count() >= 3
    entry = AuditEntry.objects.get(action="reporting.questionnaire.imported")
    assert entry.actor == administrator
    assert entry.data == {"code": "sample", "questions": 14, "replaced": False}


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_then_import_gives_an_identical_export(sample, administrator, fmt):
    exported = export_version(sample)
    text = dump(exported, fmt)
    sample.delete()

    imported = import_version(load(text, fmt), by=administrator)

    assert export_version(imported) == exported
    assert dump(export_version(imported), fmt) == text


def test_export_leaves_out_empty_parts_and_keeps_key_order(sample):
    exported = export_version(sample)
    assert list(exported) == ["code", "title", "based_on", "sections"]
    assert list(exported["title"]) == ["en", "fr", "es", "ar", "ru", "zh-hans"]
    contact = question_data(exported, "1.3")
    assert list(contact) == ["key", "number", "type", "text", "required", "paragraph"]
    assert "help" not in exported["sections"][1]


# --- Checks -----------------------------------------------------------------------------------


def set_question(question_key: str, **fields):
    """A change to the sample data: set fields of one question."""
    return lambda data: question_data(data, question_key).update(fields)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda data: data.pop("code"), "questionnaire: the code is missing"),
        (lambda data: data.update(code="not a slug"), "the code 'not a slug' is not valid"),
        (set_question("2.3", type="numbr"), "section 2, question '2.3': unknown type 'numbr'"),
        (
            lambda data: data["sections"][2].update(key="coordination"),
            "section 3: duplicate section key 'coordination'",
        ),
        (set_question("3.4", key="1.1"), "section 3, question '1.1': duplicate question key '1.1'"),
        (
            set_question("1.2", condition={"key": "9.9", "in": ["yes"]}),
            "section 1, question '1.2': the condition refers to unknown question '9.9'",
        ),
        (
            set_question("1.2", condition={"key": "1.1", "in": ["maybe"]}),
            "section 1, question '1.2': the condition values 'maybe' are not answers to "
            "question '1.1'",
        ),
        (
            set_question("1.5", condition={"key": "1.4", "in": ["ratified"]}),
            "section 1, question '1.5': the condition values 'ratified'",
        ),
        (
            set_question("1.2", condition={"key": "1.1", "in": [True]}),
            "the condition values 'True' are not answers",
        ),
        (
            set_question("1.2", condition={"key": "1.2", "in": ["yes"]}),
            # Reported here, or by reporting.questions.validate_definition in its own words.
            ("section 1, question '1.2': ", "to the question itself"),
        ),
        (
            set_question("2.4", condition={"key": "3.1", "in": ["5"]}),
            "which is not a yes/no or choice question",
        ),
        (
            lambda data: question_data(data, "2.2")["text"].pop("en"),
            "section 2, question '2.2': text is missing in English",
        ),
        (set_question("1.1", key=1.1), "section 1, question 1: key must be text"),
        (set_question("1.1", requried=True), "section 1, question '1.1': unknown field 'requried'"),
        (
            lambda data: question_data(data, "3.3")["config"].update(numerator="1.1"),
            "section 3, question '3.3': the formula reads '1.1' (numerator), which is not a "
            "number question",
        ),
        (
            set_question("3.3", config={"formula": "sum", "keys": ["3.1", "2.2"]}),
            "section 3, question '3.3': the formula reads '2.2' (keys), which is not",
        ),
        (
            lambda data: data["sections"][0].update(questions={"1.1": {}}),
            "section 1: questions must be a list",
        ),
        (
            lambda data: data.update(based_on="nowhere"),
            "questionnaire: based_on: there is no version 'nowhere'",
        ),
    ],
)
def test_bad_definition_is_reported_with_its_location_and_nothing_is_written(
    administrator, change, problem
):
    data = sample_data()
    change(data)
    before = counts()

    with pytest.raises(QuestionnaireImportError) as excinfo:
        import_version(data, by=administrator)

    parts = (problem,) if isinstance(problem, str) else problem
    reported = excinfo.value.problems
    assert any(all(part in line for part in parts) for line in reported), reported
    assert isinstance(excinfo.value, WorkflowError)
    assert counts() == before
    assert not AuditEntry.objects.filter(action="reporting.questionnaire.imported").exists()


def test_every_problem_is_reported_at_once(administrator):
    data = sample_data()
    question_data(data, "2.3")["type"] = "numbr"
    del question_data(data, "1.1")["text"]["en"]
    data["sections"][2]["key"] = "laws"

    with pytest.raises(QuestionnaireImportError) as excinfo:
        import_version(data, by=administrator)

    assert len(excinfo.value.problems) == 3
    assert excinfo.value.message == "The questionnaire has 3 problems."


def test_a_definition_that_is_not_a_mapping_is_refused(administrator):
    with pytest.raises(QuestionnaireImportError) as excinfo:
        import_version(["sample"], by=administrator)
    assert excinfo.value.problems == [
        "The questionnaire must be a mapping with a code, a title and sections."
    ]


def test_problems_from_validate_definition_are_included(administrator, monkeypatch):
    def validate_definition(question) -> list[str]:
        return ["max_length must be positive"] if question.key == "1.2" else []

    module = types.SimpleNamespace(validate_definition=validate_definition)
    monkeypatch.setitem(sys.modules, "reporting.questions", module)

    with pytest.raises(QuestionnaireImportError) as excinfo:
        import_version(sample_data(), by=administrator)

    assert excinfo.value.problems == ["section 1, question '1.2': max_length must be positive"]


def test_import_works_while_validate_definition_is_missing(administrator, monkeypatch):
    # None in sys.modules makes the import fail as if the module did not exist.
    monkeypatch.setitem(sys.modules, "reporting.questions", None)
    assert import_version(sample_data(), by=administrator).questions.count() == 14


# --- Existing versions ------------------------------------------------------------------------


def test_importing_over_a_published_version_is_refused(sample, administrator):
    publish_version(sample, by=administrator)
    data = sample_data()
    question_data(data, "1.1")["text"]["en"] = "Changed?"

    with pytest.raises(WorkflowError, match="published"):
        import_version(data, by=administrator, replace=True)

    assert sample.questions.get(key="1.1").text["en"].startswith("Has your country")


def test_importing_over_a_version_used_by_a_report_is_refused(sample, administrator):
    use_in_report(sample)
    before = counts()

    with pytest.raises(WorkflowError, match="used by reports"):
        import_version(sample_data(), by=administrator, replace=True)

    assert counts() == before


def test_importing_an_existing_draft_without_replace_is_refused(sample, administrator):
    with pytest.raises(WorkflowError, match="already exists"):
        import_version(sample_data(), by=administrator)


def test_replace_rewrites_the_draft(sample, administrator):
    data = sample_data()
    del data["sections"][2]
    question_data(data, "1.1")["text"]["en"] = "Is there a national coordination body?"

    version = import_version(data, by=administrator, replace=True)

    assert version.pk == sample.pk
    assert version.sections.count() == 2
    assert version.questions.count() == 10
    assert version.questions.get(key="1.1").text["en"] == "Is there a national coordination body?"
    assert AuditEntry.objects.filter(action="reporting.questionnaire.imported").first().data == {
        "code": "sample",
        "questions": 10,
        "replaced": True,
    }


def test_editor_may_not_import(editor):
    with pytest.raises(WorkflowError, match="may not manage"):
        import_version(sample_data(), by=editor)
    assert not QuestionnaireVersion.objects.exists()


# --- Copy and publish -------------------------------------------------------------------------


def test_copy_version_deep_copies_under_the_same_keys(sample, administrator):
    publish_version(sample, by=administrator)

    draft = copy_version(sample, code="sample-2", by=administrator)

    assert draft.status == QuestionnaireVersion.Status.DRAFT
    assert draft.based_on == sample
    original, copied = export_version(sample), export_version(draft)
    assert copied == {**original, "code": "sample-2", "based_on": "sample"}
    assert not set(draft.questions.values_list("pk", flat=True)) & set(
        sample.questions.values_list("pk", flat=True)
    )
    entry = AuditEntry.objects.get(action="reporting.questionnaire.copied")
    assert entry.actor == administrator
    assert entry.object_id == str(draft.pk)


def test_copy_version_refuses_a_taken_code(sample, administrator):
    with pytest.raises(WorkflowError, match="already exists"):
        copy_version(sample, code="sample", by=administrator)


def test_publish_version_publishes_a_draft(sample, administrator):
    version = publish_version(sample, by=administrator)

    assert version.status == QuestionnaireVersion.Status.PUBLISHED
    assert version.published_at is not None
    assert AuditEntry.objects.get(action="reporting.questionnaire.published").actor == (
        administrator
    )
    with pytest.raises(WorkflowError, match="Only a draft"):
        publish_version(version, by=administrator)


def test_publish_refuses_a_version_without_questions(administrator):
    version = QuestionnaireVersion.objects.create(code="empty", title={"en": "Empty"})

    with pytest.raises(WorkflowError, match="without questions"):
        publish_version(version, by=administrator)

    version.refresh_from_db()
    assert version.status == QuestionnaireVersion.Status.DRAFT
    assert not AuditEntry.objects.filter(action="reporting.questionnaire.published").exists()


def test_publish_refuses_a_version_that_fails_the_checks(sample, administrator):
    sample.questions.filter(key="1.2").update(condition={"key": "gone", "in": ["yes"]})

    with pytest.raises(QuestionnaireDefinitionError) as excinfo:
        publish_version(sample, by=administrator)

    assert "section 1, question '1.2': the condition refers to unknown question 'gone'" in (
        excinfo.value.problems
    )
    sample.refresh_from_db()
    assert sample.status == QuestionnaireVersion.Status.DRAFT


# --- Management commands ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_export_command_writes_the_version(sample, tmp_path, suffix):
    path = tmp_path / f"sample{suffix}"
    out = StringIO()

    call_command("export_questionnaire", "sample", str(path), stdout=out)

    assert load(path.read_text(encoding="utf-8"), suffix[1:]) == export_version(sample)
    assert "Exported sample: 3 sections, 14 questions" in out.getvalue()


def test_export_command_rejects_unknown_code_and_suffix(sample, tmp_path):
    with pytest.raises(CommandError, match="No questionnaire version"):
        call_command("export_questionnaire", "nope", str(tmp_path / "x.json"))
    with pytest.raises(CommandError, match="Cannot tell the format"):
        call_command("export_questionnaire", "sample", str(tmp_path / "x.txt"))


def test_import_command_imports_and_publishes(db):
    out = StringIO()

    call_command("import_questionnaire", str(FIXTURE), "--publish", stdout=out)

    assert "Imported sample (published): 3 sections, 14 questions." in out.getvalue()
    version = QuestionnaireVersion.objects.get(code="sample")
    assert version.status == QuestionnaireVersion.Status.PUBLISHED
    assert AuditEntry.objects.get(action="reporting.questionnaire.imported").actor is None


def test_import_command_replaces_a_draft(sample, tmp_path):
    path = tmp_path / "sample.json"
    data = sample_data()
    data["sections"] = data["sections"][:1]
    path.write_text(dump(data, "json"), encoding="utf-8")
    out = StringIO()

    call_command("import_questionnaire", str(path), "--replace", stdout=out)

    assert "Imported sample (draft): 1 sections, 5 questions." in out.getvalue()


def test_import_command_lists_problems_and_exits_with_1(tmp_path):
    data = sample_data()
    question_data(data, "2.3")["type"] = "numbr"
    question_data(data, "1.2")["condition"] = {"key": "1.2", "in": ["yes"]}
    path = tmp_path / "bad.yaml"
    path.write_text(dump(data, "yaml"), encoding="utf-8")
    err = StringIO()

    with pytest.raises(CommandError, match="2 problems") as excinfo:
        call_command("import_questionnaire", str(path), stderr=err)

    assert excinfo.value.returncode == 1
    assert "- section 2, question '2.3': unknown type 'numbr'" in err.getvalue()
    assert "- section 1, question '1.2': " in err.getvalue()
    assert not QuestionnaireVersion.objects.exists()


def test_import_command_refuses_a_published_version(sample, administrator):
    publish_version(sample, by=administrator)
    with pytest.raises(CommandError, match="published"):
        call_command("import_questionnaire", str(FIXTURE), "--replace")


def test_import_command_reports_malformed_files(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_questionnaire", str(path))
    with pytest.raises(CommandError):
        call_command("import_questionnaire", str(tmp_path / "missing.yaml"))


def test_sample_fixture_round_trips_without_loss():
    # The fixture itself is a valid export: every field it sets survives an import.
    data = sample_data()
    version = import_version(copy.deepcopy(data), by=None)
    assert export_version(version) == data
