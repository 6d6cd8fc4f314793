"""Check the translation catalogs under locale/ for problems that break or degrade the UI.

Usage (from the project root):  .venv/bin/python locale/check_catalogs.py [PO_FILE ...]

Without arguments every locale/<lang>/LC_MESSAGES/*.po file is checked. Exits 1 and lists
the problems when any catalog has:
  * an untranslated message (empty msgstr, or any empty plural form msgstr[i]);
  * a fuzzy entry (the header included);
  * a header without Language or Plural-Forms, or whose Content-Type is not
    "text/plain; charset=UTF-8";
  * a placeholder mismatch between msgid and msgstr: the sets of %(name)s / %s / %d …
    placeholders must be equal. Each plural form is compared with msgid_plural, except that
    a form the Plural-Forms rule uses for a single number (Arabic n == 0, 1 or 2; Spanish
    n == 1…) may leave out the count placeholder, e.g. "دولة واحدة" for "%(counter)s State".
Standard library + Babel only.
"""

from __future__ import annotations

import gettext
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent
ROOT = LOCALE_DIR.parent

# printf-style placeholders as Python's % operator reads them: %(name)s, %s, %d, %.2f…
# "%%" is a literal percent sign and is skipped.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0+-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)
# Names that conventionally carry the count of a plural message.
COUNT_NAMES = {"count", "counter", "num", "number", "n", "total", "quantity"}
# Numbers probed to find which plural forms are used for one number only.
PROBE = [*range(1001), 10_000, 100_000, 1_000_000, 2_000_000, 10_000_000]
HEADER_FUZZY = re.compile(r'^#,[^\n]*\bfuzzy\b[^\n]*\n(?:#[^\n]*\n)*msgid ""\nmsgstr', re.MULTILINE)
HEADER_ENTRY = re.compile(r'^msgid ""\nmsgstr ((?:".*"\n?)+)', re.MULTILINE)


def placeholders(text: str) -> set[str]:
    found = set()
    for match in PLACEHOLDER.finditer(text):
        conv, name = match.group("conv"), match.group("name")
        if conv != "%":
            found.add(f"%({name}){conv}" if name is not None else f"%{conv}")
    return found


def count_placeholders(msgid: str, msgid_plural: str) -> set[str]:
    """Placeholders that may stand for the count: numeric or unnamed ones, conventional
    count names, and those only the plural msgid has (the singular may spell "one" out)."""
    plural = placeholders(msgid_plural)
    counts = set()
    for text in plural:
        match = PLACEHOLDER.fullmatch(text)
        name = match.group("name")
        if match.group("conv") in "diu" or name is None or name in COUNT_NAMES:
            counts.add(text)
    return counts | (plural - placeholders(msgid))


def single_number_forms(catalog: Catalog) -> set[int]:
    """Indexes of the plural forms that the catalog's rule selects for exactly one number."""
    try:
        rule = gettext.c2py(catalog.plural_expr)
    except (ValueError, SyntaxError):
        return set()
    hits: dict[int, int] = {}
    for n in PROBE:
        index = rule(n)
        hits[index] = hits.get(index, 0) + 1
    return {index for index in range(catalog.num_plurals) if hits.get(index) == 1}


def header_fields(raw: str) -> dict[str, str]:
    match = HEADER_ENTRY.search(raw)
    if not match:
        return {}
    text = "".join(re.findall(r'"(.*)"', match.group(1))).replace("\\n", "\n")
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return fields


def display(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def check_header(where: str, raw: str, catalog: Catalog) -> list[str]:
    problems = []
    if HEADER_FUZZY.search(raw) or catalog.fuzzy:
        problems.append(f"{where}: the header is marked fuzzy")
    fields = header_fields(raw)
    if not fields.get("language"):
        problems.append(f"{where}: the header has no Language")
    if not fields.get("plural-forms"):
        problems.append(f"{where}: the header has no Plural-Forms")
    if fields.get("content-type", "").lower().replace(" ", "") != "text/plain;charset=utf-8":
        problems.append(f"{where}: the Content-Type is not 'text/plain; charset=UTF-8'")
    return problems


def check_file(path: Path) -> tuple[int, list[str]]:
    """(number of messages, problems) for one .po file."""
    where = display(path)
    raw = path.read_text(encoding="utf-8")
    with path.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=False)
    problems = check_header(where, raw, catalog)
    singles = single_number_forms(catalog)
    total = 0
    # Babel drops forms beyond nplurals (with a warning), so look for them in the raw text.
    for lineno, line in enumerate(raw.splitlines(), start=1):
        match = re.match(r"msgstr\[(\d+)\]", line)
        if match and int(match.group(1)) >= catalog.num_plurals:
            problems.append(f"{where}:{lineno}: msgstr[{match.group(1)}] beyond nplurals")

    for message in catalog:
        if not message.id:
            continue
        total += 1
        label = f"{where}:{message.lineno}"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        shown = repr(ids[0]) if message.context is None else f"[{message.context}] {ids[0]!r}"
        if message.fuzzy:
            problems.append(f"{label}: fuzzy entry {shown}")

        if not message.pluralizable:
            string = message.string if isinstance(message.string, str) else ""
            if not string:
                problems.append(f"{label}: untranslated {shown}")
                continue
            expected, got = placeholders(ids[0]), placeholders(string)
            if got != expected:
                problems.append(
                    f"{label}: placeholders {sorted(got)} instead of {sorted(expected)} in {shown}"
                )
            continue

        msgid, msgid_plural = ids[0], ids[1]
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if len(forms) != catalog.num_plurals:
            problems.append(
                f"{label}: {len(forms)} plural forms instead of {catalog.num_plurals} in {shown}"
            )
        expected = placeholders(msgid_plural)
        optional = count_placeholders(msgid, msgid_plural)
        for index, form in enumerate(forms):
            if not form:
                problems.append(f"{label}: msgstr[{index}] is empty in {shown}")
                continue
            got = placeholders(form)
            if index in singles:
                # A form used for one number may spell the number out instead of the count.
                ok = expected - optional <= got <= expected | placeholders(msgid)
            else:
                ok = got == expected
            if not ok:
                problems.append(
                    f"{label}: msgstr[{index}] placeholders {sorted(got)} "
                    f"instead of {sorted(expected)} in {shown}"
                )
    return total, problems


def main(argv: list[str]) -> int:
    paths = [Path(arg).resolve() for arg in argv] or sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
    if not paths:
        print(f"No .po file under {LOCALE_DIR}")
        return 1
    problems: list[str] = []
    for path in paths:
        total, file_problems = check_file(path)
        problems.extend(file_problems)
        status = f"{len(file_problems)} problem(s)" if file_problems else "OK"
        print(f"{display(path)}: {total} messages, {status}")
    if problems:
        print()
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
