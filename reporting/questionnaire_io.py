"""Questionnaire versions as plain data (JSON or YAML files), and the services that import a
version, copy it into the next draft and publish it.

The format, shared by export and import (see reporting/questionnaires/sample.yaml)::

    {"code": "2026", "title": {"en": "…"}, "based_on": "2024" or None,
     "sections": [{"key", "number", "title", "help",
                   "questions": [{"key", "number", "type", "text", "help", "required",
                                  "paragraph", "options", "config", "condition"}]}]}

Positions follow list order. Empty help, options, config and condition are left out of exports
and optional on import. Texts map language codes to strings; English is required.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.validators import slug_re
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import audit
from core.errors import WorkflowError
from core.i18n import format_list
from core.models import User
from reporting.models import Question, QuestionnaireVersion, Section
from reporting.permissions import can_manage_questionnaires
from reporting.questions import YES_NO_VALUES

FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
CHOICE_TYPES = (Question.Type.SINGLE_CHOICE, Question.Type.MULTIPLE_CHOICE)
VERSION_FIELDS = {"code", "title", "based_on", "sections"}
SECTION_FIELDS = {"key", "number", "title", "help", "questions"}
#: A question's fields in a questionnaire file, in the order they are written (the API uses it).
QUESTION_FIELDS = (
    "key",
    "number",
    "type",
    "text",
    "help",
    "required",
    "paragraph",
    "options",
    "config",
    "condition",
)


class QuestionnaireDefinitionError(WorkflowError):
    """A questionnaire definition with problems; `problems` lists each with its location."""

    def __init__(self, problems: list[str]):
        count = len(problems)
        message = ngettext(
            "The questionnaire has %(count)d problem.",
            "The questionnaire has %(count)d problems.",
            count,
        ) % {"count": count}
        super().__init__(message, code="invalid_questionnaire")
        self.problems = list(problems)


class QuestionnaireImportError(QuestionnaireDefinitionError):
    """Raised by `import_version` before anything is written."""


# --- Export and file formats ------------------------------------------------------------------


def export_version(version: QuestionnaireVersion) -> dict[str, Any]:
    """The version as plain data in a stable key order; importing it gives the same version."""
    by_section: dict[int, list[Question]] = {}
    for question in version.questions.order_by("section__position", "position", "pk"):
        by_section.setdefault(question.section_id, []).append(question)
    return {
        "code": version.code,
        "title": _ordered_texts(version.title),
        "based_on": version.based_on.code if version.based_on else None,
        "sections": [
            _export_section(section, by_section.get(section.pk, []))
            for section in version.sections.order_by("position", "pk")
        ],
    }


def _export_section(section: Section, questions: list[Question]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": section.key,
        "number": section.number,
        "title": _ordered_texts(section.title),
    }
    if section.help:
        data["help"] = _ordered_texts(section.help)
    data["questions"] = [_export_question(question) for question in questions]
    return data


def _export_question(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": question.key,
        "number": question.number,
        "type": question.type,
        "text": _ordered_texts(question.text),
    }
    if question.help:
        data["help"] = _ordered_texts(question.help)
    data["required"] = question.required
    data["paragraph"] = question.paragraph
    for field in ("options", "config", "condition"):
        if value := getattr(question, field):
            data[field] = value
    return data


def _ordered_texts(texts: dict[str, str] | None) -> dict[str, str]:
    # PostgreSQL's jsonb does not keep key order; exports list languages as settings do.
    order = {code: index for index, code in enumerate(settings.LANGUAGE_CODES)}
    items = (texts or {}).items()
    return dict(sorted(items, key=lambda item: (order.get(item[0], len(order)), item[0])))


def guess_format(path: str | Path) -> str:
    """ "json" or "yaml" from a file name's suffix; ValueError for any other suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"Cannot tell the format of {path}: name it .json, .yaml or .yml.")
    return FORMATS[suffix]


