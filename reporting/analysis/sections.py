"""The sections of the analysis, in one registry that drives both the statistics pages and
the meeting document.

Reporting registers its own sections (reporting figures, measures by questionnaire section,
highlights); tracing and assistance register theirs in their AppConfig.ready(), as they
listen to `report_published`: reporting knows nothing of them. A section is a context
builder and one template; the template renders for the web and for the PDF (`pdf` is true
in the context then), and shows its tables with `reporting/analysis/_table.html`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Table:
    """A table of figures: shown as an accessible HTML table, downloadable as CSV."""

    slug: str
    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class AnalysisSection:
    key: str
    order: int
    title: str | Promise
    #: (cycle, staff) → template context; `staff` true for the staff edition (restricted
    #: reports included), false for everything public. The context may hold `tables`.
    #: A `per_state` section's builder also takes `states=` (ISO3 codes of its chunk).
    context: Callable[..., dict[str, Any]]
    template: str
    #: Annexes come after the sections in the document, and are not on the web pages.
    annex: bool = False
    #: For State profiles: the context builder takes a list of States (chunking).
    per_state: bool = False


_REGISTRY: dict[str, AnalysisSection] = {}


def register(section: AnalysisSection) -> None:
    _REGISTRY[section.key] = section


def registered() -> list[AnalysisSection]:
    """Sections first, then annexes, each in their order."""
    return sorted(_REGISTRY.values(), key=lambda s: (s.annex, s.order, s.key))


def get(key: str) -> AnalysisSection:
    return _REGISTRY[key]
