"""The authorization matrix (tests/security/matrix.py) checked against the running app.

One test per route and method walks the role × report status cells of the table (on costly
routes every refusal and a sample of the allowed readers, see `matrix.exercised`), writes
each in a savepoint rolled back afterwards, and reports every cell that differs at once:
method, route, role, status, expected and received. For each cell:

- the status code is the table's;
- a refused request changed nothing in the database: no row of any table was inserted,
  updated or deleted, even in a savepoint rolled back later (PostgreSQL's per-transaction
  counters, `pg_stat_get_xact_tuples_*`), except the session and the denial's audit entry;
- every denial (401, 403, and 404 for an object that exists) wrote exactly one
  `core.permission.denied` audit entry and one warning on the `django.security.poa` logger,
  and nothing else did.

The data (personas, a report of State A in every status, every other object) is built once
for the module, inside a transaction rolled back at the end. Two more tests fail when a URL
pattern of the resolver, or an endpoint (path and method) of the OpenAPI schema, is missing
from the table.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from drf_spectacular.generators import SchemaGenerator

from tests.security import matrix
from tests.security.world import World, build_world

# PostgreSQL: the write checks read its per-transaction counters.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

#: The table a request may always write to (the session is saved with each response).
SESSIONS = "django_session"
#: A denial adds exactly one row here (and says so on the security logger).
AUDIT = "core_auditentry"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The matrix's data, built once; rolled back (and its files left in a temporary
    folder) when the module's tests are done."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("matrix-media"))
    media.enable()
    try:
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                yield build_world()
            finally:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
    finally:
        media.disable()


class WarningCounter(logging.Handler):
    """Counts the warnings a logger emits."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@pytest.fixture(scope="module")
def security_log():
    """Counts warnings of the security logger (denials)."""
    counter = WarningCounter()
    logger = logging.getLogger("django.security.poa")
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)


# --- one cell --------------------------------------------------------------------------


def resolve_args(world: World, route: matrix.Route, status: str) -> list[str]:
    """The URL's arguments: `=value` is literal; `report` and `attachment` are those of the
    status's report; names of strings (tokens, slugs) as they are; anything else an object's
    primary key."""
    values = []
    for arg in route.args:
        if arg.startswith("="):
            values.append(arg[1:])
        elif arg == "report":
            values.append(str(world.reports[status].pk))
        elif arg == "attachment":
            values.append(world.objects["attachments"][status])
        elif isinstance(world.objects[arg], str):
            values.append(world.objects[arg])
        else:
            values.append(str(world.pk(arg)))
    return values


def url_of(world: World, cell: matrix.Cell) -> str:
    url = reverse(cell.route.name, args=resolve_args(world, cell.route, cell.status))
    return f"{url}?{cell.route.query}" if cell.route.query else url


#: One test client for all cells (its handler loads the middleware once); cookies are reset
#: before each request, so that nothing (messages, a new session) carries over.
CLIENT = Client()


def client_of(world: World, role: str) -> Client:
    CLIENT.cookies = SimpleCookie()
    if role != matrix.ANONYMOUS:
        CLIENT.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return CLIENT


def send(world: World, cell: matrix.Cell):
    access = cell.route.methods[cell.method]
    client = client_of(world, cell.role)
    url = url_of(world, cell)
    body = access.body(world) if callable(access.body) else access.body
    if cell.method == "GET":
        return client.get(url)
    if access.json:
        data = json.dumps(body if body is not None else {})
        return client.generic(cell.method, url, data, content_type="application/json")
    # A form, encoded like a browser's (multipart, files allowed); empty without a body.
    return client.post(url, body or {})


class WriteCounter:
    """Rows inserted, updated or deleted so far in this transaction, per table, from
    PostgreSQL's own counters: they keep counting writes a savepoint later undid, so a
    refused request that wrote and then rolled back is caught too. One query per reading."""

    def __init__(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.oid, c.relname FROM pg_class c WHERE c.relkind = 'r' "
                "AND c.relnamespace = 'public'::regnamespace AND c.relname <> %s "
                "ORDER BY c.relname",
                [SESSIONS],
            )
            rows = cursor.fetchall()
        self.oids = [oid for oid, _name in rows]
        self.names = [name for _oid, name in rows]

    def read(self) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ARRAY(SELECT pg_stat_get_xact_tuples_inserted(o) "
                "+ pg_stat_get_xact_tuples_updated(o) + pg_stat_get_xact_tuples_deleted(o) "
                "FROM unnest(%s::oid[]) WITH ORDINALITY AS t(o, n) ORDER BY n)",
                [self.oids],
            )
            return cursor.fetchone()[0]

    def changes(self, before: list[int], after: list[int]) -> dict[str, int]:
        return {n: a - b for n, b, a in zip(self.names, before, after, strict=True) if a != b}


@pytest.fixture(scope="module")
def writes(world) -> WriteCounter:
    return WriteCounter()


def check(world: World, cell: matrix.Cell, log: WarningCounter, writes: WriteCounter) -> list[str]:
    """Problems with one cell (empty when it behaves as the table says). Writes run in a
    savepoint rolled back afterwards; reads need none."""
    if cell.method == "GET":
        return _check(world, cell, log, writes)
    with transaction.atomic():
        problems = _check(world, cell, log, writes)
        transaction.set_rollback(True)
    return problems


