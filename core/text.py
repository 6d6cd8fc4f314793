"""Free text that people type (messages, comments, notes): the one check every service runs
before storing it, whichever way it came (a page's form, the API, a plain POST).

PostgreSQL cannot store NUL in text, and a lone surrogate cannot be encoded at all: either
would fail the request with a server error after the work was done. Other control characters
have no place in typed text and only hide content. The column types do not limit length, so
the limit is checked here too.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import WorkflowError

# C0 controls but tab and line breaks, DEL, C1 controls, lone surrogates.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str, *, max_length: int) -> str:
    """`value` without surrounding white space. Raises WorkflowError (code "invalid") when
    it holds a character that is not allowed in text or is longer than `max_length`."""
    text = str(value).strip()
    forbidden = _FORBIDDEN.search(text)
    if forbidden:
        raise WorkflowError(
            _("The text contains a character that is not allowed (U+%(char)s).")
            % {"char": f"{ord(forbidden.group()):04X}"},
            code="invalid",
        )
    if len(text) > max_length:
        raise WorkflowError(
            ngettext(
                "Ensure this text has at most %(max)d character (it has %(length)d).",
                "Ensure this text has at most %(max)d characters (it has %(length)d).",
                max_length,
            )
            % {"max": max_length, "length": len(text)},
            code="invalid",
        )
    return text
