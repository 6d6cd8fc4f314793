"""The official questionnaire versions (2024 and 2026) kept in reporting/questionnaires/."""

import re

import pytest

from reporting.models import Cycle, QuestionnaireVersion
from reporting.questionnaire_io import check_definition
from reporting.questionnaires import OFFICIAL_VERSIONS, load_official_versions, read

LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh-hans")
VERSIONS = {name: read(name) for name, _cycle in OFFICIAL_VERSIONS}
#: Acronyms and names that stay as they are in every language.
PROPER = re.compile(r"iARMS|[A-Z]{2,}(?: ?[0-9.]+)?")


def questions(data):
    return [q for section in data["sections"] for q in section["questions"]]


def texts(data):
    """Every multilingual text of a version: titles, questions, help, options, columns."""
    yield data["title"]
    for section in data["sections"]:
        yield section["title"]
        if section.get("help"):
            yield section["help"]
        for q in section["questions"]:
            yield q["text"]
            if q.get("help"):
                yield q["help"]
            for option in q.get("options", []):
                yield option["label"]
            for column in (q.get("config") or {}).get("columns", []):
                yield column["label"]


@pytest.mark.parametrize("name", list(VERSIONS))
def test_version_is_complete_and_valid(name):
    data = VERSIONS[name]
    assert check_definition({**data, "based_on": None}) == []
    keys = [q["key"] for q in questions(data)]
    assert len(keys) == len(set(keys)) >= 120
    assert all(q.get("paragraph") for q in questions(data))
    section_keys = [s["key"] for s in data["sections"]]
    assert section_keys == [
        "coordination",
        "manufacture",
        "transfers",
        "brokering",
        "stockpiles",
        "records",
        "tracing",
        "diversion",
        "crosscutting",
        "assistance",
        "other",
    ]
    types = {q["type"] for q in questions(data)}
    assert types >= {
        "yes_no",
        "single_choice",
        "multiple_choice",
        "short_text",
        "long_text",
        "number",
        "contact",
        "table",
        "file",
        "derived",
    }
    assert sum(1 for q in questions(data) if q.get("condition")) >= 20


@pytest.mark.parametrize("name", list(VERSIONS))
def test_every_text_is_in_six_languages_and_translated(name):
    for text in texts(VERSIONS[name]):
        assert set(text) >= set(LANGUAGES), text
        assert all(text[lang].strip() for lang in LANGUAGES), text
        english = text["en"]
        for lang in ("fr", "es", "ar", "ru", "zh-hans"):
            if text[lang] == english:
                # Only acronyms, or single words that are the same in French or Spanish
                # ("Transit", "Calibre"): a sentence left in English fails.
                cognate = lang in ("fr", "es") and " " not in english
                assert PROPER.fullmatch(english) or cognate, (lang, english)


def test_conditions_point_to_questions_of_the_same_version():
    for data in VERSIONS.values():
        keys = {q["key"] for q in questions(data)}
        for q in questions(data):
            if q.get("condition"):
                assert q["condition"]["key"] in keys


def test_2024_keys_carry_over_to_2026_with_the_same_type():
    old = {q["key"]: q["type"] for q in questions(VERSIONS["2024.yaml"])}
    new = {q["key"]: q["type"] for q in questions(VERSIONS["2026.yaml"])}
    assert old.items() <= new.items()
    added = set(new) - set(old)
    assert any(k.startswith("crosscutting.youth") for k in added)
    assert any(k.startswith("crosscutting.sdg1642") for k in added)
    assert any(k.startswith("diversion") for k in added)


@pytest.mark.django_db
def test_load_official_versions_publishes_and_assigns_cycles():
    first = load_official_versions()
    assert [(v.code, created) for v, created in first] == [("2024", True), ("2026", True)]
    assert [created for _v, created in load_official_versions()] == [False, False]
    assert QuestionnaireVersion.objects.get(code="2026").based_on.code == "2024"
    assert Cycle.objects.get(meeting__kind="revcon", meeting__number=4).questionnaire.code == "2024"
    assert Cycle.objects.get(meeting__kind="bms", meeting__number=9).questionnaire.code == "2026"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_report_page_shows_the_2026_questionnaire_in_each_language(client_for, editor, language):
    from core.models import MemberState
    from reporting import services
    from tests.conftest import open_cycle_for

    load_official_versions()
    version = QuestionnaireVersion.objects.get(code="2026")
    report = services.create_report(
        state=MemberState.objects.get(iso3="FRA"),
        cycle=open_cycle_for(version),
        by=editor,
        language=language,
    )
    client = client_for(editor)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    page = client.get(f"/reports/{report.pk}/sections/coordination/").content.decode()
    first = questions(VERSIONS["2026.yaml"])[0]
    assert first["text"][language] in page
    assert ('dir="rtl"' in page) == (language == "ar")
