"""Exports of national reports: one report as JSON, a cycle's published answers as CSV or XLSX
(one row per State, one column per question key), and a State's own data.

Every export reads through `reports_visible_to(user)`, so an export never holds more than its
reader may see: an anonymous visitor gets public published reports only. Cycle exports are
generators over reports fetched in chunks, with answers read per chunk, so neither the rows
nor the file are ever held whole in memory. Every spreadsheet cell is plain text and is
neutralised (OWASP "CSV injection"): a spreadsheet never runs an answer as a formula.

Large XLSX files are built by `reporting.tasks.build_cycle_export` into the default storage,
one file per cycle, language and audience (`export_name`), so a file made for governments
never serves the public. `stored_export` says whether the file is there and up to date.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core import audit
from core.i18n import region_name
from core.models import MemberState
from core.permissions import AnyUser, is_unoda_staff, states_for
from reporting.models import Cycle, Question, Report, ReportRevision
from reporting.permissions import is_government_official
from reporting.questions import compute_derived, display_value
from reporting.selectors import (
    answers_for_reader,
    published_revision,
    questionnaire_structure,
    reads_live_answers,
    reports_visible_to,
)

#: Reports read per database round trip (and answers read per chunk) in cycle exports.
CHUNK_SIZE = 200
#: The first row names columns by stable keys; the second gives labels in the language.
HEADER_ROWS = 2
FIXED_COLUMNS = (
    "state_iso3",
    "state_name",
    "region",
    "regional_group",
    "status",
    "visibility",
    "submitted_at",
    "published_at",
)
#: Characters that make a spreadsheet read a cell as a formula (OWASP), with the full-width
#: forms some spreadsheet programs accept too.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
XLSX_CELL_MAX = 32767  # Excel's limit on the characters of one cell
FORMATS = ("csv", "xlsx")
BUILD_LOCK_SECONDS = 15 * 60


# --- One report ------------------------------------------------------------------------------


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _with_derived(questions: Sequence[Question], values: dict[str, Any]) -> dict[str, Any]:
    """The answers plus the calculated values, as the report pages show them."""
    values = dict(values)
    for question in questions:
        if question.type == Question.Type.DERIVED:
            values[question.key] = compute_derived(question, values)
    return values


def _published_submission(report: Report) -> datetime.datetime | None:
    """When the published text was submitted (unknown once an amendment was submitted since:
    that date belongs to the private working copy)."""
    submitted, published = report.submitted_at, report.published_at
    return submitted if submitted and published and submitted <= published else None


def report_metadata(report: Report, *, language: str, live: bool) -> dict[str, Any]:
    """What identifies a report: State, cycle, meeting, questionnaire, status, dates. `live`:
    as the State and UNODA see it; otherwise as the published revision shows it."""
    with translation.override(language):
        meeting = {"short_name": str(report.cycle.meeting.short_name)}
        meeting["title"] = str(report.cycle.meeting.display_title)
    return {
        "id": report.pk,
        "state": {"iso3": report.state.iso3, "name": report.state.localized_name(language)},
        "cycle": {"id": report.cycle_id, "deadline": report.cycle.deadline.isoformat()},
        "meeting": meeting,
        "questionnaire": report.questionnaire.code,
        "status": report.status if live else Report.Status.PUBLISHED.value,
        "visibility": report.visibility if live else report.published_visibility,
        "language": report.language,
        "display_language": language,
        "submitted_at": _iso(report.submitted_at if live else _published_submission(report)),
        "published_at": _iso(report.published_at),
    }


def published_answers(report: Report) -> dict[str, Any]:
    """The answers of the last published revision ({} when there is none)."""
    revision = published_revision(report)
    return dict(revision.answers) if revision else {}


def readable_answers(report: Report, user: AnyUser | None) -> tuple[dict[str, Any], bool]:
    """(answers, live): the working copy for the State's officials and UNODA, the published
    revision for everyone else, and for nobody in particular (`user` None)."""
    if user is None:
        return published_answers(report), False
    values, _revisions = answers_for_reader(user, report)
    return values, reads_live_answers(user, report)


def report_json(report: Report, *, language: str, user: AnyUser | None = None) -> dict[str, Any]:
    """A report's metadata and every question's answer, in question order: `{key: {"value",
    "display", "number", "question"}}`, texts in `language`, calculated values included.
    Answers as `user` may read them; without a user, the published revision (public)."""
    _sections, questions = questionnaire_structure(report.questionnaire)
    values, live = readable_answers(report, user)
    values = _with_derived(questions, values)
    answers = {
        q.key: {
            "value": values.get(q.key),
            "display": display_value(q, values.get(q.key), language),
            "number": q.number,
            "question": q.label(language),
        }
        for q in questions
    }
    return {**report_metadata(report, language=language, live=live), "answers": answers}


# --- A State's own data ----------------------------------------------------------------------


def can_export_state_data(user: AnyUser, state: MemberState) -> bool:
    """A State's own data (every report in any status, and its revisions) goes to the State's
    officials and to UNODA only."""
    return is_unoda_staff(user) or state in states_for(user)


def _revision_json(revision: ReportRevision) -> dict[str, Any]:
    return {
        "number": revision.number,
        "status": revision.status,
        "visibility": revision.visibility,
        "created_at": _iso(revision.created_at),
        "answers": revision.answers,
    }


def state_data(state: MemberState, *, user: AnyUser, language: str = "en") -> dict[str, Any]:
    """All reports of `state` that `user` may see, with answers and revisions. Callers check
    `can_export_state_data` first."""
    reports = (
        reports_visible_to(user)
        .filter(state=state)
        .select_related("questionnaire")
        .prefetch_related("revisions")
        .order_by("cycle__deadline")
    )
    return {
        "state": {"iso3": state.iso3, "name": state.localized_name(language)},
        "reports": [
            {
                **report_json(report, language=language, user=user),
                "revisions": [_revision_json(r) for r in report.revisions.all()],
            }
            for report in reports
        ],
    }


# --- A cycle's published answers -------------------------------------------------------------


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a leading quote when it would start a formula."""
    if text[:1] in FORMULA_TRIGGERS or text.lstrip()[:1] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def csv_cell(text: Any) -> str:
    """Plain, formula-free cell text (XML-illegal control characters removed first, so
    that removing them cannot uncover a formula)."""
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", "" if text is None else str(text)))