def dump(data: dict[str, Any], fmt: str) -> str:
    """Serialise exported data as "json" or "yaml", keeping key order and non-Latin text."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    raise ValueError(f"Unknown format {fmt!r}: use json or yaml.")


def load(text: str, fmt: str) -> Any:
    """Parse "json" or "yaml" text; ValueError when it is malformed."""
    if fmt == "json":
        return json.loads(text)
    if fmt == "yaml":
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(f"Invalid YAML: {error}") from error
    raise ValueError(f"Unknown format {fmt!r}: use json or yaml.")


# --- Checking a definition --------------------------------------------------------------------


def check_definition(data: Any) -> list[str]:
    """Every problem in a questionnaire definition, each with its location (empty: importable).
    Type-specific rules (options, config) come from `reporting.questions.validate_definition`."""
    if not isinstance(data, dict):
        return [_("The questionnaire must be a mapping with a code, a title and sections.")]
    problems = _version_problems(data)
    sections = data.get("sections")
    located: list[tuple[str, Any]] = []
    section_keys: set[str] = set()
    for number, section in enumerate(_as_list(sections), start=1):
        where = _("section %(number)d") % {"number": number}
        problems += [_located(where, m) for m in _section_problems(section, section_keys)]
        questions = section.get("questions") if isinstance(section, dict) else None
        for position, question in enumerate(_as_list(questions), start=1):
            located.append((_question_location(number, position, question), question))
    return problems + _questions_problems(located)


def _as_list(value: Any) -> list:
    # Anything but a list is reported where it is found; here it just has nothing inside.
    return value if isinstance(value, list) else []


def _located(where: str, problem: str) -> str:
    return _("%(where)s: %(problem)s") % {"where": where, "problem": problem}


def _question_location(section: int, position: int, question: Any) -> str:
    key = question.get("key") if isinstance(question, dict) else None
    if isinstance(key, str) and key:
        return _("section %(section)d, question '%(key)s'") % {"section": section, "key": key}
    return _("section %(section)d, question %(position)d") % {
        "section": section,
        "position": position,
    }


def _code_problem(code: Any) -> str | None:
    if code is None or code == "":
        return _("the code is missing")
    if not isinstance(code, str) or len(code) > 40 or not slug_re.match(code):
        return _(
            "the code '%(code)s' is not valid: use up to 40 letters, digits, hyphens or underscores"
        ) % {"code": code}
    return None


def _version_problems(data: dict) -> list[str]:
    code, based_on = data.get("code"), data.get("based_on")
    where = _("questionnaire")
    problems = [_code_problem(code), _texts_problem("title", data.get("title"), english=False)]
    problems += _unknown_fields(data, VERSION_FIELDS)
    if based_on is not None and based_on == code:
        problems.append(_("based_on names the questionnaire itself"))
    elif based_on is not None and not (
        isinstance(based_on, str) and QuestionnaireVersion.objects.filter(code=based_on).exists()
    ):
        problems.append(_("based_on: there is no version '%(code)s'") % {"code": based_on})
    if not isinstance(data.get("sections") or [], list):
        problems.append(_("sections must be a list"))
    return [_located(where, problem) for problem in problems if problem]


def _section_problems(section: Any, seen_keys: set[str]) -> list[str]:
    if not isinstance(section, dict):
        return [_("must be a mapping with a key, a number, a title and questions")]
    key = section.get("key")
    problems = [
        _text_problem("number", section.get("number") or "", 10),
        _texts_problem("title", section.get("title"), english=True),
        _texts_problem("help", section.get("help"), english=False),
        _kind_problem("questions", section.get("questions") or [], list, _("a list")),
    ]
    if not isinstance(key, str) or len(key) > 40 or not slug_re.match(key):
        problems.append(_("key must be up to 40 letters, digits, hyphens or underscores"))
    elif key in seen_keys:
        problems.append(_("duplicate section key '%(key)s'") % {"key": key})
    else:
        seen_keys.add(key)
    return [problem for problem in problems if problem] + _unknown_fields(section, SECTION_FIELDS)


def _questions_problems(located: list[tuple[str, Any]]) -> list[str]:
    """Each question's own problems; then, for the questions sound on their own, those of the
    conditions and formulas linking them (so one mistake is not reported twice)."""
    problems: list[str] = []
    by_key: dict[str, dict] = {}
    sound: list[tuple[str, dict]] = []
    for where, question in located:
        own = _question_problems(question, by_key) or _definition_problems(question)
        problems += [_located(where, problem) for problem in own]
        if not own:
            sound.append((where, question))
    for where, question in sound:
        references = _condition_problems(question, by_key) + _formula_problems(question, by_key)
        problems += [_located(where, problem) for problem in references]
    return problems


def _question_problems(question: Any, by_key: dict[str, dict]) -> list[str]:
    """Structural problems of one question; registers its key in `by_key`."""
    if not isinstance(question, dict):
        return [_("must be a mapping with a key, a type and a text")]
    key, kind = question.get("key"), question.get("type")
    problems = [
        _text_problem("number", question.get("number") or "", 20),
        _texts_problem("text", question.get("text"), english=True),
        _texts_problem("help", question.get("help"), english=False),
        _text_problem("paragraph", question.get("paragraph") or "", 120),
        _kind_problem("required", question.get("required", False), bool, _("true or false")),
        _kind_problem("options", question.get("options") or [], list, _("a list")),
        _kind_problem("config", question.get("config") or {}, dict, _("a mapping")),
        _kind_problem("condition", question.get("condition") or {}, dict, _("a mapping")),
    ]
    if kind not in Question.Type.values:
        problems.append(_("unknown type '%(type)s'") % {"type": kind})
    if not isinstance(key, str) or not key.strip() or len(key) > 60:
        problems.append(_("key must be text of 1 to 60 characters (quote keys like 1.1 in YAML)"))
    elif key in by_key:
        problems.append(_("duplicate question key '%(key)s'") % {"key": key})
    else:
        by_key[key] = question
    return [problem for problem in problems if problem] + _unknown_fields(question, QUESTION_FIELDS)


def _text_problem(field: str, value: Any, max_length: int) -> str | None:
    if isinstance(value, str) and len(value) <= max_length:
        return None
    return _("%(field)s must be text of at most %(max)d characters (quote numbers in YAML)") % {
        "field": field,
        "max": max_length,
    }


def _texts_problem(field: str, value: Any, *, english: bool) -> str | None:
    value = value or {}
    if not isinstance(value, dict) or not all(
        isinstance(code, str) and isinstance(text, str) for code, text in value.items()
    ):
        return _("%(field)s must map language codes to texts") % {"field": field}
    if english and not value.get("en", "").strip():
        return _('%(field)s is missing in English ("en")') % {"field": field}
    return None


def _kind_problem(field: str, value: Any, kind: type, description: str) -> str | None:
    if isinstance(value, kind):
        return None
    return _("%(field)s must be %(kind)s") % {"field": field, "kind": description}


def _unknown_fields(data: dict, known: Collection[str]) -> list[str]:
    return [
        _("unknown field '%(field)s'") % {"field": field} for field in data if field not in known
    ]


def _condition_problems(question: dict, by_key: dict[str, dict]) -> list[str]:
    condition = question.get("condition") or {}
    if not isinstance(condition, dict) or not condition:
        return []
    key, values = condition.get("key"), condition.get("in")
    if key == question.get("key"):
        return [_("the condition points to the question itself")]
    target = by_key.get(key) if isinstance(key, str) else None
    if target is None:
        return [_("the condition refers to unknown question '%(key)s'") % {"key": key}]
    if not isinstance(values, list) or not values:
        return [_('the condition needs a non-empty list of values under "in"')]
    if target.get("type") not in Question.Type.values:
        return []  # the target's unknown type is reported on its own
    allowed = _answer_values(target)
    if allowed is None:
        return [
            _(
                "the condition refers to question '%(key)s', which is not a yes/no or "
                "choice question"
            )
            % {"key": key}
        ]
    if wrong := [value for value in values if value not in allowed]:
        return [
            _("the condition values %(values)s are not answers to question '%(key)s'")
            % {"values": format_list(f"'{value}'" for value in wrong), "key": key}
        ]
    return []


def _answer_values(question: dict) -> list[Any] | None:
    """The values a condition may test for, or None for questions conditions cannot test."""
    if question.get("type") == Question.Type.YES_NO:
        return list(YES_NO_VALUES)
    if question.get("type") in CHOICE_TYPES:
        options = _as_list(question.get("options"))
        return [option.get("value") for option in options if isinstance(option, dict)]
    return None


def _formula_problems(question: dict, by_key: dict[str, dict]) -> list[str]:
    """A calculated value reads number questions of the same version: "numerator" and
    "denominator" for a ratio, "keys" for a sum."""
    config = question.get("config") or {}
    if question.get("type") != Question.Type.DERIVED:
        return []
    operands = [(field, config.get(field)) for field in ("numerator", "denominator")]
    operands += [("keys", key) for key in _as_list(config.get("keys"))]
    problems = []
    for field, key in operands:
        if key is None:
            continue  # a missing operand is validate_definition's to report
        target = by_key.get(key) if isinstance(key, str) else None
        if (target or {}).get("type") != Question.Type.NUMBER:
            problems.append(
                _(
                    "the formula reads '%(key)s' (%(field)s), which is not a number question "
                    "of this questionnaire"
                )
                % {"field": field, "key": key}
            )
    return problems


def _definition_problems(question: dict) -> list[str]:
    """Type-specific problems (options, config) from `reporting.questions`; skipped while that
    module is not installed."""
    try:
        from reporting.questions import validate_definition
    except ImportError as error:
        if error.name != "reporting.questions":
            raise
        return []
    return [str(problem) for problem in validate_definition(_build_question(question))]


def _build_question(data: dict, **placement: Any) -> Question:
    """An unsaved question from definition data; `placement`: version, section, position."""
    return Question(
        key=data["key"],
        number=data.get("number") or data["key"],
        type=data["type"],
        text=data["text"],
        help=data.get("help") or {},
        required=data.get("required", False),
        paragraph=data.get("paragraph") or "",
        options=data.get("options") or [],
        config=data.get("config") or {},
        condition=data.get("condition") or {},
        **placement,
    )


# --- Services ---------------------------------------------------------------------------------


def _check_may_manage(by: User | None) -> None:
    # `by=None` is a trusted caller without a user: a management command run by an operator.
    if by is not None and not can_manage_questionnaires(by):
        raise WorkflowError(_("You may not manage questionnaires."), code="forbidden")


@transaction.atomic
def import_version(
    data: dict[str, Any], *, by: User | None, replace: bool = False
) -> QuestionnaireVersion:
    """Create a questionnaire version from definition data, or with `replace` rewrite the
    sections and questions of the draft with the same code. Every problem is reported at once
    (QuestionnaireImportError) before anything is written; published versions and versions
    used by a report never change."""
    _check_may_manage(by)
    if problems := check_definition(data):
        raise QuestionnaireImportError(problems)
    version = _version_to_fill(data["code"], replace=replace)
    replaced = version.pk is not None
    version.title = data.get("title") or {}
    based_on = data.get("based_on")
    version.based_on = QuestionnaireVersion.objects.get(code=based_on) if based_on else None
    version.save()
    count = _write_sections(version, data.get("sections") or [])
    audit.record(
        "reporting.questionnaire.imported",
        actor=by,
        obj=version,
        data={"code": version.code, "questions": count, "replaced": replaced},
    )
    return version


def _version_to_fill(code: str, *, replace: bool) -> QuestionnaireVersion:
    """A new version, or the existing draft emptied of its sections when it may be replaced."""
    version = QuestionnaireVersion.objects.select_for_update().filter(code=code).first()
    if version is None:
        return QuestionnaireVersion(code=code)
    if version.status == QuestionnaireVersion.Status.PUBLISHED:
        raise WorkflowError(
            _("Version %(code)s is published and can no longer change; copy it instead.")
            % {"code": code},
            code="frozen",
        )
    if version.reports.exists():
        raise WorkflowError(
            _("Version %(code)s is used by reports and can no longer change.") % {"code": code},
            code="frozen",
        )
    if not replace:
        raise WorkflowError(
            _("Version %(code)s already exists; import with replace to overwrite the draft.")
            % {"code": code},
            code="exists",
        )
    version.sections.all().delete()  # their questions go with them
    return version


def _write_sections(version: QuestionnaireVersion, sections: list[dict[str, Any]]) -> int:
    """Create `version`'s sections and questions from checked data; returns the question count."""
    questions: list[Question] = []
    for position, data in enumerate(sections):
        section = Section.objects.create(
            version=version,
            key=data["key"],
            number=data.get("number") or str(position + 1),
            position=position,
            title=data.get("title") or {},
            help=data.get("help") or {},
        )
        questions += [
            _build_question(question, version=version, section=section, position=index)
            for index, question in enumerate(data.get("questions") or [])
        ]
    Question.objects.bulk_create(questions)
    return len(questions)


