"""The authorization matrix: every route × role × report status → the expected answer.

The table is written from the role definitions (docs/SECURITY.md, issue #10), never from the
permission functions under test: each route says who sees its object (everyone else gets
404), who may use it (everyone else who sees it gets 403), whether anonymous visitors are
sent to sign in first, and what an allowed request answers, by report status where the
route belongs to a report. `expect()` turns one cell into the expected status code.

Roles: State A is France, State B is Kenya. `assistant` is a delegated assistant of State A
whose access is live; `assistant_expired` had the same access, which has ended (they are
still signed in: a person with no live role). Report statuses are those of State A's
reports; `restricted` is a published report its State chose to restrict to governments and
UNODA (`published` and `amendment` are public).

To add a route: add a `Route` below (test_matrix.py fails until every URL pattern and every
OpenAPI endpoint is in the table), with the objects of its URL (`args`, see test_matrix.py:
`resolve_args`), and the methods it answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# --- roles and statuses ------------------------------------------------------------------

ANONYMOUS = "anonymous"
ROLES = (
    ANONYMOUS,
    "editor_a",
    "approver_a",
    "editor_b",
    "reviewer",
    "administrator",
    "donor",
    "assistant",
    "assistant_expired",
)
STATUSES = (
    "draft",
    "submitted",
    "under_review",
    "returned",
    "published",
    "amendment",
    "restricted",
)
#: Routes that do not belong to a report are checked once, under this status.
NO_STATUS = "-"
#: Reads of a report are checked in the five statuses of issue #10 and for a restricted
#: published report (who may read it changes); writes in the five statuses. "Under review"
#: only matters to UNODA's transitions, and "restricted" to the amendment that starts from
#: it: those are checked there too (see `Access.also_in`).
READ_STATUSES = ("draft", "submitted", "returned", "published", "amendment", "restricted")
WRITE_STATUSES = ("draft", "submitted", "returned", "published", "amendment")

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANONYMOUS}
UNODA = frozenset({"reviewer", "administrator"})
ADMINISTRATOR = frozenset({"administrator"})
OFFICIALS_A = frozenset({"editor_a", "approver_a"})
APPROVER_A = frozenset({"approver_a"})
#: Who works on State A's drafts: its officials and its live delegated assistant.
DRAFTERS_A = OFFICIALS_A | {"assistant"}
#: Officials (editor or approver) of any State: government readers.
GOVERNMENT = OFFICIALS_A | {"editor_b"}
DONORS = frozenset({"donor"})
#: People acting for an organisation (a donor organisation, the assistant's UN centre).
ORGANISATION_PEOPLE = frozenset({"donor", "assistant"})
NOBODY: frozenset[str] = frozenset()

EDITABLE = frozenset({"draft", "returned", "amendment"})
IN_REVIEW = frozenset({"submitted", "under_review"})
PUBLISHED = frozenset({"published", "amendment", "restricted"})
PUBLIC = frozenset({"published", "amendment"})

Who = frozenset[str] | Callable[[str, str], bool]


def reads_report(role: str, status: str) -> bool:
    """UNODA and State A's drafters read its reports in any status; a published public
    report is everyone's; a restricted one is for government officials (and UNODA)."""
    if role in UNODA | DRAFTERS_A or status in PUBLIC:
        return True
    return status == "restricted" and role in GOVERNMENT


def drafts_in(statuses: frozenset[str]) -> Callable[[str, str], bool]:
    """State A's drafters, while the report is in one of `statuses`."""
    return lambda role, status: role in DRAFTERS_A and status in statuses


def allows(who: Who, role: str, status: str) -> bool:
    return who(role, status) if callable(who) else role in who


Answer = int | Callable[[str, str], int]


def by_status(codes: dict[frozenset[str], int], default: int) -> Callable[[str, str], int]:
    """An allowed request's answer that depends on the report's status."""

    def code(role: str, status: str) -> int:
        return next((c for statuses, c in codes.items() if status in statuses), default)

    return code


def by_role(codes: dict[frozenset[str], int], default: int) -> Callable[[str, str], int]:
    """An allowed request's answer that depends on who asks (e.g. has a second factor)."""

    def code(role: str, status: str) -> int:
        return next((c for roles, c in codes.items() if role in roles), default)

    return code


# --- the table ---------------------------------------------------------------------------

Body = dict[str, Any] | Callable[[Any], dict[str, Any]] | None


