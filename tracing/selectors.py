"""Reads of the directory, with the fields each reader may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.models import User
from tracing.models import CONTACT_FIELDS, ContactPoint, MarkingPractice
from tracing.permissions import sees_all_contact_fields


def directory(
    user: User, *, text: str = "", region: str = "", group: str = "", kind: str = ""
) -> list[ContactPoint]:
    """Every State's contacts (the directory is public; fields are filtered on display).
    A text search looks only at what this reader may see: a hidden e-mail address is not a
    search handle. The directory holds a few hundred rows, so the search runs in Python."""
    contacts: QuerySet[ContactPoint] = ContactPoint.objects.select_related("state").order_by(
        "state__name", "kind"
    )
    if region:
        contacts = contacts.filter(state__region=region)
    if group:
        contacts = contacts.filter(state__regional_group=group)
    if kind:
        contacts = contacts.filter(kind=kind)
    needle = text.strip().casefold()
    if not needle:
        return list(contacts)
    return [c for c in contacts if needle in _searchable(user, c)]


def _searchable(user: User, contact: ContactPoint) -> str:
    values = [contact.state.name, contact.state.localized_name()]
    values += [
        str(v) for k, v in visible_contact(user, contact).items() if k != "working_languages"
    ]
    return " ".join(values).casefold()


def visible_field_names(user: User, contact: ContactPoint) -> tuple[str, ...]:
    """All fields for officials and UNODA; for others, the ones the State made public."""
    if sees_all_contact_fields(user):
        return CONTACT_FIELDS
    return tuple(name for name in CONTACT_FIELDS if name in contact.public_fields)


def visible_contact(user: User, contact: ContactPoint) -> dict:
    """The contact as this reader may see it (hidden fields left out)."""
    return {name: getattr(contact, name) for name in visible_field_names(user, contact)}


def marking_catalogue(user: User, *, text: str = "", region: str = "") -> QuerySet[MarkingPractice]:
    """Marking practices readers may see, searchable by country code or import mark
    ("which State uses this mark?")."""
    practices = MarkingPractice.objects.select_related("state").order_by("state__name")
    if not sees_all_contact_fields(user):
        practices = practices.filter(is_public=True)
    if region:
        practices = practices.filter(state__region=region)
    # NUL cannot be in stored text (nor sent to PostgreSQL): it never matches, so it goes.
    needle = text.replace("\x00", "").strip()
    if needle:
        practices = practices.filter(
            Q(country_code__icontains=needle)
            | Q(import_mark_format__icontains=needle)
            | Q(state__name__icontains=needle)
            | Q(state__iso3__iexact=needle)
        )
    return practices
