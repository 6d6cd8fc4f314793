"""Helpers for content stored per language (names, question text) and CLDR look-ups."""

from collections.abc import Iterable
from functools import lru_cache

from babel import Locale, lists
from django.conf import settings
from django.utils.translation import get_language, pgettext


def current_language() -> str:
    """The active language code, one of settings.LANGUAGE_CODES."""
    code = (get_language() or settings.LANGUAGE_CODE).lower()
    return code if code in settings.LANGUAGE_CODES else settings.LANGUAGE_CODE


def babel_locale_name(language: str) -> str:
    """Django language code → Babel locale name ('zh-hans' → 'zh_Hans')."""
    return "zh_Hans" if language == "zh-hans" else language


def pick(values: dict[str, str] | None, language: str | None = None) -> str:
    """The text for `language` from a {language: text} mapping, falling back to English."""
    if not values:
        return ""
    language = language or current_language()
    return values.get(language) or values.get(settings.LANGUAGE_CODE) or ""


@lru_cache(maxsize=16)
def _territories(language: str) -> dict[str, str]:
    return Locale.parse(babel_locale_name(language)).territories


def region_name(m49_code: str, language: str | None = None) -> str:
    """CLDR name of a UN M49 region code such as '002' (Africa), in the given language."""
    if not m49_code:
        return ""
    return _territories(language or current_language()).get(m49_code, m49_code)


def format_list(items: Iterable[object], *, style: str = "standard", language: str = "") -> str:
    """Items joined as the language writes a list (CLDR, through Babel): "a, b and c",
    "a, b et c", "a وb وc", "a、b和c". `style="or"` for alternatives ("a, b or c"). Never
    join translated items with a hard-coded ", ": Arabic and Chinese use other commas."""
    locale = babel_locale_name(language or current_language())
    return lists.format_list([str(item) for item in items], style=style, locale=locale)


def list_separator() -> str:
    """What separates the parts of one line (a contact's name, position, address…) in the
    active language: ", " in English, "، " in Arabic, "，" in Chinese."""
    return pgettext("separator between the parts of one line", ", ")