def published_in_cycle(cycle: Cycle, user: AnyUser) -> QuerySet[Report]:
    """The cycle's published reports that `user` may see."""
    return reports_visible_to(user).published().filter(cycle=cycle)


def cycle_questions(cycle: Cycle) -> tuple[Question, ...]:
    """The cycle's questions in order: one column each."""
    if cycle.questionnaire is None:
        return ()
    return questionnaire_structure(cycle.questionnaire)[1]


def _header_labels(questions: Sequence[Question], language: str) -> list[str]:
    with translation.override(language):
        fixed = [
            _("ISO 3166 alpha-3"),
            pgettext("country", "State"),
            _("Region"),
            _("UN regional group"),
            _("Status"),
            capfirst(_("visibility")),
            pgettext("date column", "Submitted"),
            pgettext("date column", "Published"),
        ]
    return [*fixed, *(f"{q.number} {q.label(language)}" for q in questions)]


def _choice_labels(language: str) -> dict[str, dict[str, str]]:
    """Labels of the coded columns, read once per export in `language`."""
    with translation.override(language):
        return {
            "group": {k: str(v) for k, v in MemberState.RegionalGroup.choices},
            "status": {k: str(v) for k, v in Report.Status.choices},
            "visibility": {k: str(v) for k, v in Report.Visibility.choices},
        }