@dataclass(frozen=True)
class Access:
    """One method of one route.

    `sees`: who may know the object exists (others: 404). `may`: who may do this (others
    who see it: 403). `login`: anonymous visitors are sent to sign in (pages: 302, API: 401)
    before anything else. `ok`: the answer to an allowed request (a function of the report
    status where it depends on it). `changes_in`: for writes, the statuses in which an allowed
    request may change data; elsewhere it is refused by the workflow and the database must
    stay as it was. `body`: sent with the request (a dict, or a function of the world).
    `refusal`: the answer to someone who sees the object but may not do this (403, except
    the Django admin, which sends them to its sign-in page). `also_in`: statuses beyond
    READ_STATUSES or WRITE_STATUSES in which the method is checked.
    """

    sees: Who = EVERYONE
    may: Who = EVERYONE
    login: bool = False
    ok: Answer = 200
    changes_in: frozenset[str] | None = None
    body: Body = None
    json: bool = False
    refusal: Answer = 403
    also_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """A URL pattern (by name) and the methods checked on it.

    `args` name the objects that fill the URL (see test_matrix.resolve_args); `per_status`
    routes belong to a report and are checked under each report status (see `statuses`),
    with the report of that status. `api`: a /api/v1/ endpoint. `variant` tells apart two
    entries of one URL name (e.g. two actions of a `<slug:action>` pattern). `costly`
    routes build a document (a PDF, the OpenAPI schema) that is the same whoever may read
    it: every refusal is requested, but only SAMPLES allowed readers per status.
    """

    name: str
    methods: dict[str, Access]
    args: tuple[str, ...] = ()
    query: str = ""
    per_status: bool = False
    api: bool = False
    variant: str = ""
    costly: bool = False

    @property
    def label(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name

    def statuses(self, method: str) -> tuple[str, ...]:
        """The report statuses a method is checked in (see READ_STATUSES)."""
        if not self.per_status:
            return (NO_STATUS,)
        usual = READ_STATUSES if method == "GET" else WRITE_STATUSES
        wanted = {*usual, *self.methods[method].also_in}
        return tuple(s for s in STATUSES if s in wanted)


def page(**kwargs) -> Access:
    """A page that needs a signed-in user."""
    return Access(login=True, **kwargs)


def public(**kwargs) -> Access:
    return Access(login=False, **kwargs)


def report_route(name: str, methods: dict[str, Access], **kwargs) -> Route:
    return Route(name, methods, per_status=True, **{"args": ("report",), **kwargs})


def api(name: str, methods: dict[str, Access], **kwargs) -> Route:
    return Route(name, methods, api=True, **kwargs)


def api_report(name: str, methods: dict[str, Access], **kwargs) -> Route:
    return Route(name, methods, per_status=True, api=True, **{"args": ("report",), **kwargs})


#: An allowed form posted empty is shown again with its errors.
FORM_ERRORS = 200
REDIRECT = 302
LIVE_READERS = UNODA | DRAFTERS_A

CORE = [
    Route("home", {"GET": public()}),
    Route("dashboard", {"GET": page()}),
    Route("core:state-list", {"GET": public()}),
    Route(
        "core:invitation-create",
        {
            "GET": page(may=ADMINISTRATOR | APPROVER_A),
            "POST": page(may=ADMINISTRATOR | APPROVER_A, ok=FORM_ERRORS),
        },
    ),
    Route(
        "core:invitation-accept",
        # The link is the credential: whoever holds it sees the invitation. A signed-in
        # person whose e-mail is not the invited one is told so and nothing changes.
        {"GET": public(), "POST": public(ok=FORM_ERRORS, changes_in=frozenset())},
        args=("invitation_token",),
    ),
    Route("core:people", {"GET": page(may=ADMINISTRATOR | APPROVER_A)}),
    Route(
        "core:membership-revoke",
        {"POST": page(sees=ADMINISTRATOR | APPROVER_A, ok=REDIRECT)},
        args=("membership",),
    ),
    Route("core:profile", {"GET": page(), "POST": page(ok=FORM_ERRORS)}),
    Route("core:api-tokens", {"GET": page(), "POST": page(ok=FORM_ERRORS)}),
    Route(
        "core:api-token-revoke",
        {"POST": page(sees=frozenset({"editor_a"}), ok=REDIRECT)},
        args=("api_token",),
    ),
    Route("core:organisations", {"GET": page()}),
    Route(
        "core:organisation-create",
        {"GET": page(may=ADMINISTRATOR), "POST": page(may=ADMINISTRATOR, ok=FORM_ERRORS)},
    ),
    Route(
        "core:organisation-edit",
        {"GET": page(may=ADMINISTRATOR), "POST": page(may=ADMINISTRATOR, ok=FORM_ERRORS)},
        args=("organisation",),
    ),
    Route("core:audit-log", {"GET": page(may=UNODA)}),
    Route("core:notifications", {"GET": page(), "POST": page(ok=REDIRECT)}),
    Route("healthz", {"GET": public()}),
    Route("set_language", {"POST": public(ok=REDIRECT)}),
]

REPORTS = [
    Route("reporting:report-list", {"GET": page()}),
    Route(
        "reporting:report-create",
        {"GET": page(may=GOVERNMENT), "POST": page(may=GOVERNMENT, ok=FORM_ERRORS)},
    ),
    report_route("reporting:report-detail", {"GET": public(sees=reads_report)}),
    report_route(
        "reporting:section-edit",
        {
            "GET": public(sees=reads_report),
            # The no-JavaScript form: answers change only while the report is editable.
            "POST": public(sees=reads_report, may=drafts_in(EDITABLE), ok=REDIRECT),
        },
        args=("report", "=general"),
    ),
    report_route(
        "reporting:section-unchanged",
        {"POST": page(sees=reads_report, may=DRAFTERS_A, ok=REDIRECT, changes_in=EDITABLE)},
        args=("report", "=general"),
    ),
    report_route(
        "reporting:answer-save",
        {
            "POST": page(
                sees=reads_report,
                may=DRAFTERS_A,
                ok=by_status({EDITABLE: 200}, 409),
                changes_in=EDITABLE,
                body={"answers": [{"key": "body", "value": "Changed", "revision": 1}]},
                json=True,
            )
        },
    ),
    report_route(
        "reporting:question-fragment",
        {"GET": page(sees=reads_report)},
        args=("report", "=body"),
    ),
    report_route(
        "reporting:attachment-upload",
        {
            "POST": page(
                sees=reads_report,
                may=DRAFTERS_A,
                ok=by_status({EDITABLE: 200}, 409),
                changes_in=EDITABLE,
                body=lambda world: {"key": "plan", "file": world.pdf_upload()},
            )
        },
    ),
    report_route(
        "reporting:attachment-download",
        {"GET": page(sees=reads_report)},
        args=("report", "attachment"),
    ),
    report_route("reporting:presence", {"POST": page(sees=reads_report, may=DRAFTERS_A)}),
    report_route(
        "reporting:report-submit",
        {
            "POST": page(
                sees=reads_report,
                may=APPROVER_A,
                ok=REDIRECT,
                changes_in=EDITABLE,
                body={"visibility": "public", "confirm": "on"},
            )
        },
    ),
    report_route("reporting:report-print", {"GET": public(sees=reads_report)}, costly=True),
    report_route("reporting:report-pdf", {"GET": public(sees=reads_report)}, costly=True),
    report_route(
        "reporting:report-start-review",
        {
            "POST": page(
                sees=reads_report,
                may=UNODA,
                ok=REDIRECT,
                changes_in=frozenset({"submitted"}),
                also_in=("under_review",),
            )
        },
    ),
    report_route(
        "reporting:report-return",
        {
            "POST": page(
                sees=reads_report,
                may=UNODA,
                ok=REDIRECT,
                changes_in=IN_REVIEW,
                also_in=("under_review",),
                body={"message": "Please clarify 1.1."},
            )
        },
    ),
    report_route(
        "reporting:report-publish",
        {
            "POST": page(
                sees=reads_report,
                may=UNODA,
                ok=REDIRECT,
                changes_in=IN_REVIEW,
                also_in=("under_review",),
            )
        },
    ),
    report_route(
        "reporting:report-amend",
        {
            "POST": page(
                sees=reads_report,
                may=OFFICIALS_A,
                ok=REDIRECT,
                changes_in=frozenset({"published", "restricted"}),
                also_in=("restricted",),
            )
        },
    ),
    # Comments are between the State and UNODA: never the public, nor other States.
    report_route("reporting:report-comments", {"GET": page(sees=reads_report, may=LIVE_READERS)}),
    report_route(
        "reporting:comment-add",
        {
            "POST": page(
                sees=reads_report, may=LIVE_READERS, ok=REDIRECT, body={"body": "A question."}
            )
        },
    ),
    # The history of revisions and the working copy are the State's and UNODA's.
    report_route("reporting:report-revisions", {"GET": page(sees=reads_report, may=LIVE_READERS)}),
    report_route(
        "reporting:revision-diff",
        {"GET": page(sees=reads_report, may=LIVE_READERS)},
        query="a=now&b=now",
    ),
    report_route(
        "reporting:workbook-download",
        # The working copy of a report one may only read published: as if it did not exist.
        {"GET": page(sees=lambda role, status: role in LIVE_READERS)},
        costly=True,
    ),
    report_route(
        "reporting:workbook-upload",
        {
            "GET": page(sees=reads_report, may=DRAFTERS_A),
            # Posted without a workbook: 400, whatever the status.
            "POST": page(sees=reads_report, may=DRAFTERS_A, ok=400, changes_in=frozenset()),
        },
    ),
    report_route(
        "reporting:workbook-apply",
        {"POST": page(sees=reads_report, may=DRAFTERS_A, ok=400, changes_in=frozenset())},
    ),
    report_route(
        "reporting:report-final-pdf",
        # Only a published report has a final PDF: 409 before that.
        {"GET": public(sees=reads_report, ok=by_status({PUBLISHED: 200}, 409))},
        costly=True,
    ),
    report_route("reporting:report-json", {"GET": public(sees=reads_report)}, costly=True),
    Route(
        "assistance:help-ask",
        {
            "GET": page(sees=reads_report, may=OFFICIALS_A),
            "POST": page(sees=reads_report, may=OFFICIALS_A, ok=FORM_ERRORS),
        },
        args=("report",),
        per_status=True,
    ),
]

REVIEW = [
    Route("reporting:meeting-list", {"GET": public()}),
    Route(
        "reporting:meeting-create",
        {"GET": page(may=ADMINISTRATOR), "POST": page(may=ADMINISTRATOR, ok=FORM_ERRORS)},
    ),
    Route("reporting:meeting-analysis", {"GET": public()}, args=("meeting",)),
    Route("reporting:analysis-build", {"POST": page(may=UNODA, ok=REDIRECT)}, args=("meeting",)),
    Route("reporting:edition-download", {"GET": public()}, args=("edition",)),
    Route(
        "reporting:edition-publish",
        # An edition not yet published is staff-only.
        {"POST": page(sees=UNODA, ok=REDIRECT)},
        args=("edition_unpublished",),
    ),
    Route("reporting:archive", {"GET": public()}),
    Route("reporting:state-history", {"GET": public()}, args=("=FRA",)),
    Route("reporting:review-queue", {"GET": page(may=UNODA)}),
    Route(
        "reporting:cycle-extensions",
        {"GET": page(may=UNODA), "POST": page(may=UNODA, ok=FORM_ERRORS)},
        args=("cycle",),
    ),
    Route("reporting:cycle-export-csv", {"GET": public()}, args=("cycle",)),
    Route("reporting:cycle-export-xlsx", {"GET": public()}, args=("cycle",), costly=True),
    # A State's own data (every report, every revision) is its officials' and UNODA's.
    Route(
        "reporting:state-data",
        {"GET": public(sees=OFFICIALS_A | UNODA)},
        args=("=FRA",),
    ),
    Route("reporting:statistics", {"GET": public()}),
    Route("reporting:statistics-cycle", {"GET": public()}, args=("cycle",)),
    Route("reporting:statistics-csv", {"GET": public()}, args=("cycle", "statistics_table")),
]

CONTACT_KEEPERS = OFFICIALS_A | UNODA
#: A tracing request is read by the two States' officials only (not UNODA): State A asked
#: State C, so only State A's editor and approver know it exists.
TRACING_SIDES = OFFICIALS_A

TRACING = [
    Route("tracing:directory", {"GET": public()}),
    Route("tracing:marking-catalogue", {"GET": public()}),
    Route("tracing:request-list", {"GET": page(may=GOVERNMENT | UNODA)}),
    Route(
        "tracing:request-new",
        {"GET": page(may=GOVERNMENT), "POST": page(may=GOVERNMENT, ok=FORM_ERRORS)},
    ),
    Route("tracing:request-detail", {"GET": page(sees=TRACING_SIDES)}, args=("tracing_request",)),
    Route(
        "tracing:request-attachment",
        {"GET": page(sees=TRACING_SIDES)},
        args=("tracing_request", "tracing_attachment"),
    ),
    Route(
        "tracing:request-action",
        {"POST": page(sees=TRACING_SIDES, ok=REDIRECT, body={"body": "Any news?"})},
        args=("tracing_request", "=message"),
        variant="message",
    ),
    Route(
        "tracing:request-action",
        # Closing comes after the answer: refused by the workflow until then.
        {"POST": page(sees=TRACING_SIDES, ok=REDIRECT, changes_in=frozenset())},
        args=("tracing_request", "=close"),
        variant="close",
    ),
    Route(
        "tracing:request-action",
        # Only the requested State (C, not one of the personas) acknowledges.
        {"POST": page(sees=TRACING_SIDES, may=NOBODY)},
        args=("tracing_request", "=acknowledge"),
        variant="acknowledge",
    ),
    Route(
        "tracing:marking-edit",
        {"GET": page(may=CONTACT_KEEPERS), "POST": page(may=CONTACT_KEEPERS, ok=FORM_ERRORS)},
        args=("=FRA",),
    ),
    Route("tracing:directory-csv", {"GET": public()}),
    Route("tracing:directory-vcard", {"GET": public()}),
    Route("tracing:directory-pdf", {"GET": public()}, costly=True),
    Route("tracing:state-contacts", {"GET": public()}, args=("=FRA",)),
    Route(
        "tracing:contacts-confirm",
        {"POST": page(may=CONTACT_KEEPERS, ok=REDIRECT)},
        args=("=FRA",),
    ),
    Route(
        "tracing:contact-edit",
        {"GET": page(may=CONTACT_KEEPERS), "POST": page(may=CONTACT_KEEPERS, ok=FORM_ERRORS)},
        args=("=FRA", "=poa"),
    ),
    Route(
        "tracing:proposal-decide",
        {"POST": page(may=CONTACT_KEEPERS, ok=REDIRECT)},
        args=("=FRA", "proposal"),
    ),
]

#: The two parties of a donor's conversation about State A's need, and UNODA (reads only).
MATCH_SIDES = DONORS | OFFICIALS_A
MATCH_READERS = MATCH_SIDES | UNODA
SPONSORSHIP_READERS = OFFICIALS_A | UNODA
#: An open request for help is seen by State A's officials, UNODA and every organisation's
#: people (so that one of them takes it on).
HELP_READERS = OFFICIALS_A | UNODA | ORGANISATION_PEOPLE

ASSISTANCE = [
    Route("assistance:board", {"GET": public()}),
    Route("assistance:board-csv", {"GET": public()}),
    Route(
        "assistance:need-new",
        {"GET": page(may=GOVERNMENT), "POST": page(may=GOVERNMENT, ok=FORM_ERRORS)},
    ),
    Route("assistance:need-detail", {"GET": public()}, args=("need",)),
    Route(
        "assistance:need-edit",
        {"GET": page(may=OFFICIALS_A), "POST": page(may=OFFICIALS_A, ok=FORM_ERRORS)},
        args=("need",),
    ),
    Route("assistance:need-withdraw", {"POST": page(may=OFFICIALS_A, ok=REDIRECT)}, args=("need",)),
    Route(
        "assistance:need-interest",
        {"POST": page(may=DONORS, ok=REDIRECT)},
        args=("need_free",),
    ),
    Route("assistance:offer-list", {"GET": public()}),
    Route(
        "assistance:offer-new",
        {"GET": page(may=DONORS), "POST": page(may=DONORS, ok=FORM_ERRORS)},
    ),
    Route("assistance:offer-detail", {"GET": public()}, args=("offer",)),
    Route(
        "assistance:offer-edit",
        {"GET": page(may=DONORS), "POST": page(may=DONORS, ok=FORM_ERRORS)},
        args=("offer",),
    ),
    Route("assistance:offer-close", {"POST": page(may=DONORS, ok=REDIRECT)}, args=("offer",)),
    Route("assistance:match-list", {"GET": page()}),
    Route("assistance:match-detail", {"GET": page(sees=MATCH_READERS)}, args=("match",)),
    Route(
        "assistance:match-action",
        {"POST": page(sees=MATCH_READERS, may=MATCH_SIDES, ok=REDIRECT, body={"body": "Hello."})},
        args=("match", "=message"),
        variant="message",
    ),
    Route(
        "assistance:match-action",
        # Only the donor marks a conversation funded (refused by the workflow before an
        # agreement: the page says so).
        {"POST": page(sees=MATCH_READERS, may=DONORS, ok=REDIRECT, changes_in=frozenset())},
        args=("match", "=fund"),
        variant="fund",
    ),
    Route("assistance:sponsorship-list", {"GET": page(may=GOVERNMENT | UNODA | DONORS)}),
    Route(
        "assistance:sponsorship-apply",
        {"GET": page(may=GOVERNMENT), "POST": page(may=GOVERNMENT, ok=FORM_ERRORS)},
    ),
    Route(
        "assistance:sponsorship-detail",
        {"GET": page(sees=SPONSORSHIP_READERS)},
        args=("application",),
    ),
    Route(
        "assistance:sponsorship-decide",
        {"POST": page(sees=SPONSORSHIP_READERS, may=UNODA, ok=FORM_ERRORS)},
        args=("application",),
    ),
    Route(
        "assistance:sponsorship-withdraw",
        {"POST": page(sees=SPONSORSHIP_READERS, may=OFFICIALS_A, ok=REDIRECT)},
        args=("application",),
    ),
    Route("assistance:fund", {"GET": page(may=UNODA | DONORS)}),
    Route(
        "assistance:fund-contribute",
        {"POST": page(may=DONORS | ADMINISTRATOR, ok=FORM_ERRORS)},
    ),
    Route("assistance:help-list", {"GET": page(may=GOVERNMENT | UNODA | ORGANISATION_PEOPLE)}),
    Route("assistance:help-detail", {"GET": page(sees=HELP_READERS)}, args=("help_request",)),
    Route(
        "assistance:help-accept",
        # Posted without choosing the organisation: the page says so.
        {"POST": page(sees=HELP_READERS, may=ORGANISATION_PEOPLE, ok=REDIRECT)},
        args=("help_request",),
    ),
    Route(
        "assistance:help-grant",
        {
            "GET": page(sees=HELP_READERS, may=APPROVER_A),
            "POST": page(sees=HELP_READERS, may=APPROVER_A, ok=FORM_ERRORS),
        },
        args=("help_request",),
    ),
    Route(
        "assistance:help-revoke",
        {"POST": page(sees=HELP_READERS, may=APPROVER_A, ok=REDIRECT)},
        args=("help_request", "grant"),
    ),
    Route(
        "assistance:help-close",
        {"POST": page(sees=HELP_READERS, may=OFFICIALS_A, ok=REDIRECT)},
        args=("help_request",),
    ),
]

# --- API (/api/v1/): anonymous callers of a protected endpoint get 401 ---------------------


def endpoint(**kwargs) -> Access:
    """An endpoint for signed-in callers (IsAuthenticated)."""
    return Access(login=True, json=True, **kwargs)


def open_endpoint(**kwargs) -> Access:
    """An endpoint anyone may call (AllowAny); what it shows still depends on the caller."""
    return Access(login=False, json=True, **kwargs)


API = [
    api("api-root", {"GET": endpoint()}),
    api("state-list", {"GET": open_endpoint()}),
    api("state-detail", {"GET": open_endpoint()}, args=("=FRA",)),
    api("meeting-list", {"GET": open_endpoint()}),
    api("meeting-detail", {"GET": open_endpoint()}, args=("meeting",)),
    api("questionnaire-list", {"GET": open_endpoint()}),
    api("questionnaire-detail", {"GET": open_endpoint()}, args=("questionnaire",)),
    api(
        "report-list",
        {
            "GET": endpoint(),
            "POST": endpoint(
                may=OFFICIALS_A,
                ok=201,
                body=lambda world: {
                    "state": "FRA",
                    "cycle": world.pk("free_cycle"),
                    "language": "en",
                },
            ),
        },
    ),
    api_report("report-detail", {"GET": endpoint(sees=reads_report)}),
    api_report(
        "report-answers",
        {
            "PATCH": endpoint(
                sees=reads_report,
                may=DRAFTERS_A,
                ok=by_status({EDITABLE: 200}, 409),
                changes_in=EDITABLE,
                body={"answers": [{"key": "body", "value": "Changed", "revision": 1}]},
            )
        },
    ),
    # Comments and the working copy's history are hidden (404) from everyone else.
    api_report(
        "report-comments",
        {
            "GET": endpoint(sees=lambda role, status: role in LIVE_READERS),
            "POST": endpoint(
                sees=lambda role, status: role in LIVE_READERS,
                ok=201,
                body={"body": "A question."},
            ),
        },
    ),
    api_report(
        "report-diff",
        {"GET": endpoint(sees=lambda role, status: role in LIVE_READERS)},
        query="a=now&b=now",
    ),
    api_report("report-export", {"GET": endpoint(sees=reads_report)}, costly=True),
    api_report(
        "report-publish",
        {
            "POST": endpoint(
                sees=reads_report,
                may=UNODA,
                ok=by_status({IN_REVIEW: 200}, 409),
                changes_in=IN_REVIEW,
                also_in=("under_review",),
            )
        },
    ),
    api_report(
        "report-return-for-clarification",
        {
            "POST": endpoint(
                sees=reads_report,
                may=UNODA,
                ok=by_status({IN_REVIEW: 200}, 409),
                changes_in=IN_REVIEW,
                also_in=("under_review",),
                body={"message": "Please clarify 1.1."},
            )
        },
    ),
    api_report(
        "report-submit",
        {
            "POST": endpoint(
                sees=reads_report,
                may=APPROVER_A,
                ok=by_status({EDITABLE: 200}, 409),
                changes_in=EDITABLE,
                body={"visibility": "public"},
            )
        },
    ),
    api_report(
        "report-amend",
        {
            "POST": endpoint(
                sees=reads_report,
                may=OFFICIALS_A,
                ok=by_status({frozenset({"published", "restricted"}): 200}, 409),
                changes_in=frozenset({"published", "restricted"}),
                also_in=("restricted",),
            )
        },
    ),
    api("cycle-export-csv", {"GET": open_endpoint()}, args=("cycle",)),
    api(
        "summary-list",
        {
            "GET": open_endpoint(),
            "POST": open_endpoint(
                may=UNODA,
                ok=202,
                body=lambda world: {
                    "meeting": world.pk("meeting"),
                    "language": "en",
                    "edition": "public",
                },
            ),
        },
    ),
    api("summary-detail", {"GET": open_endpoint()}, args=("edition",)),
    api(
        "summary-detail",
        {"GET": open_endpoint(sees=UNODA)},
        args=("edition_unpublished",),
        variant="unpublished",
    ),
    api("contact-point-list", {"GET": open_endpoint()}),
    api("contact-point-detail", {"GET": open_endpoint()}, args=("contact_point",)),
    api("marking-practice-list", {"GET": open_endpoint()}),
    api("marking-practice-detail", {"GET": open_endpoint()}, args=("marking_practice",)),
    api(
        "tracing-request-list",
        {
            "GET": endpoint(),
            "POST": endpoint(may=GOVERNMENT, ok=201, body=lambda world: world.tracing_body()),
        },
    ),
    api(
        "tracing-request-detail",
        {"GET": endpoint(sees=TRACING_SIDES)},
        args=("tracing_request",),
    ),
    # State A asked: only the requested State acknowledges, asks for information, answers.
    *[
        api(
            f"tracing-request-{name}",
            {"POST": endpoint(sees=TRACING_SIDES, may=NOBODY, body=body)},
            args=("tracing_request",),
        )
        for name, body in (
            ("acknowledge", None),
            ("request-information", {"message": "Which marks?"}),
            ("answer", {"outcome": "traced", "answer": "Exported in 2001."}),
        )
    ],
    api(
        "tracing-request-close",
        {"POST": endpoint(sees=TRACING_SIDES, ok=409, changes_in=frozenset())},
        args=("tracing_request",),
    ),
    api(
        "need-list",
        {
            "GET": open_endpoint(),
            "POST": endpoint(
                may=GOVERNMENT,
                ok=201,
                body={"theme": "marking", "kind": "training", "description": "Training."},
            ),
        },
    ),
    api(
        "need-detail",
        {
            "GET": open_endpoint(),
            "PATCH": endpoint(may=OFFICIALS_A, body={"priority": "low"}),
        },
        args=("need",),
    ),
    api("need-candidates", {"GET": open_endpoint()}, args=("need",)),
    api("need-withdraw", {"POST": endpoint(may=OFFICIALS_A)}, args=("need",)),
    api(
        "need-interest",
        {"POST": endpoint(may=DONORS, ok=201, body={"message": "We may help."})},
        args=("need_free",),
    ),
    api(
        "offer-list",
        {
            "GET": open_endpoint(),
            "POST": endpoint(
                may=DONORS,
                ok=201,
                body={
                    "title": "Stockpile training",
                    "themes": ["stockpile_management"],
                    "kinds": ["training"],
                    "currency": "USD",
                },
            ),
        },
    ),
    api(
        "offer-detail",
        {"GET": open_endpoint(), "PATCH": endpoint(may=DONORS, body={"title": "Renamed"})},
        args=("offer",),
    ),
    api("offer-close", {"POST": endpoint(may=DONORS)}, args=("offer",)),
    api("offer-needs", {"GET": open_endpoint()}, args=("offer",)),
    api("match-list", {"GET": endpoint()}),
    api("match-detail", {"GET": endpoint(sees=MATCH_READERS)}, args=("match",)),
    api(
        "match-message",
        {"POST": endpoint(sees=MATCH_READERS, may=MATCH_SIDES, body={"body": "Hello."})},
        args=("match",),
    ),
    api(
        "match-agree",
        {"POST": endpoint(sees=MATCH_READERS, may=MATCH_SIDES, body={"agreement": "Agreed."})},
        args=("match",),
    ),
    # Funding and completing need an agreement first: the parties allowed get 409 now.
    api(
        "match-fund",
        {"POST": endpoint(sees=MATCH_READERS, may=DONORS, ok=409, changes_in=frozenset())},
        args=("match",),
    ),
    api(
        "match-complete",
        {
            "POST": endpoint(
                sees=MATCH_READERS,
                may=MATCH_SIDES,
                ok=409,
                changes_in=frozenset(),
                body={"outcome": "Done."},
            )
        },
        args=("match",),
    ),
    api(
        "match-decline",
        {"POST": endpoint(sees=MATCH_READERS, may=OFFICIALS_A)},
        args=("match",),
    ),
    api(
        "match-withdraw",
        {"POST": endpoint(sees=MATCH_READERS, may=DONORS)},
        args=("match",),
    ),
    api(
        "sponsorship-application-list",
        {
            "GET": endpoint(),
            "POST": endpoint(may=GOVERNMENT, ok=201, body=lambda world: world.sponsorship_body()),
        },
    ),
    api(
        "sponsorship-application-detail",
        {"GET": endpoint(sees=SPONSORSHIP_READERS)},
        args=("application",),
    ),
    api(
        "sponsorship-application-approve",
        {"POST": endpoint(sees=SPONSORSHIP_READERS, may=UNODA, body={})},
        args=("application",),
    ),
    api(
        "sponsorship-application-reject",
        {"POST": endpoint(sees=SPONSORSHIP_READERS, may=UNODA, body={"note": "No funds."})},
        args=("application",),
    ),
    api(
        "sponsorship-application-withdraw",
        {"POST": endpoint(sees=SPONSORSHIP_READERS, may=OFFICIALS_A)},
        args=("application",),
    ),
    Route("api-schema", {"GET": public()}, costly=True),
    Route("api-docs", {"GET": public()}),
]

# --- accounts (django-allauth) and second factor ---------------------------------------------
# Sign-up is closed (people join by invitation) and people already signed in are sent on
# from the sign-in pages. Changing one's second factor asks for the password again first
# (the personas signed in, but did not just re-authenticate); what does not exist (recovery
# codes never generated, a second factor never set up) is not found.
MFA_ENROLLED = frozenset({"approver_a", "reviewer", "administrator"})
SENT_ON = by_role({SIGNED_IN: REDIRECT}, 200)
ENROLLED_OR_REAUTHENTICATE = by_role({MFA_ENROLLED: 200}, REDIRECT)
REAUTHENTICATE_OR_MISSING = by_role({MFA_ENROLLED: REDIRECT}, 404)


def account(name: str, get: Access | None = None, post: Access | None = None, **kw) -> Route:
    methods = {m: a for m, a in (("GET", get), ("POST", post)) if a is not None}
    return Route(name, methods, **kw)


ACCOUNTS = [
    account("account_login", public(ok=SENT_ON), public(ok=SENT_ON)),
    account(
        "account_logout",
        public(ok=by_role({SIGNED_IN: 200}, REDIRECT)),  # a confirmation page
        public(ok=REDIRECT),
    ),
    account("account_inactive", public()),
    account("account_signup", public(ok=SENT_ON), public(ok=SENT_ON)),
    account("account_reauthenticate", page(), page(ok=FORM_ERRORS)),
    account("account_request_reauthentication_code", page(), page(ok=FORM_ERRORS)),
    # No code was asked for: back to asking for one.
    account("account_confirm_reauthentication_code", page(ok=REDIRECT), page(ok=REDIRECT)),
    account("account_email", page(), page(ok=REDIRECT)),
    account("account_email_verification_sent", public()),
    account("account_change_password", page(), page(ok=FORM_ERRORS)),
    # Everyone has a password already: sent to the page that changes it.
    account("account_set_password", page(ok=REDIRECT), page(ok=REDIRECT)),
    account("account_reset_password", public(), public(ok=FORM_ERRORS)),
    # No sign-in by code in progress: sent on.
    account("account_confirm_login_code", public(ok=REDIRECT), public(ok=REDIRECT)),
    account(
        "account_confirm_email",
        public(),  # says the link is not valid
        public(ok=404),
        args=("=not-a-key",),
    ),
    account("account_reset_password_from_key_done", public()),
    account(
        "account_reset_password_from_key",
        public(),  # says the link is not valid
        public(ok=FORM_ERRORS),
        args=("=1", "=not-a-key"),
    ),
    account("account_reset_password_done", public()),
    account("mfa_index", page()),
    # No sign-in waiting for its second factor: sent on.
    account("mfa_authenticate", public(ok=REDIRECT), public(ok=REDIRECT)),
    account(
        "mfa_reauthenticate",
        page(ok=ENROLLED_OR_REAUTHENTICATE),
        page(ok=ENROLLED_OR_REAUTHENTICATE),
    ),
    account("mfa_activate_totp", page(ok=REDIRECT), page(ok=REDIRECT)),
    account(
        "mfa_deactivate_totp",
        page(ok=REAUTHENTICATE_OR_MISSING),
        page(ok=REAUTHENTICATE_OR_MISSING),
    ),
    account("mfa_view_recovery_codes", page(ok=404)),
    account("mfa_generate_recovery_codes", page(ok=REDIRECT), page(ok=REDIRECT)),
    account("mfa_download_recovery_codes", page(ok=404)),
]

# --- the Django admin, as one group ------------------------------------------------------------
# Only administrators reach it; anyone else signed in is sent to its sign-in page, which
# sends them home and records the denial. Checked: the index, and the list and the change
# form (read, and posted empty) of every registered model. Its other pages (add, delete,
# history, password, autocomplete…) pass the same gate (AdminSite.admin_view). Models whose
# rows only services change (States, roles, invitations, tokens, the audit log, reports, a
# published questionnaire) are read-only there: posting their form is refused (403) even
# to an administrator.
ADMIN_MODELS = {
    "auth.group": True,
    "account.emailaddress": True,
    "mfa.authenticator": True,
    "core.user": True,
    "core.memberstate": False,
    "core.organisation": True,
    "core.membership": False,
    "core.invitation": False,
    "core.apitoken": False,
    "core.auditentry": False,
    "reporting.meeting": True,
    "reporting.questionnaireversion": False,
    "reporting.section": False,
    "reporting.report": False,
}
ADMIN_ONLY = Access(login=True, may=ADMINISTRATOR, refusal=REDIRECT)
ADMIN_REFUSAL = by_role({ADMINISTRATOR: 403}, REDIRECT)


def admin_routes() -> list[Route]:
    routes = [Route("admin:index", {"GET": ADMIN_ONLY})]
    for label, editable in ADMIN_MODELS.items():
        prefix = "admin:" + label.replace(".", "_")
        post = Access(
            login=True,
            may=ADMINISTRATOR if editable else NOBODY,
            refusal=ADMIN_REFUSAL,
            ok=FORM_ERRORS,
            changes_in=frozenset(),
        )
        routes.append(Route(f"{prefix}_changelist", {"GET": ADMIN_ONLY}))
        routes.append(
            Route(f"{prefix}_change", {"GET": ADMIN_ONLY, "POST": post}, args=(f"admin:{label}",))
        )
    return routes


ADMIN = admin_routes()

ROUTES: list[Route] = [
    *CORE,
    *REPORTS,
    *REVIEW,
    *TRACING,
    *ASSISTANCE,
    *API,
    *ACCOUNTS,
    *ADMIN,
]


# --- expected outcome ----------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What one cell must answer, and what must (not) happen alongside."""

    code: int
    #: The request is refused (sign-in required, hidden, forbidden, or refused by the
    #: workflow): the database must not change.
    refused: bool
    #: A denial the security log must record (401, 403, and 404 for an existing object).
    logged: bool


def expect(route: Route, method: str, role: str, status: str) -> Expected:
    access = route.methods[method]
    if role == ANONYMOUS and access.login:
        return Expected(401 if route.api else 302, refused=True, logged=route.api)
    if not allows(access.sees, role, status):
        return Expected(404, refused=True, logged=True)
    if not allows(access.may, role, status):
        refusal = access.refusal(role, status) if callable(access.refusal) else access.refusal
        return Expected(refusal, refused=True, logged=refusal in (401, 403))
    code = access.ok(role, status) if callable(access.ok) else access.ok
    blocked = access.changes_in is not None and status not in access.changes_in
    return Expected(code, refused=blocked, logged=False)


@dataclass(frozen=True)
class Cell:
    route: Route
    method: str
    role: str
    status: str

    @property
    def expected(self) -> Expected:
        return expect(self.route, self.method, self.role, self.status)

    def __str__(self) -> str:
        return f"{self.method} {self.route.label} × {self.role} × {self.status}"


#: Allowed readers requested per status on a costly route.
SAMPLES = 2


def cells(route: Route, method: str) -> list[Cell]:
    """Every cell of the route and method (the table)."""
    return [Cell(route, method, role, s) for s in route.statuses(method) for role in ROLES]


def exercised(route: Route, method: str) -> list[Cell]:
    """The cells requested: all of them, except on a costly route, where every refusal is
    requested but only SAMPLES allowed readers per status, taken in turn from the list so
    that different readers are covered from one status to the next."""
    every = cells(route, method)
    if not route.costly:
        return every
    chosen = []
    for number, status in enumerate(route.statuses(method)):
        row = [c for c in every if c.status == status]
        allowed = [c for c in row if not c.expected.refused]
        start = (number * SAMPLES) % len(allowed) if allowed else 0
        picked = (allowed[start:] + allowed[:start])[:SAMPLES]
        chosen += [c for c in row if c.expected.refused or c in picked]
    return chosen


@dataclass
class Size:
    """The matrix's figures (printed by `python -m tests.security.matrix`)."""

    routes: int = 0
    report_routes: int = 0
    route_methods: int = 0
    cells: int = 0
    exercised: int = 0
    by_code: dict[int, int] = field(default_factory=dict)


def size(routes: list[Route] = ROUTES) -> Size:
    figures = Size(routes=len(routes), report_routes=sum(r.per_status for r in routes))
    for route in routes:
        for method in route.methods:
            figures.route_methods += 1
            figures.exercised += len(exercised(route, method))
            for cell in cells(route, method):
                figures.cells += 1
                code = cell.expected.code
                figures.by_code[code] = figures.by_code.get(code, 0) + 1
    return figures


if __name__ == "__main__":
    figures = size()
    print(
        f"{figures.routes} route entries ({figures.report_routes} per report status) × "
        f"{len(ROLES)} roles × {len(STATUSES)} statuses where a report is involved: "
        f"{figures.route_methods} route-methods, {figures.cells} cells, "
        f"{figures.exercised} requested; expected codes {dict(sorted(figures.by_code.items()))}"
    )
