"""Answer validation, display, calculated values, definition checks and upload checks
(reporting.questions). Questions are built in memory: nothing here needs the database."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import translation

from reporting.models import Question
from reporting.questions import (
    check_upload,
    clean_answer,
    compute_derived,
    display_value,
    is_empty,
    validate_definition,
)

OPTIONS = [
    {"value": "a", "label": {"en": "Alpha", "fr": "Alpha (fr)"}},
    {"value": "b", "label": {"en": "Beta"}},
    {"value": "c", "label": {"en": "Gamma", "fr": "Gamma (fr)"}},
]
COLUMNS = [
    {"key": "seized", "label": {"en": "Date", "fr": "Date (fr)"}, "type": "date", "required": True},
    {"key": "qty", "label": {"en": "Quantity", "fr": "Quantité"}, "type": "number"},
    {"key": "note", "label": {"en": "Note"}, "type": "text", "max_length": 10},
    {"key": "source", "label": {"en": "Source"}, "type": "url"},
    {"key": "details", "label": {"en": "Details"}, "type": "long_text"},
]
ALL_TYPES = [choice.value for choice in Question.Type]


def make(type_: str, *, key: str = "q", **fields: Any) -> Question:
    fields.setdefault("text", {"en": "A question?"})
    return Question(key=key, type=type_, **fields)


def invalid(question: Question, value: Any, **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        clean_answer(question, value, **kwargs)
    return caught.value


def assert_error(error: ValidationError, code: str, message: str) -> None:
    assert (error.code, error.messages) == (code, [message])


# --- Empty values ----------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ALL_TYPES)
@pytest.mark.parametrize("value", [None, "", "   ", [], {}])
def test_empty_values_clean_to_none_for_every_type(type_, value):
    assert clean_answer(make(type_, options=OPTIONS, config={"columns": COLUMNS}), value) is None


@pytest.mark.parametrize("value", [None, "", " \n\t", [], {}, ()])
def test_is_empty_for_blank_values(value):
    assert is_empty(value) is True


@pytest.mark.parametrize("value", [0, 0.0, False, "0", "no", [""], {"name": ""}])
def test_is_empty_is_false_for_values_that_carry_an_answer(value):
    assert is_empty(value) is False


def test_unknown_type_is_a_programming_error():
    with pytest.raises(ValueError, match="slider"):
        clean_answer(make("slider"), "x")


# --- Yes / no and choices --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["yes", "no", "in_development"])
def test_yes_no_accepts_its_three_values(value):
    assert clean_answer(make("yes_no"), value) == value


@pytest.mark.parametrize(
    ("value", "code"), [("Yes", "invalid_choice"), ("maybe", "invalid_choice"), (1, "invalid_type")]
)
def test_yes_no_rejects_other_values(value, code):
    assert_error(invalid(make("yes_no"), value), code, "Answer “yes”, “no” or “in_development”.")


def test_yes_no_rejects_a_boolean_as_wrong_type():
    assert invalid(make("yes_no"), True).code == "invalid_type"


def test_single_choice_accepts_an_option_value():
    assert clean_answer(make("single_choice", options=OPTIONS), "b") == "b"


def test_single_choice_rejects_an_unknown_value():
    error = invalid(make("single_choice", options=OPTIONS), "z")
    assert_error(error, "invalid_choice", "“z” is not one of the available options.")


def test_single_choice_rejects_a_list():
    error = invalid(make("single_choice", options=OPTIONS), ["a"])
    assert_error(error, "invalid_type", "Select one option, given as its value.")


def test_single_choice_cuts_a_huge_value_in_its_message():
    error = invalid(make("single_choice", options=OPTIONS), "x" * 5000)
    assert error.messages == [f"“{'x' * 79}…” is not one of the available options."]


def test_multiple_choice_follows_option_order_and_drops_repeats():
    assert clean_answer(make("multiple_choice", options=OPTIONS), ["c", "a", "c"]) == ["a", "c"]


@pytest.mark.parametrize("value", ["a", [1], ["a", None], {"a": True}])
def test_multiple_choice_rejects_anything_but_a_list_of_strings(value):
    error = invalid(make("multiple_choice", options=OPTIONS), value)
    assert_error(error, "invalid_type", "Select options as a list of option values.")


def test_multiple_choice_rejects_an_unknown_value():
    error = invalid(make("multiple_choice", options=OPTIONS), ["a", "zz"])
    assert_error(error, "invalid_choice", "“zz” is not one of the available options.")


def test_multiple_choice_enforces_min_and_max_selected():
    question = make(
        "multiple_choice", options=OPTIONS, config={"min_selected": 2, "max_selected": 2}
    )
    assert clean_answer(question, ["b", "a"]) == ["a", "b"]
    assert_error(invalid(question, ["a", "a"]), "min_selected", "Select at least 2 options.")
    assert_error(
        invalid(question, ["a", "b", "c"]), "max_selected", "Select no more than 2 options."
    )


def test_multiple_choice_max_selected_message_is_singular_for_one():
    question = make("multiple_choice", options=OPTIONS, config={"max_selected": 1})
    assert invalid(question, ["a", "b"]).messages == ["Select no more than 1 option."]


# --- Text ------------------------------------------------------------------------------------


def test_short_text_is_stripped():
    assert clean_answer(make("short_text"), "  Ministry of Defence \n") == "Ministry of Defence"


def test_short_text_default_limit_is_500_characters():
    question = make("short_text")
    assert clean_answer(question, "x" * 500) == "x" * 500
    error = invalid(question, "x" * 501)
    assert_error(error, "max_length", "Ensure this text has at most 500 characters (it has 501).")


def test_text_limit_comes_from_config():
    error = invalid(make("short_text", config={"max_length": 1}), "ab")
    assert error.messages == ["Ensure this text has at most 1 character (it has 2)."]


def test_short_text_must_be_one_line():
    assert_error(
        invalid(make("short_text"), "a\nb"), "multiline", "Enter the text on a single line."
    )
    assert invalid(make("short_text"), "a\rb").code == "multiline"


@pytest.mark.parametrize(
    ("text", "code_point"),
    [
        ("a\x00b", "0000"),
        ("a\tb", "0009"),
        ("a\x1bb", "001B"),
        ("a\x85b", "0085"),
        ("a\ud800", "D800"),
    ],
)
def test_short_text_rejects_control_characters(text, code_point):
    error = invalid(make("short_text"), text)
    message = f"The text contains a character that is not allowed (U+{code_point})."
    assert_error(error, "control_character", message)


def test_long_text_keeps_tabs_and_normalises_line_breaks():
    value = "  Line one\r\nLine two\rLine three\n\tIndented  "
    assert clean_answer(make("long_text"), value) == "Line one\nLine two\nLine three\n\tIndented"


@pytest.mark.parametrize(("text", "code_point"), [("a\x00b", "0000"), ("a\x0bb", "000B")])
def test_long_text_rejects_other_control_characters(text, code_point):
    error = invalid(make("long_text"), text)
    assert error.messages == [
        f"The text contains a character that is not allowed (U+{code_point})."
    ]


def test_long_text_default_limit_is_20000_characters():
    question = make("long_text")
    assert len(clean_answer(question, "x" * 20000)) == 20000
    assert invalid(question, "x" * 20001).code == "max_length"


@pytest.mark.parametrize("type_", ["short_text", "long_text"])
def test_text_rejects_non_strings(type_):
    assert_error(invalid(make(type_), 12), "invalid_type", "Enter text.")


# --- Numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(42, 42), ("1234", 1234), (" 7 ", 7), (12.0, 12), ("12.0", 12), ("-0", 0), ("+3", 3)],
)
def test_integer_answers_are_stored_as_int(value, expected):
    result = clean_answer(make("number"), value)
    assert result == expected
    assert type(result) is int


def test_integer_question_rejects_a_fraction():
    assert_error(invalid(make("number"), "12.5"), "not_integer", "Enter a whole number.")
    assert invalid(make("number"), 12.5).code == "not_integer"


@pytest.mark.parametrize(
    "value", ["1 234", "1,234", "1e3", "abc", "12.5.1", "+", ".", "NaN", "Infinity", "0x10"]
)
def test_number_rejects_text_that_is_not_a_plain_number(value):
    error = invalid(make("number", config={"integer": False}), value)
    message = (
        "Enter a number using digits and a full stop for decimals, without spaces or thousands "
        "separators."
    )
    assert_error(error, "invalid_number", message)


@pytest.mark.parametrize("value", [True, False, [1], {"n": 1}])
def test_number_rejects_wrong_types_and_booleans(value):
    assert_error(invalid(make("number"), value), "invalid_type", "Enter a number.")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), Decimal("NaN")])
def test_number_rejects_nan_and_infinity(value):
    assert_error(invalid(make("number"), value), "not_finite", "Enter a finite number.")


@pytest.mark.parametrize("value", [10**15, -(10**15), 10**400, "1000000000000000"])
def test_number_rejects_more_than_15_integer_digits(value):
    error = invalid(make("number"), value)
    message = "Enter a number with no more than 15 digits before the decimal point."
    assert_error(error, "max_digits", message)


def test_number_accepts_15_integer_digits():
    assert clean_answer(make("number"), "999999999999999") == 999_999_999_999_999


def test_number_accepts_digits_of_other_scripts():
    assert clean_answer(make("number"), "١٢٣") == 123


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.5", "12.50"),
        (12.5, "12.50"),
        (0.1, "0.10"),
        ("12.500", "12.50"),
        (3, "3.00"),
        (Decimal("3.14"), "3.14"),
        ("-0.00", "0.00"),
        (".5", "0.50"),
    ],
)
def test_decimal_answers_are_canonical_strings(value, expected):
    assert clean_answer(make("number", config={"integer": False}), value) == expected


def test_decimal_answers_are_never_rounded():
    error = invalid(make("number", config={"integer": False}), "12.555")
    message = "Enter a number with no more than 2 decimal places."
    assert_error(error, "max_decimal_places", message)


def test_decimal_places_come_from_config():
    question = make("number", config={"integer": False, "decimal_places": 1})
    assert clean_answer(question, "7") == "7.0"
    assert invalid(question, "7.25").messages == [
        "Enter a number with no more than 1 decimal place."
    ]


def test_number_bounds():
    question = make("number", config={"min": 0, "max": 100})
    assert clean_answer(question, 100) == 100
    assert clean_answer(question, 0) == 0
    assert_error(invalid(question, -1), "min_value", "Enter a number no less than 0.")
    assert_error(invalid(question, "101"), "max_value", "Enter a number no greater than 100.")


def test_decimal_bounds_compare_exactly():
    question = make("number", config={"integer": False, "max": "99.5"})
    assert clean_answer(question, "99.50") == "99.50"
    assert invalid(question, "99.51").messages == ["Enter a number no greater than 99.5."]


# --- Dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-29", "2024-02-29"),
        (" 2024-01-05 ", "2024-01-05"),
        (date(2024, 1, 5), "2024-01-05"),
        (datetime(2024, 1, 5), "2024-01-05"),
    ],
)
def test_date_answers_are_iso_strings(value, expected):
    assert clean_answer(make("date"), value) == expected


@pytest.mark.parametrize(
    "value", ["2023-02-29", "20240101", "2024-1-5", "05/01/2024", "2024-01-05T00:00"]
)
def test_date_rejects_invalid_or_non_iso_text(value):
    error = invalid(make("date"), value)
    assert_error(error, "invalid_date", "Enter a valid date in the format YYYY-MM-DD.")


def test_date_rejects_wrong_types():
    assert_error(
        invalid(make("date"), 20240101), "invalid_type", "Enter a date in the format YYYY-MM-DD."
    )


def test_date_rejects_a_datetime_with_a_time():
    error = invalid(make("date"), datetime(2024, 1, 5, 13, 30))
    assert_error(error, "invalid_type", "Enter a date without a time.")


def test_date_bounds():
    question = make("date", config={"min": "2020-01-01", "max": "2020-12-31"})
    assert clean_answer(question, "2020-12-31") == "2020-12-31"
    error = invalid(question, "2019-12-31")
    assert_error(error, "min_date", "Enter a date no earlier than 2020-01-01.")
    assert_error(
        invalid(question, "2021-01-01"), "max_date", "Enter a date no later than 2020-12-31."
    )


# --- Contact ---------------------------------------------------------------------------------


def test_contact_is_stripped_ordered_and_blanks_dropped():
    value = {
        "email": " jane@example.org ",
        "phone": "",
        "name": "Jane Doe",
        "address": "1 Road\r\nCity",
        "title": None,
    }
    assert clean_answer(make("contact"), value) == {
        "name": "Jane Doe",
        "address": "1 Road\nCity",
        "email": "jane@example.org",
    }


def test_contact_with_only_blank_fields_is_empty():
    assert clean_answer(make("contact"), {"name": "  ", "email": "", "phone": None}) is None


def test_contact_rejects_an_unknown_field_by_name():
    error = invalid(make("contact"), {"name": "Jane", "fax": "123"})
    assert_error(error, "unknown_field", "“fax” is not a contact field.")


def test_contact_validates_the_email_address():
    error = invalid(make("contact"), {"email": "jane@"})
    assert_error(error, "invalid", "E-mail: Enter a valid email address.")


def test_contact_field_lengths():
    question = make("contact")
    assert clean_answer(question, {"name": "n" * 300, "address": "a" * 1000}) == {
        "name": "n" * 300,
        "address": "a" * 1000,
    }
    error = invalid(question, {"name": "n" * 301})
    message = "Name: Ensure this text has at most 300 characters (it has 301)."
    assert_error(error, "max_length", message)
    assert invalid(question, {"address": "a" * 1001}).messages == [
        "Postal address: Ensure this text has at most 1000 characters (it has 1001)."
    ]


def test_contact_reports_every_problem_at_once():
    error = invalid(make("contact"), {"fax": "1", "email": "x", "phone": 5})
    assert error.messages == [
        "“fax” is not a contact field.",
        "E-mail: Enter a valid email address.",
        "Telephone: Enter text.",
    ]
    assert [e.code for e in error.error_list] == ["unknown_field", "invalid", "invalid_type"]


def test_contact_must_be_a_mapping():
    error = invalid(make("contact"), "Jane Doe")
    assert_error(error, "invalid_type", "Enter the contact details as named fields.")


# --- Tables ----------------------------------------------------------------------------------


def table(**config: Any) -> Question:
    return make("table", config={"columns": COLUMNS, **config})


def test_table_rows_are_normalised_and_blank_rows_dropped():
    value = [
        {"seized": " 2024-01-05 ", "qty": "5", "note": " ok ", "source": "https://example.org/a"},
        {"seized": "", "qty": None, "note": "  "},
        {"seized": "2024-02-01", "details": "Line\r\nnext"},
    ]
    assert clean_answer(table(), value) == [
        {"seized": "2024-01-05", "qty": 5, "note": "ok", "source": "https://example.org/a"},
        {"seized": "2024-02-01", "details": "Line\nnext"},
    ]


def test_table_of_blank_rows_is_empty():
    assert clean_answer(table(), [{"seized": ""}, {}]) is None


def test_table_names_row_and_column_of_a_missing_required_cell():
    error = invalid(table(), [{}, {"qty": 3}])
    assert_error(error, "required", "Row 2: “Date” is required.")


def test_table_rejects_an_unknown_column():
    error = invalid(table(), [{"seized": "2024-01-05", "colour": "red"}])
    assert_error(error, "unknown_column", "Row 1: “colour” is not a column of this table.")


def test_table_rejects_an_unknown_column_even_when_blank():
    error = invalid(table(), [{"colour": ""}])
    assert_error(error, "unknown_column", "Row 1: “colour” is not a column of this table.")


@pytest.mark.parametrize("url", ["ftp://example.org/file", "javascript:alert(1)", "example.org"])
def test_table_url_cells_must_be_http_or_https(url):
    error = invalid(table(), [{"seized": "2024-01-05", "source": url}])
    message = "Row 1, “Source”: Enter a valid web address starting with http:// or https://."
    assert_error(error, "invalid_url", message)


def test_table_cell_errors_keep_the_cell_code():
    error = invalid(table(), [{"seized": "2024-01-05", "qty": [1]}])
    assert_error(error, "invalid_type", "Row 1, “Quantity”: Enter a number.")


def test_table_column_max_length():
    error = invalid(table(), [{"seized": "2024-01-05", "note": "x" * 11}])
    message = "Row 1, “Note”: Ensure this text has at most 10 characters (it has 11)."
    assert_error(error, "max_length", message)


def test_table_reports_every_problem_at_once():
    error = invalid(table(), [{"qty": "x"}, {"seized": "2024-13-01"}])
    assert error.messages == [
        "Row 1: “Date” is required.",
        "Row 1, “Quantity”: Enter a number using digits and a full stop for decimals, without "
        "spaces or thousands separators.",
        "Row 2, “Date”: Enter a valid date in the format YYYY-MM-DD.",
    ]


def test_table_default_limit_is_100_rows():
    rows = [{"seized": "2024-01-05"}] * 100
    assert len(clean_answer(table(), rows)) == 100
    error = invalid(table(), [*rows, {"seized": "2024-01-06"}])
    assert_error(error, "max_rows", "Enter no more than 100 rows.")


def test_table_max_rows_counts_non_blank_rows():
    assert clean_answer(table(max_rows=1), [{}, {"seized": "2024-01-05"}, {}]) == [
        {"seized": "2024-01-05"}
    ]
    assert invalid(table(max_rows=1), [{"seized": "2024-01-05"}] * 2).messages == [
        "Enter no more than 1 row."
    ]


def test_table_must_be_a_list_of_mappings():
    assert_error(
        invalid(table(), {"seized": "2024-01-05"}),
        "invalid_type",
        "Enter the table as a list of rows.",
    )
    error = invalid(table(), ["2024-01-05"])
    assert_error(error, "invalid_type", "Row 1: enter the row as named column values.")


# --- Files and calculated values -------------------------------------------------------------


def test_file_answer_keeps_known_tokens_once_in_order():
    question = make("file")
    value = ["t2", "t1", "t2"]
    assert clean_answer(question, value, attachments={"t1", "t2", "t3"}) == ["t2", "t1"]


def test_file_answer_rejects_a_token_not_uploaded_for_the_question():
    error = invalid(make("file"), ["t1", "other"], attachments=["t1"])
    message = "The file “other” was not uploaded for this question. Upload it again."
    assert_error(error, "unknown_attachment", message)


def test_file_answer_without_attachments_accepts_no_token():
    assert invalid(make("file"), ["t1"]).code == "unknown_attachment"


def test_file_answer_default_limit_is_10_files():
    tokens = [f"t{n}" for n in range(11)]
    assert clean_answer(make("file"), tokens[:10], attachments=tokens) == tokens[:10]
    error = invalid(make("file"), tokens, attachments=tokens)
    assert_error(error, "max_files", "Attach no more than 10 files.")
    one = make("file", config={"max_files": 1})
    assert invalid(one, tokens[:2], attachments=tokens).messages == ["Attach no more than 1 file."]


@pytest.mark.parametrize("value", ["t1", [1], [["t1"]]])
def test_file_answer_must_be_a_list_of_tokens(value):
    error = invalid(make("file"), value, attachments={"t1"})
    assert_error(error, "invalid_type", "Enter the files as a list of upload tokens.")


@pytest.mark.parametrize("value", ["12.5", 0, ["1"]])
def test_derived_values_cannot_be_entered(value):
    message = "This value is calculated from other answers and cannot be entered."
    assert_error(invalid(make("derived"), value), "derived", message)


# --- Display ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("yes", "Yes"), ("no", "No"), ("in_development", "In development")]
)
def test_display_yes_no_words(value, expected):
    assert display_value(make("yes_no"), value, "en") == expected


def test_display_choices_in_the_requested_language_falling_back_to_english():
    single = make("single_choice", options=OPTIONS)
    multiple = make("multiple_choice", options=OPTIONS)
    assert display_value(single, "a", "fr") == "Alpha (fr)"
    assert display_value(single, "b", "fr") == "Beta"
    assert display_value(multiple, ["a", "b", "c"], "en") == "Alpha; Beta; Gamma"
    assert display_value(multiple, ["a", "c"], "fr") == "Alpha (fr); Gamma (fr)"


def test_display_uses_the_active_language_by_default():
    with translation.override("fr"):
        assert display_value(make("single_choice", options=OPTIONS), "a") == "Alpha (fr)"


def test_display_unknown_option_shows_its_value():
    assert display_value(make("single_choice", options=OPTIONS), "gone", "en") == "gone"


@pytest.mark.parametrize(
    ("type_", "value", "expected"),
    [
        ("short_text", "Ministry", "Ministry"),
        ("long_text", "One\nTwo", "One\nTwo"),
        ("number", 12, "12"),
        ("number", "12.50", "12.50"),
        ("date", "2024-01-05", "2024-01-05"),
        ("derived", "33.3", "33.3"),
    ],
)
def test_display_plain_values(type_, value, expected):
    assert display_value(make(type_), value, "en") == expected


def test_display_contact_on_one_line():
    value = {
        "title": "Ms",
        "name": "Jane Doe",
        "position": "Director",
        "organisation": "Ministry",
        "address": "1 Road\n\nCity",
        "phone": "+1 555",
        "email": "jane@example.org",
    }
    expected = "Ms Jane Doe, Director, Ministry, 1 Road, City, +1 555, jane@example.org"
    assert display_value(make("contact"), value, "en") == expected
    assert display_value(make("contact"), {"organisation": "Ministry"}, "en") == "Ministry"


def test_display_table_one_row_per_line_with_labels_in_language():
    value = [
        {"seized": "2024-01-05", "qty": 5},
        {"seized": "2024-02-01", "details": "Line\nnext"},
    ]
    question = table()
    assert display_value(question, value, "en") == (
        "Date: 2024-01-05; Quantity: 5\nDate: 2024-02-01; Details: Line next"
    )
    assert display_value(question, value[:1], "fr") == "Date (fr): 2024-01-05; Quantité: 5"


def test_display_files_as_a_count():
    assert display_value(make("file"), ["t1"], "en") == "1 file attached"
    assert display_value(make("file"), ["t1", "t2"], "en") == "2 files attached"


@pytest.mark.parametrize("type_", ALL_TYPES)
def test_display_empty_answer_is_blank(type_):
    assert display_value(make(type_), None, "en") == ""


def test_display_survives_values_saved_under_an_older_definition():
    assert display_value(table(), "legacy text", "en") == "legacy text"
    assert display_value(make("multiple_choice", options=OPTIONS), 5, "en") == "5"


# --- Calculated values -----------------------------------------------------------------------


def ratio(**config: Any) -> Question:
    return make(
        "derived", config={"formula": "ratio", "numerator": "n", "denominator": "d", **config}
    )


def test_ratio_as_percentage():
    question = ratio(percent=True, decimal_places=1)
    assert compute_derived(question, {"n": 1, "d": 3}) == "33.3"
    assert compute_derived(question, {"n": 2, "d": 3}) == "66.7"


def test_ratio_defaults_to_two_places_rounded_half_up():
    assert compute_derived(ratio(), {"n": 2, "d": 3}) == "0.67"
    assert compute_derived(ratio(), {"n": 1, "d": 8}) == "0.13"
    assert compute_derived(ratio(), {"n": "12.50", "d": "2"}) == "6.25"
    assert compute_derived(ratio(), {"n": 0, "d": 5}) == "0.00"


@pytest.mark.parametrize(
    "answers",
    [
        {"n": 1, "d": 0},
        {"n": 1, "d": "0.00"},
        {"d": 4},
        {"n": 1},
        {"n": None, "d": 2},
        {"n": "", "d": 2},
    ],
)
def test_ratio_is_none_without_inputs_or_with_zero_denominator(answers):
    assert compute_derived(ratio(), answers) is None


@pytest.mark.parametrize("answers", [{"n": "abc", "d": 2}, {"n": True, "d": 2}, {"n": [1], "d": 2}])
def test_ratio_is_none_when_an_input_is_not_a_number(answers):
    assert compute_derived(ratio(), answers) is None


def test_sum_keeps_the_places_of_its_inputs():
    question = make("derived", config={"formula": "sum", "keys": ["a", "b", "c"]})
    assert compute_derived(question, {"a": 1, "b": 2, "c": 3}) == "6"
    assert compute_derived(question, {"a": "1.5", "b": 2, "c": "0.25"}) == "3.75"
    assert compute_derived(question, {"a": -1, "b": 1, "c": 0}) == "0"


def test_sum_decimal_places_from_config():
    question = make("derived", config={"formula": "sum", "keys": ["a", "b"], "decimal_places": 2})
    assert compute_derived(question, {"a": 1, "b": 2}) == "3.00"


def test_sum_is_none_when_any_input_is_missing():
    question = make("derived", config={"formula": "sum", "keys": ["a", "b"]})
    assert compute_derived(question, {"a": 1}) is None
    assert compute_derived(make("derived", config={"formula": "sum", "keys": []}), {"a": 1}) is None


def test_unknown_formula_computes_nothing():
    assert compute_derived(make("derived", config={"formula": "mean"}), {"a": 1}) is None


# --- Definition checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "fields"),
    [
        ("yes_no", {}),
        ("single_choice", {"options": OPTIONS}),
        ("multiple_choice", {"options": OPTIONS, "config": {"min_selected": 1, "max_selected": 2}}),
        ("short_text", {"config": {"max_length": 100}}),
        ("long_text", {}),
        ("number", {"config": {"integer": False, "decimal_places": 1, "min": 0, "max": "99.5"}}),
        ("date", {"config": {"min": "2020-01-01", "max": "2020-12-31"}}),
        ("contact", {}),
        ("table", {"config": {"columns": COLUMNS, "max_rows": 20}}),
        ("file", {"config": {"accept": ["pdf", ".DOCX", "jpg"], "max_files": 2, "max_size_mb": 5}}),
        ("derived", {"config": {"formula": "ratio", "numerator": "a", "denominator": "b"}}),
        ("derived", {"config": {"formula": "sum", "keys": ["a", "b"], "decimal_places": 0}}),
    ],
)
def test_sound_definitions_have_no_problems(type_, fields):
    assert validate_definition(make(type_, **fields)) == []


def test_definition_unknown_type():
    assert validate_definition(make("slider")) == ["Unknown question type 'slider'."]


@pytest.mark.parametrize("type_", ["single_choice", "multiple_choice"])
def test_definition_choice_without_options(type_):
    assert validate_definition(make(type_, options=[])) == [f"A {type_} question needs options."]


def test_definition_choice_option_problems():
    options = [
        {"value": "a", "label": {"en": "A"}},
        {"label": {"en": "No value"}},
        {"value": "a", "label": {"en": "A again"}},
        {"value": "b", "label": {"fr": "B"}},
    ]
    assert validate_definition(make("single_choice", options=options)) == [
        "Option 2 has no value.",
        "The option value 'a' is used more than once.",
        "The option 'b' has no English label.",
    ]


def test_definition_multiple_choice_selection_limits():
    config = {"min_selected": 3, "max_selected": 2}
    assert validate_definition(make("multiple_choice", options=OPTIONS, config=config)) == [
        "'min_selected' is greater than 'max_selected'."
    ]


def test_definition_text_max_length_must_be_positive():
    assert validate_definition(make("short_text", config={"max_length": 0})) == [
        "'max_length' must be a whole number of at least 1."
    ]


def test_definition_number_problems():
    assert validate_definition(make("number", config={"min": 10, "max": 1})) == [
        "'min' is greater than 'max'."
    ]
    config = {"integer": "no", "decimal_places": 11, "min": "ten"}
    assert validate_definition(make("number", config=config)) == [
        "'integer' must be true or false.",
        "'decimal_places' must be at most 10.",
        "'min' must be a number.",
    ]
    assert validate_definition(make("number", config={"decimal_places": -1})) == [
        "'decimal_places' must be a whole number of at least 0."
    ]


def test_definition_date_problems():
    assert validate_definition(make("date", config={"min": "2021-01-01", "max": "2020-01-01"})) == [
        "'min' is later than 'max'."
    ]
    assert validate_definition(make("date", config={"max": "31/12/2020"})) == [
        "'max' must be a date written YYYY-MM-DD."
    ]


def test_definition_table_without_columns():
    assert validate_definition(make("table")) == ["A table question needs columns."]
    assert validate_definition(make("table", config={"columns": []})) == [
        "A table question needs columns."
    ]


def test_definition_table_column_problems():
    columns = [
        {"key": "a", "label": {"en": "A"}, "type": "text"},
        {"key": "a", "label": {"en": "A again"}, "type": "number", "min": 5, "max": 1},
        {"label": {"en": "No key"}},
        {"key": "c", "label": {"en": "C"}, "type": "colour"},
        {"key": "d", "label": {"fr": "D"}, "type": "url"},
    ]
    assert validate_definition(make("table", config={"columns": columns})) == [
        "The column key 'a' is used more than once.",
        "Column 'a': 'min' is greater than 'max'.",
        "Column 3 has no key.",
        "Column 'c': unknown column type 'colour'.",
        "Column 'd': no English label.",
    ]


def test_definition_file_problems():
    config = {"accept": ["pdf", "exe", "zip"], "max_files": 0, "max_size_mb": -1}
    assert validate_definition(make("file", config=config)) == [
        "'max_files' must be a whole number of at least 1.",
        "Unknown file kinds in 'accept': exe, zip (known kinds: pdf, png, jpeg, docx, xlsx, odt).",
        "'max_size_mb' must be a positive number.",
    ]
    assert validate_definition(make("file", config={"accept": "pdf"})) == [
        "'accept' must be a list of file kinds."
    ]


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({}, "The formula must be one of: ratio, sum."),
        ({"formula": "mean"}, "The formula must be one of: ratio, sum."),
        (
            {"formula": "ratio", "numerator": "a"},
            "A ratio needs a 'numerator' and a 'denominator' question key.",
        ),
        ({"formula": "sum", "keys": []}, "A sum needs 'keys': a non-empty list of question keys."),
        (
            {"formula": "sum", "keys": ["a", ""]},
            "A sum needs 'keys': a non-empty list of question keys.",
        ),
    ],
)
def test_definition_derived_formula_must_name_its_inputs(config, problem):
    assert validate_definition(make("derived", key="q", config=config)) == [problem]


# --- Uploads ---------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 10
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            # ODF requires "mimetype" first and stored uncompressed.
            kind = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=kind)
    return buffer.getvalue()


DOCX = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zip_of({"mimetype": ODT_MIMETYPE, "content.xml": b"<office:document-content/>"})
FILE_QUESTION = make("file")


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def upload_error(upload_file: Any, question: Question = FILE_QUESTION) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_upload(question, upload_file)
    return caught.value


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("report.pdf", PDF, (".pdf", "application/pdf")),
        ("chart.png", PNG, (".png", "image/png")),
        ("photo.jpg", JPEG, (".jpg", "image/jpeg")),
        ("photo.JPEG", JPEG, (".jpeg", "image/jpeg")),
        (
            "report.docx",
            DOCX,
            (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ),
        (
            "data.xlsx",
            XLSX,
            (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
        ("report.odt", ODT, (".odt", "application/vnd.oasis.opendocument.text")),
    ],
)
def test_upload_of_each_kind_is_accepted(name, content, expected):
    assert check_upload(FILE_QUESTION, upload(name, content)) == expected


def test_upload_extension_is_the_last_suffix_lower_cased():
    assert check_upload(FILE_QUESTION, upload("national.report.2024.PDF", PDF))[0] == ".pdf"
    assert check_upload(FILE_QUESTION, upload("re\x01po\x1frt.Pdf", PDF))[0] == ".pdf"


def test_upload_name_with_windows_path_uses_its_last_part():
    file = upload("C:\\Users\\me\\report.final.PDF", PDF)  # as old browsers send it
    assert check_upload(FILE_QUESTION, file) == (".pdf", "application/pdf")


def test_upload_leaves_the_file_at_its_start():
    file = upload("report.docx", DOCX)
    check_upload(FILE_QUESTION, file)
    assert file.tell() == 0
    assert file.read() == DOCX


def test_upload_written_to_a_temporary_file_is_checked_too():
    file = TemporaryUploadedFile("report.docx", "application/octet-stream", len(DOCX), None)
    file.write(DOCX)
    file.seek(0)
    try:
        assert check_upload(FILE_QUESTION, file)[0] == ".docx"
    finally:
        file.close()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.pdf", PNG),
        ("fake.png", JPEG),
        ("fake.jpg", PDF),
        ("fake.docx", XLSX),
        ("fake.xlsx", DOCX),
        ("fake.docx", PDF),
        ("fake.odt", DOCX),
        ("fake.odt", zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})),
        ("fake.docx", zip_of({"word/document.xml": b"<w:document/>"})),
    ],
)
def test_upload_content_must_match_the_extension(name, content):
    extension = name[name.rindex(".") :]
    error = upload_error(upload(name, content))
    message = f"The content of the file does not match its extension ({extension})."
    assert_error(error, "content_mismatch", message)


def test_upload_extension_must_be_allowed():
    error = upload_error(upload("tool.exe", PDF))
    message = (
        "Files ending in .exe are not accepted here. Upload one of: "
        ".pdf, .png, .jpg, .jpeg, .docx, .xlsx, or .odt."
    )
    assert_error(error, "invalid_extension", message)


def test_upload_extension_must_be_one_the_question_accepts():
    question = make("file", config={"accept": ["pdf"]})
    assert check_upload(question, upload("a.pdf", PDF)) == (".pdf", "application/pdf")
    error = upload_error(upload("chart.png", PNG), question)
    message = "Files ending in .png are not accepted here. Upload one of: .pdf."
    assert_error(error, "invalid_extension", message)


def test_upload_without_extension():
    error = upload_error(upload("README", PDF))
    message = (
        "The file name has no extension. "
        "Upload one of: .pdf, .png, .jpg, .jpeg, .docx, .xlsx, or .odt."
    )
    assert_error(error, "invalid_extension", message)


def test_upload_only_to_file_questions():
    error = upload_error(upload("a.pdf", PDF), make("long_text"))
    assert_error(error, "not_file", "This question does not take files.")


def test_upload_must_not_be_empty():
    assert_error(upload_error(upload("a.pdf", b"")), "empty_file", "The file is empty.")


def test_upload_size_limit_from_setting(settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    assert check_upload(FILE_QUESTION, upload("a.pdf", PDF.ljust(1000, b" ")))
    error = upload_error(upload("a.pdf", PDF.ljust(1001, b" ")))
    message = (
        f"The file is too large ({filesizeformat(1001)}). "
        f"The maximum size is {filesizeformat(1000)}."
    )
    assert_error(error, "file_too_large", message)


def test_upload_size_limit_from_question_when_lower(settings):
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    question = make("file", config={"max_size_mb": 0.001})  # 1048 bytes
    assert check_upload(question, upload("a.pdf", PDF.ljust(1048, b" ")))
    assert upload_error(upload("a.pdf", PDF.ljust(1049, b" ")), question).code == "file_too_large"


def test_upload_setting_wins_when_lower_than_the_question(settings):
    settings.ATTACHMENT_MAX_BYTES = 500
    question = make("file", config={"max_size_mb": 1})
    assert upload_error(upload("a.pdf", PDF.ljust(501, b" ")), question).code == "file_too_large"


def test_upload_of_a_corrupt_zip():
    error = upload_error(upload("report.docx", DOCX[:-10]))
    assert_error(error, "corrupt_file", "The file is damaged and cannot be read.")


def test_upload_of_a_zip_with_too_many_members():
    base = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    at_limit = {**base, **{f"word/media/{n}.xml": b"" for n in range(1998)}}
    assert check_upload(FILE_QUESTION, upload("ok.docx", zip_of(at_limit)))[0] == ".docx"
    over = {**at_limit, "word/media/extra.xml": b""}
    error = upload_error(upload("many.docx", zip_of(over)))
    assert_error(error, "too_many_members", "The file contains too many parts (more than 2000).")


def zip_bomb(megabytes: int) -> bytes:
    """A docx whose document member is `megabytes` MB of zeros, written chunk by chunk so
    the test never holds the expanded data."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


