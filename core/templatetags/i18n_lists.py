"""Lists written as the active language writes them: `{{ names|as_list }}`."""

from collections.abc import Iterable

from django import template

from core.i18n import format_list

register = template.Library()


@register.filter
def as_list(items: Iterable[object], style: str = "standard") -> str:
    """The items as the active language writes a list ("a, b and c", "a وb وc"…);
    `|as_list:"or"` for alternatives."""
    return format_list(items, style=style)
