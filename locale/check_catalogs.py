"""Check the translation catalogs under locale/ for problems that break or degrade the UI.

Usage (from the project root):  .venv/bin/python locale/check_catalogs.py [PO_FILE ...]

Without arguments every locale/<lang>/LC_MESSAGES/*.po file is checked. Exits 1 and lists
the problems when any catalog has:
  * an untranslated message (empty msgstr, or any empty plural form msgstr[i]);
  * a fuzzy entry (the header included);
  * a header without a proper Language or a non-UTF-8 Content-Type;
  * a placeholder mismatch between msgid and msgstr: the sets of %(name)s / %s / %d …
    placeholders must be equal. For plural messages every form is compared with msgid_plural
    (msgid for a language with a single form), except that a form used for a single number
    (e.g. Arabic n == 0, 1 or 2, English-like n == 1) may leave out the count placeholder.
Standard library + Babel only.
"""

from __future__ import annotations

import gettext
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent

# printf-style placeholders as Python's % operator understands them: %(name)s, %s, %d, %.2f…
# "%%" is a literal percent sign and is skipped.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\-+]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)

# Numbers probed to find out which plural forms are used for one number only.
PROBE = list(range(0, 1001)) + [10_000, 100_000, 1_000_000, 2_000_000, 10_000_000]


def placeholders(text: str) -> list[str]:
    found = []
    for match in PLACEHOLDER.finditer(text):
        if match.group("conv") == "%":
            continue
        name = match.group("name")
        found.append(f"%({name}){match.group('conv')}" if name is not None else f"%{match.group('conv')}")
    return found


def single_number_forms(plural_expr: str, nplurals: int) -> set[int]:
    """Indexes of the plural forms that the rule selects for exactly one probed number."""
    try:
        rule = gettext.c2py(plural_expr)
    except (ValueError, SyntaxError):
        return set()
    hits: dict[int, int] = {}
    for n in PROBE:
        index = rule(n)
        hits[index] = hits.get(index, 0) + 1
    return {i for i in range(nplurals) if hits.get(i, 0) == 1}


COUNT_NAMES = {"count", "counter", "num", "number", "n", "total", "quantity"}


def count_placeholders(msgid: str, msgid_plural: str) -> set[str]:
    """Placeholders that stand for the count: numeric ones, conventional count names, or
    those that only the plural msgid has (the singular often spells "one" out)."""
    singular, plural = set(placeholders(msgid)), set(placeholders(msgid_plural))
    counts = set()
    for p in plural:
        match = PLACEHOLDER.fullmatch(p)
        if match.group("conv") in "diu" or (match.group("name") or "") in COUNT_NAMES or match.group("name") is None:
            counts.add(p)
    return counts | (plural - singular)


def raw_header(raw: str) -> str:
    """The msgstr of the header entry (msgid ""), unescaped just enough to read its fields."""
    match = re.search(r'^msgid ""\nmsgstr ((?:".*"\n?)+)', raw, re.MULTILINE)
    if not match:
        return ""
    parts = re.findall(r'"(.*)"', match.group(1))
    return "".join(parts).replace("\\n", "\n").replace('\\"', '"')


def header_value(header: str, name: str) -> str | None:
    match = re.search(rf"^{re.escape(name)}:[ \t]*(.*)$", header, re.MULTILINE)
    return match.group(1).strip() if match else None


def check_file(path: Path) -> list[str]:
    problems: list[str] = []
    raw = path.read_text(encoding="utf-8")
    header_fuzzy = bool(re.search(r'^#,[^\n]*\bfuzzy\b[^\n]*\n(?:#[^\n]*\n)*msgid ""\nmsgstr', raw, re.MULTILINE))
    with path.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=False)
    where = str(path.relative_to(LOCALE_DIR.parent)) if path.is_relative_to(LOCALE_DIR.parent) else str(path)

    # Header.
    header = raw_header(raw)
    if header_fuzzy or catalog.fuzzy:
        problems.append(f"{where}: the header is marked fuzzy")
    if not header_value(header, "Language"):
        problems.append(f"{where}: the header has no Language")
    content_type = (header_value(header, "Content-Type") or "").lower().replace(" ", "")
    if content_type != "text/plain;charset=utf-8":
        problems.append(f"{where}: Content-Type is not 'text/plain; charset=UTF-8'")
    if not header_value(header, "Plural-Forms"):
        problems.append(f"{where}: the header has no Plural-Forms")

    nplurals = catalog.num_plurals
    singles = single_number_forms(catalog.plural_expr, nplurals)

    for message in catalog:
        if not message.id:
            continue
        label = f"{where}:{message.lineno}"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        shown = ids[0] if message.context is None else f"[{message.context}] {ids[0]}"
        if message.fuzzy:
            problems.append(f"{label}: fuzzy: {shown!r}")
        if message.pluralizable:
            msgid, msgid_plural = ids[0], ids[1]
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if len(forms) != nplurals:
                problems.append(f"{label}: {len(forms)} plural forms instead of {nplurals}: {shown!r}")
            optional = count_placeholders(msgid, msgid_plural)
            reference = set(placeholders(msgid_plural))
            for index, form in enumerate(forms):
                if not form:
                    problems.append(f"{label}: msgstr[{index}] is empty: {shown!r}")
                    continue
                got = set(placeholders(form))
                expected = set(reference)
                if index in singles:
                    # A form for one number may spell the number out and drop the count.
                    if not got >= expected - optional or not got <= expected | set(placeholders(msgid)):
                        problems.append(
                            f"{label}: msgstr[{index}] placeholders {sorted(got)} do not match "
                            f"{sorted(expected)}: {shown!r}"
                        )
                elif got != expected:
                    problems.append(
                        f"{label}: msgstr[{index}] placeholders {sorted(got)} do not match "
                        f"{sorted(expected)}: {shown!r}"
                    )
        else:
            string = message.string if isinstance(message.string, str) else (message.string or ("",))[0]
            if not string:
                problems.append(f"{label}: untranslated: {shown!r}")
                continue
            expected, got = set(placeholders(ids[0])), set(placeholders(string))
            if got != expected:
                problems.append(
                    f"{label}: placeholders {sorted(got)} do not match {sorted(expected)}: {shown!r}"
                )
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
    if not paths:
        print("No .po file found under", LOCALE_DIR)
        return 1
    problems: list[str] = []
    for path in paths:
        file_problems = check_file(path)
        problems.extend(file_problems)
        with path.open("rb") as handle:
            total = sum(1 for m in read_po(handle, abort_invalid=False) if m.id)
        status = "OK" if not file_problems else f"{len(file_problems)} problem(s)"
        print(f"{path.relative_to(LOCALE_DIR.parent) if path.is_relative_to(LOCALE_DIR.parent) else path}: "
              f"{total} messages, {status}")
    if problems:
        print()
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