def _check(world: World, cell: matrix.Cell, log: WarningCounter, writes: WriteCounter) -> list[str]:
    expected = cell.expected
    before = writes.read() if expected.refused else None
    logged_before = log.count
    try:
        response = send(world, cell)
        _consume(response)
    except Exception as exc:  # a server error is a failed cell, reported with the others
        return [f"{cell}: expected {expected.code}, raised {exc!r}"]
    if response.status_code != expected.code:
        location = response.get("Location", "")
        arrow = f" → {location}" if location else ""
        return [f"{cell}: expected {expected.code}, got {response.status_code}{arrow}"]
    problems = []
    wanted = 1 if expected.logged else 0
    logged = log.count - logged_before
    changes = writes.changes(before, writes.read()) if before is not None else {}
    audited = changes.pop(AUDIT, 0)
    if logged != wanted or (before is not None and audited != wanted):
        problems.append(
            f"{cell}: expected {wanted} denial record(s), got {logged} security log "
            f"warning(s) and {audited if before is not None else '?'} audit entries"
        )
    if changes:
        problems.append(f"{cell}: refused, yet wrote to {sorted(changes)}")
    return problems


def _consume(response) -> None:
    """Read a streamed body to its end: the test client then closes it (closing it again
    here would close the database connection, as at the end of a real request)."""
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


# --- the matrix ------------------------------------------------------------------------

ROUTE_METHODS = [(route, method) for route in matrix.ROUTES for method in route.methods]


@pytest.mark.parametrize(
    ("route", "method"),
    ROUTE_METHODS,
    ids=[f"{method} {route.label}" for route, method in ROUTE_METHODS],
)
def test_route_answers_each_role_as_the_matrix_says(world, security_log, writes, route, method):
    problems = []
    for cell in matrix.exercised(route, method):
        problems += check(world, cell, security_log, writes)
    assert not problems, "\n".join(problems)


# --- completeness ----------------------------------------------------------------------


def resolver_routes() -> list[tuple[str, str]]:
    """(URL name, pattern) of every pattern of the resolver, with namespaces."""
    found = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), full)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or ""
                found.append(
                    (f"{namespace}:{name}" if namespace else name, prefix + str(pattern.pattern))
                )

    walk(get_resolver().url_patterns, "", "")
    return found


#: DRF's format-suffix twin of an API pattern (`reports.json`) runs the same view as the plain
#: pattern, which the table holds.
FORMAT_SUFFIX = re.compile(r"\\\.\(\?P<format>|<drf_format_suffix:format>")


def covered_by_admin_group(name: str) -> bool:
    """The admin's other pages pass the same gate as its index (see matrix.ADMIN), provided
    the table lists every registered model."""
    if not name.startswith("admin:"):
        return False
    registered = sorted(model._meta.label_lower for model in admin.site._registry)
    return registered == sorted(matrix.ADMIN_MODELS)


def routes_missing_from(routes: list[matrix.Route]) -> list[str]:
    """URL patterns of the resolver that no entry of `routes` names."""
    table = {route.name for route in routes}
    return sorted(
        f"{name} ({pattern})"
        for name, pattern in resolver_routes()
        if name not in table
        and not covered_by_admin_group(name)
        and not FORMAT_SUFFIX.search(pattern)
    )


@functools.cache
def openapi_operations() -> tuple[tuple[str, str, str], ...]:
    """(method, path, URL name) of every operation of the OpenAPI schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return tuple(
        (method.upper(), path, resolve(re.sub(r"\{[^}]+\}", "FRA", path)).url_name)
        for path, operations in schema["paths"].items()
        for method in operations
    )


def endpoints_missing_from(routes: list[matrix.Route]) -> list[str]:
    table = {(route.name, method) for route in routes for method in route.methods}
    return [
        f"{method} {path} ({name})"
        for method, path, name in openapi_operations()
        if (name, method) not in table
    ]


def test_every_route_of_the_resolver_is_in_the_matrix():
    missing = routes_missing_from(matrix.ROUTES)
    assert not missing, "Add these routes to tests/security/matrix.py:\n" + "\n".join(missing)


def test_every_endpoint_of_the_openapi_schema_is_in_the_matrix():
    assert len(openapi_operations()) > 50
    missing = endpoints_missing_from(matrix.ROUTES)
    assert not missing, "Add these endpoints to tests/security/matrix.py:\n" + "\n".join(missing)


def test_a_route_or_endpoint_left_out_of_the_table_is_reported():
    """The two checks above do find what is missing."""
    left_out = {"healthz", "reporting:report-detail", "report-answers"}
    partial = [route for route in matrix.ROUTES if route.name not in left_out]
    assert [m.split(" ")[0] for m in routes_missing_from(partial)] == [
        "healthz",
        "report-answers",
        "reporting:report-detail",
    ]
    assert [m.split(" ")[0] for m in endpoints_missing_from(partial)] == ["PATCH"]


def test_the_write_counter_sees_a_write_that_a_savepoint_undid(world, writes):
    """A refused request that wrote and then rolled back is caught."""
    before = writes.read()
    with transaction.atomic():
        world.users["donor"].notifications.create(message="Written, then undone.")
        transaction.set_rollback(True)
    assert writes.changes(before, writes.read()) == {"core_notification": 1}