def _published_answers_by_report(report_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{report id: answers of its last published revision} for one chunk, in one query."""
    last = (
        ReportRevision.objects.filter(report=OuterRef("report"), status=Report.Status.PUBLISHED)
        .order_by("-number")
        .values("number")[:1]
    )
    rows = ReportRevision.objects.filter(
        report_id__in=report_ids, status=Report.Status.PUBLISHED, number=Subquery(last)
    ).values_list("report_id", "answers")
    return dict(rows)


def _report_row(
    report: Report,
    questions: Sequence[Question],
    values: dict[str, Any],
    labels: dict[str, dict[str, str]],
    language: str,
) -> list[str]:
    state = report.state
    values = _with_derived(questions, values)
    fixed = [
        state.iso3,
        state.localized_name(language),
        region_name(state.region, language),
        labels["group"].get(state.regional_group, state.regional_group),
        labels["status"][Report.Status.PUBLISHED],
        labels["visibility"].get(report.published_visibility, report.published_visibility),
        _iso(_published_submission(report)),
        _iso(report.published_at),
    ]
    answers = [display_value(q, values.get(q.key), language) for q in questions]
    return [csv_cell(text) for text in (*fixed, *answers)]


def cycle_rows(cycle: Cycle, *, user: AnyUser, language: str) -> Iterator[list[str]]:
    """Two header rows (question keys; then numbers and labels in `language`), then one row
    per published report of the cycle that `user` may see, by State name. Reports are read
    in chunks of CHUNK_SIZE, with one query for each chunk's answers."""
    questions = cycle_questions(cycle)
    yield [csv_cell(key) for key in (*FIXED_COLUMNS, *(q.key for q in questions))]
    yield [csv_cell(label) for label in _header_labels(questions, language)]
    labels = _choice_labels(language)
    reports = published_in_cycle(cycle, user).order_by("state__name", "pk")
    for chunk in itertools.batched(reports.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
        values = _published_answers_by_report([report.pk for report in chunk])
        for report in chunk:
            yield _report_row(report, questions, values.get(report.pk, {}), labels, language)


class _Echo:
    """A file whose write() returns its argument: csv.writer then yields one line at a time."""

    def write(self, text: str) -> str:
        return text


def cycle_csv_lines(cycle: Cycle, *, user: AnyUser, language: str) -> Iterator[str]:
    """The CSV file as lines, for streaming. It starts with a byte-order mark, so that
    spreadsheet programs read it as UTF-8 (Arabic, Chinese and Russian labels)."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield "\ufeff"
    for row in cycle_rows(cycle, user=user, language=language):
        yield writer.writerow(row)


def write_cycle_csv(cycle: Cycle, *, user: AnyUser, language: str, stream: IO[str]) -> int:
    """Write the cycle's CSV to a text stream (opened with newline=""); returns the number
    of report rows."""
    rows = -HEADER_ROWS - 1  # the byte-order mark and the header rows
    for line in cycle_csv_lines(cycle, user=user, language=language):
        stream.write(line)
        rows += 1
    return rows


def write_cycle_xlsx(
    cycle: Cycle, *, user: AnyUser, language: str, path_or_stream: str | Path | IO[bytes]
) -> int:
    """Write the cycle's workbook (write-only: rows go to disk as they come); every cell is
    text, so nothing in it is a formula. Returns the number of report rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"Cycle {cycle.pk}")
    sheet.sheet_view.rightToLeft = translation.get_language_info(language)["bidi"]
    sheet.freeze_panes = "C3"
    rows = -HEADER_ROWS
    for row in cycle_rows(cycle, user=user, language=language):
        sheet.append([text[:XLSX_CELL_MAX] for text in row])
        rows += 1
    workbook.save(path_or_stream)
    return rows


# --- Stored cycle files ----------------------------------------------------------------------


def audience_of(user: AnyUser) -> str:
    """Who a stored file is for: "staff" (UNODA: every published report), "government"
    (officials: public and restricted ones) or "public" (public ones only)."""
    if is_unoda_staff(user):
        return "staff"
    if is_government_official(user):
        return "government"
    return "public"


def audience_reader(user: AnyUser) -> AnyUser:
    """The reader a stored file is built for. Within "staff" and "government" every member
    sees the same published reports; in "public", a delegated assistant would also see their
    own State's restricted reports, so public files are always built as an anonymous visitor."""
    return user if audience_of(user) != "public" else AnonymousUser()


def export_name(cycle_id: int, language: str, fmt: str, audience: str) -> str:
    """Storage name of a cycle export: `exports/cycle-<id>-<lang>-<audience>.<fmt>`."""
    return f"exports/cycle-{cycle_id}-{language}-{audience}.{fmt}"


def stored_export(cycle: Cycle, *, user: AnyUser, language: str, fmt: str) -> str | None:
    """The storage name of the user's audience's file if it exists and was built after the
    last publication in the cycle (the only change to what it shows); otherwise None."""
    name = export_name(cycle.pk, language, fmt, audience_of(user))
    if not default_storage.exists(name):
        return None
    reports = published_in_cycle(cycle, audience_reader(user))
    latest = reports.aggregate(latest=Max("published_at"))["latest"]
    if latest and default_storage.get_modified_time(name) < latest:
        return None
    return name


def claim_build(name: str) -> bool:
    """True for the first caller while no build of `name` is running (so reloading the
    waiting page does not queue the same large build again and again)."""
    return cache.add(f"reporting:export-build:{name}", True, timeout=BUILD_LOCK_SECONDS)


def release_build(name: str) -> None:
    cache.delete(f"reporting:export-build:{name}")


def _local_path(name: str) -> Path | None:
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:
        return None  # a remote storage (S3)


def save_atomically[T](name: str, write: Callable[[IO[bytes]], T]) -> T:
    """Let `write` fill a temporary file, then put it at `name` in one step, replacing any
    earlier file: readers see the old file or the new one, never a part, and a build run
    twice leaves one file. Returns what `write` returned."""
    final = _local_path(name)
    if final is None:
        with tempfile.TemporaryFile() as temporary:
            result = write(temporary)
            temporary.seek(0)
            default_storage.delete(name)
            saved = default_storage.save(name, File(temporary, name=name))
        if saved != name:  # another build saved first, between our delete and save
            default_storage.delete(saved)
        return result
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=final.parent, prefix=".partial-", delete=False) as tmp:
        try:
            result = write(tmp)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    os.chmod(tmp.name, settings.FILE_UPLOAD_PERMISSIONS or 0o644)
    os.replace(tmp.name, final)
    return result


