"""Answers to questionnaire questions: validation, plain-text display, calculated values,
definition checks and upload checks, one small set of functions per question type.

`clean_answer()` is the single validator used by the report form, the API and the spreadsheet
import (STYLE.md, "Questions and answers"), so an answer accepted by one is accepted by all. The
functions of each type are registered in `_TYPES` in `registry`; every message is in
`MESSAGES`, keyed by the error code callers see. Nothing here touches the database: the
report pages promise a query count that does not grow with the number of questions.

The modules: `answers` (shared helpers, `MESSAGES` and the simple types), `composite`
(contact, table, files and calculated values), `definitions` (definition checks), `uploads`
(uploaded files) and `registry` (the types, and the functions that dispatch on them).
Import from this package, not from its modules.
"""

from reporting.questions.answers import (
    MAX_INTEGER_DIGITS,
    MESSAGES,
    TEXT_MAX_LENGTH,
    YES_NO_LABELS,
    YES_NO_VALUES,
    is_empty,
)
from reporting.questions.composite import (
    CONTACT_ADDRESS_MAX_LENGTH,
    CONTACT_FIELDS,
    CONTACT_LABELS,
    CONTACT_MAX_LENGTH,
    MAX_FILES,
    TABLE_MAX_ROWS,
    URL_MAX_LENGTH,
    compute_derived,
)
from reporting.questions.definitions import (
    DERIVED_FORMULAS,
    MAX_DECIMAL_PLACES,
    TABLE_COLUMN_TYPES,
)
from reporting.questions.registry import (
    clean_answer,
    display_value,
    validate_definition,
)
from reporting.questions.uploads import (
    FILE_KINDS,
    ZIP_MAX_MEMBERS,
    ZIP_MAX_RATIO,
    ZIP_MAX_UNCOMPRESSED_BYTES,
    check_upload,
)

__all__ = [
    "CONTACT_ADDRESS_MAX_LENGTH",
    "CONTACT_FIELDS",
    "CONTACT_LABELS",
    "CONTACT_MAX_LENGTH",
    "DERIVED_FORMULAS",
    "FILE_KINDS",
    "MAX_DECIMAL_PLACES",
    "MAX_FILES",
    "MAX_INTEGER_DIGITS",
    "MESSAGES",
    "TABLE_COLUMN_TYPES",
    "TABLE_MAX_ROWS",
    "TEXT_MAX_LENGTH",
    "URL_MAX_LENGTH",
    "YES_NO_LABELS",
    "YES_NO_VALUES",
    "ZIP_MAX_MEMBERS",
    "ZIP_MAX_RATIO",
    "ZIP_MAX_UNCOMPRESSED_BYTES",
    "check_upload",
    "clean_answer",
    "compute_derived",
    "display_value",
    "is_empty",
    "validate_definition",
]