@transaction.atomic
def copy_version(
    version: QuestionnaireVersion, *, code: str, by: User | None
) -> QuestionnaireVersion:
    """Start the next version: a draft based on `version` with copies of its sections and
    questions under the same keys (pre-filling and comparing reports rely on them)."""
    _check_may_manage(by)
    if problem := _code_problem(code):
        raise WorkflowError(_located(_("questionnaire"), problem))
    if QuestionnaireVersion.objects.filter(code=code).exists():
        raise WorkflowError(_("Version %(code)s already exists.") % {"code": code}, code="exists")
    sections = export_version(version)["sections"]
    copy = QuestionnaireVersion.objects.create(code=code, title=version.title, based_on=version)
    count = _write_sections(copy, sections)
    audit.record(
        "reporting.questionnaire.copied",
        actor=by,
        obj=copy,
        data={"code": code, "based_on": version.code, "questions": count},
    )
    return copy


@transaction.atomic
def publish_version(version: QuestionnaireVersion, *, by: User | None) -> QuestionnaireVersion:
    """Publish a draft so cycles and reports can use it; from then on it never changes. It must
    have questions and pass the same checks as an import (QuestionnaireDefinitionError)."""
    _check_may_manage(by)
    version.refresh_from_db(from_queryset=QuestionnaireVersion.objects.select_for_update())
    if version.status != QuestionnaireVersion.Status.DRAFT:
        raise WorkflowError(_("Only a draft questionnaire can be published."))
    if not version.questions.exists():
        raise WorkflowError(_("A questionnaire without questions cannot be published."))
    if problems := check_definition(export_version(version)):
        raise QuestionnaireDefinitionError(problems)
    version.status = QuestionnaireVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    audit.record(
        "reporting.questionnaire.published",
        actor=by,
        obj=version,
        data={"code": version.code, "questions": version.questions.count()},
    )
    return version
