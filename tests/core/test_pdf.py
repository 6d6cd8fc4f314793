"""The shared PDF renderer: fonts for the six languages, draft watermark, offline fetching.

Poppler's command-line tools (Debian poppler-utils) read the generated PDFs back.
"""

import re
import socket
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint.urls import URLFetchingError

from core.pdf import StaticFilesURLFetcher, render_pdf, render_template_to_pdf

DOCUMENT = """{% extends "pdf/base.html" %}
{% block title %}Test report{% endblock %}
{% block content %}
<h1>National report</h1>
<p id="marker">PoA</p>
<p>Rapport national : élément, déjà, ça, Genève.</p>
<p>Программа действий по стрелковому оружию.</p>
<p>برنامج العمل</p>
<p>行动纲领</p>
<img src="https://example.org/x.png" alt="">
<img src="file:///etc/passwd" alt="">
<h2 style="break-before: page">Second page</h2>
<p>Заключение.</p>
{% endblock %}
"""
# Poppler wraps right-to-left runs in bidi controls and may give Arabic words in either order.
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def render_document(*, language: str = "en", draft: bool = True) -> bytes:
    with translation.override(language):
        html = Template(DOCUMENT).render(Context({"draft": draft}))
    return render_pdf(html)


def poppler(tool: str, *args: str | Path) -> str:
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, check=True)
    return result.stdout


def text_of(pdf: Path, *options: str) -> str:
    return BIDI_CONTROLS.sub("", poppler("pdftotext", *options, pdf, "-"))


def word_box(pdf: Path, word: str) -> tuple[float, float]:
    """(xMin, xMax) of `word` on the first page, in points."""
    boxes = poppler("pdftotext", "-bbox", "-f", "1", "-l", "1", pdf, "-")
    match = re.search(rf'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>{word}</word>', boxes)
    assert match, f"{word!r} not found on page 1"
    return float(match[1]), float(match[2])


@pytest.fixture(scope="module")
def draft_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "draft.pdf"
    path.write_bytes(render_document())
    return path


def test_every_font_is_embedded_including_dejavu_and_a_cjk_font(draft_pdf):
    rows = poppler("pdffonts", draft_pdf).splitlines()[2:]
    assert rows
    for row in rows:
        assert row.split()[-5] == "yes", f"font not embedded: {row}"
    names = " ".join(row.split()[0] for row in rows)
    assert "DejaVu" in names
    assert "WenQuanYi" in names


def test_latin_cyrillic_chinese_and_arabic_text_can_be_extracted(draft_pdf):
    text = text_of(draft_pdf)
    assert "élément, déjà, ça, Genève" in text
    assert "Программа действий по стрелковому оружию" in text
    assert "行动纲领" in text
    assert "برنامج" in text
    assert "العمل" in text


def test_draft_watermark_and_page_number_are_on_every_page(draft_pdf):
    info = poppler("pdfinfo", draft_pdf)
    assert re.search(r"^Pages:\s+2$", info, re.MULTILINE)
    for page in (1, 2):
        # The watermark is diagonal: poppler gives it letter by letter, in raw order.
        raw = re.sub(r"\s", "", text_of(draft_pdf, "-raw", "-f", str(page), "-l", str(page)))
        assert "DRAFT" in raw
        assert f"Page {page} of 2" in text_of(draft_pdf, "-f", str(page), "-l", str(page))


def test_pdf_is_tagged_pdf_ua_with_the_html_title(draft_pdf):
    info = poppler("pdfinfo", draft_pdf)
    assert re.search(r"^Title:\s+Test report$", info, re.MULTILINE)
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert 'pdfuaid:part="1"' in poppler("pdfinfo", "-meta", draft_pdf)


def test_external_and_file_urls_are_refused_without_touching_the_network(
    monkeypatch, caplog, tmp_path
):
    attempts = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kw: attempts.append(args))
    monkeypatch.setattr(socket.socket, "connect", lambda *args: attempts.append(args))

    path = tmp_path / "final.pdf"
    path.write_bytes(render_document(draft=False))

    assert attempts == []
    refused = [r.getMessage() for r in caplog.records if r.name == "weasyprint"]
    assert any("Refused 'https://example.org/x.png'" in message for message in refused)
    assert any("Refused 'file:///etc/passwd'" in message for message in refused)
    text = text_of(path, "-raw")
    assert "National report" in text
    assert "root:" not in text
    assert "DRAFT" not in re.sub(r"\s", "", text)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/static/css/pdf.css",
        "http://localhost/static/css/pdf.css",
        "ftp://pdf.invalid/static/css/pdf.css",
        "file:///etc/passwd",
        "file://pdf.invalid/etc/passwd",
        "https://pdf.invalid/etc/passwd",
        "https://pdf.invalid/static/../../../../etc/passwd",
        "https://pdf.invalid/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "https://pdf.invalid/static/css/missing.css",
        "https://pdf.invalid/static/",
        f"file://{django_settings.BASE_DIR / 'config' / 'settings.py'}",
    ],
)
def test_fetcher_refuses_anything_but_a_static_file(url):
    with pytest.raises(ValueError, match="Refused"):
        StaticFilesURLFetcher().fetch(url)


def test_fetcher_reads_static_files_from_disk(settings):
    css = Path(settings.BASE_DIR) / "static" / "css" / "pdf.css"
    for url in ("https://pdf.invalid/static/css/pdf.css", css.as_uri()):
        response = StaticFilesURLFetcher().fetch(url)
        assert response.content_type == "text/css"
        assert response.read() == css.read_bytes()

    settings.STATIC_URL = "https://cdn.example.org/static/"
    response = StaticFilesURLFetcher().fetch("https://cdn.example.org/static/css/pdf.css")
    assert response.read() == css.read_bytes()


def test_site_base_url_and_extra_stylesheets_resolve_to_static_files(caplog):
    html = '<html lang="en"><title>T</title><link rel="stylesheet" href="/static/css/pdf.css">'
    pdf = render_pdf(
        html, base_url="https://poa.example.org/reports/1/", stylesheets=["css/pdf.css"]
    )
    assert pdf.startswith(b"%PDF-1.7")
    assert not [r for r in caplog.records if r.name == "weasyprint" and r.levelno >= 40]

    with pytest.raises(URLFetchingError, match="Refused"):
        render_pdf(html, stylesheets=["css/missing.css"])


def test_arabic_document_is_right_to_left(settings, tmp_path):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                "loaders": [
                    ("django.template.loaders.locmem.Loader", {"pdf/test.html": DOCUMENT}),
                    "django.template.loaders.filesystem.Loader",
                ],
            },
        }
    ]
    with translation.override("ar"):
        html = render_to_string("pdf/test.html", {"draft": True})
    assert '<html lang="ar" dir="rtl">' in html

    arabic, english = tmp_path / "ar.pdf", tmp_path / "en.pdf"
    arabic.write_bytes(render_template_to_pdf("pdf/test.html", {"draft": True}, language="ar"))
    english.write_bytes(render_document(language="en"))
    page_width = 595  # A4, in points
    assert word_box(arabic, "PoA")[0] > page_width / 2  # text starts at the right
    assert word_box(english, "PoA")[1] < page_width / 2


def test_unknown_language_is_refused():
    with pytest.raises(LookupError):
        render_template_to_pdf("pdf/base.html", {}, language="xx")