BOMB_MESSAGE = "The file expands to far more data than it holds and cannot be accepted."


def test_upload_of_a_200_mb_zip_bomb_is_refused_without_expanding_it():
    content = zip_bomb(200)
    assert len(content) < 1024 * 1024
    assert_error(upload_error(upload("bomb.docx", content)), "zip_bomb", BOMB_MESSAGE)


def test_upload_expanding_more_than_100_times_is_refused():
    content = zip_bomb(2)  # about 2 KB expanding to 2 MB: far under 100 MB, far over 100×
    assert_error(upload_error(upload("bomb.docx", content)), "zip_bomb", BOMB_MESSAGE)


def with_declared_size(content: bytes, member: str, size: int) -> bytes:
    """`content` (a zip) with the central-directory entry of `member` claiming `size`
    uncompressed bytes: a directory that lies, as a crafted bomb's does."""
    data = bytearray(content)
    entry = data.index(b"PK\x01\x02")
    name = member.encode()
    while True:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        if bytes(data[entry + 46 : entry + 46 + name_length]) == name:
            struct.pack_into("<I", data, entry + 24, size)
            return bytes(data)
        extra, comment = struct.unpack_from("<HH", data, entry + 30)
        entry += 46 + name_length + extra + comment


def test_upload_declaring_more_than_100_mb_is_refused_even_at_a_low_ratio():
    noise = bytes(range(256)) * 4096 * 2  # 2 MB, stored so the archive is as large
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", noise)
    honest = buffer.getvalue()
    assert check_upload(FILE_QUESTION, upload("ok.docx", honest))[0] == ".docx"
    # 101 MB declared for a 2 MB archive: a ratio of about 50, but over the 100 MB ceiling.
    lying = with_declared_size(honest, "word/document.xml", 101 * 1024 * 1024)
    assert_error(upload_error(upload("big.docx", lying)), "zip_bomb", BOMB_MESSAGE)
