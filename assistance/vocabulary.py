"""Reading the free-text theme and type that States write in their report's needs table.

A cell matches a theme or type when, once normalised, it equals the value, its label in any
of the six languages (the same words as the questionnaire's options), or a known short form;
anything else is "other" (themes) or "technical" (types), and the description keeps the text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from django.conf import settings
from django.utils import translation

from assistance.models import AssistanceType, Theme

ALIASES = {
    "ddr": Theme.DDR,
    "stockpile management": Theme.STOCKPILE_MANAGEMENT,
    "stockpile security": Theme.STOCKPILE_MANAGEMENT,
    "pssm": Theme.STOCKPILE_MANAGEMENT,
    "border control": Theme.BORDER_CONTROL,
    "customs": Theme.BORDER_CONTROL,
    "brokering": Theme.BROKERING,
    "destruction": Theme.COLLECTION_DESTRUCTION,
    "gender": Theme.GENDER,
    "sdg 16.4.2": Theme.DATA_SDG,
    "data collection": Theme.DATA_SDG,
    "reporting": Theme.REPORT_PREPARATION,
}


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w.]+", " ", text).split())


def _labels(choices: type) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            lookup.update({normalise(str(c.label)): c.value for c in choices})
    lookup.update({normalise(value.replace("_", " ")): value for value in choices.values})
    return lookup


@lru_cache(maxsize=1)
def _theme_lookup() -> dict[str, str]:
    return {**_labels(Theme), **ALIASES}


@lru_cache(maxsize=1)
def _kind_lookup() -> dict[str, str]:
    return _labels(AssistanceType)


def theme_from_text(text: str) -> str:
    return _theme_lookup().get(normalise(text), Theme.OTHER)


def kind_from_text(text: str) -> str:
    return _kind_lookup().get(normalise(text), AssistanceType.TECHNICAL)