def _file_writer(
    cycle: Cycle, *, fmt: str, language: str, reader: AnyUser
) -> Callable[[IO[bytes]], int]:
    def write(target: IO[bytes]) -> int:
        if fmt == "xlsx":
            return write_cycle_xlsx(cycle, user=reader, language=language, path_or_stream=target)
        text = io.TextIOWrapper(target, encoding="utf-8", newline="")
        rows = write_cycle_csv(cycle, user=reader, language=language, stream=text)
        text.flush()
        text.detach()  # leave the binary file open for the caller
        return rows

    return write


def store_cycle_export(cycle: Cycle, *, fmt: str, language: str, user: AnyUser) -> str:
    """Build the cycle's CSV or XLSX file for the user's audience into the default storage,
    replacing the previous one, and record it in the audit log. Returns the storage name."""
    if fmt not in FORMATS or language not in settings.LANGUAGE_CODES:
        raise ValueError(f"Unsupported export {fmt!r} in {language!r}.")
    audience = audience_of(user)
    name = export_name(cycle.pk, language, fmt, audience)
    write = _file_writer(cycle, fmt=fmt, language=language, reader=audience_reader(user))
    try:
        rows = save_atomically(name, write)
    finally:
        release_build(name)
    audit.record(
        "reporting.export.built",
        actor=user,
        obj=cycle,
        data={
            "name": name,
            "format": fmt,
            "language": language,
            "audience": audience,
            "rows": rows,
        },
    )
    return name
