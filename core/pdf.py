"""The one PDF renderer behind every generated document (reports, analyses, directories).

WeasyPrint renders offline: the only resources a document can load are the project's static
files, read from disk; every other URL (another host, file:// elsewhere) is refused, so a
template can neither reach the network nor read files. Documents are tagged PDF/UA-1
(WeasyPrint's "pdf/ua-1" variant: structure tree, /Lang, title shown in the window); the
title and language come from the HTML's <title> and <html lang>, which `pdf/base.html` sets.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils._os import safe_join
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

PDF_VARIANT = "pdf/ua-1"
# Relative URLs such as "/static/css/pdf.css" need an absolute base. ".invalid" is reserved
# (RFC 2606) and never resolves; the fetcher maps this origin's static paths to local files.
INTERNAL_BASE_URL = "https://pdf.invalid/"


@cache
def _font_config() -> FontConfiguration:
    """One FontConfiguration per process: building it scans the system fonts."""
    return FontConfiguration()


def _static_roots() -> list[Path]:
    """Directories whose files a PDF may load: STATIC_ROOT, STATICFILES_DIRS, apps' static/."""
    roots = [Path(settings.STATIC_ROOT)] if settings.STATIC_ROOT else []
    for entry in settings.STATICFILES_DIRS:
        roots.append(Path(entry[1] if isinstance(entry, list | tuple) else entry))
    roots += [Path(app.path) / "static" for app in apps.get_app_configs()]
    return [root.resolve() for root in roots]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class StaticFilesURLFetcher(URLFetcher):
    """Serves static files from disk and refuses every other URL.

    Accepted: `<origin><STATIC_URL>name` for the internal origin, the document's base URL's
    origin and, when STATIC_URL is absolute, its own origin (found through the staticfiles
    finders, then STATIC_ROOT for collected and hashed names); `file://` paths inside the
    static directories; `data:` URIs, which are inline content. Refused URLs raise
    ValueError, which WeasyPrint logs before rendering on without the resource.
    """

    def __init__(self, *, base_url: str = INTERNAL_BASE_URL) -> None:
        super().__init__(allowed_protocols=("data",))
        static_url = urljoin(INTERNAL_BASE_URL, settings.STATIC_URL)
        self._static_prefix = urlsplit(static_url).path
        self._origins = {_origin(INTERNAL_BASE_URL), _origin(static_url)}
        if urlsplit(base_url).scheme in ("http", "https"):
            self._origins.add(_origin(base_url))
        self._roots = _static_roots()

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self.local_path(url)
        if path is None:
            raise ValueError(f"Refused {url!r}: not one of the project's static files.")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def local_path(self, url: str) -> Path | None:
        """The static file `url` stands for, or None when it is not one."""
        parts = urlsplit(url)
        if parts.scheme == "file" and not parts.netloc:
            return self._inside_roots(Path(url2pathname(parts.path)))
        if parts.scheme not in ("http", "https") or _origin(url) not in self._origins:
            return None
        path = posixpath.normpath(unquote(parts.path))
        if not path.startswith(self._static_prefix):
            return None
        name = path.removeprefix(self._static_prefix)
        found = finders.find(name)
        if found is None and settings.STATIC_ROOT:
            try:
                found = safe_join(settings.STATIC_ROOT, name)
            except SuspiciousFileOperation:
                return None
        return self._inside_roots(Path(found)) if found else None

    def _inside_roots(self, path: Path) -> Path | None:
        resolved = path.resolve()
        if resolved.is_file() and any(resolved.is_relative_to(root) for root in self._roots):
            return resolved
        return None


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    #: The document's headings as (level, label, page index), in order: its bookmarks.
    bookmarks: list[tuple[int, str, int]]


def _flatten(tree, level: int = 1) -> list[tuple[int, str, int]]:
    flat = []
    for label, (page, _x, _y), children, _state in tree:
        flat.append((level, label, page))
        flat += _flatten(children, level + 1)
    return flat


def render_pdf_document(
    html: str,
    *,
    base_url: str | None = None,
    stylesheets: Sequence[str] = (),
    tagged: bool = True,
) -> RenderedPdf:
    """Render an HTML document to PDF/UA-1, with its page count and bookmarks.

    `base_url` resolves relative URLs (default: an internal origin where "/static/..." is
    served from disk). `stylesheets` are static file names ("css/extra.css") applied as user
    stylesheets, which rank below the document's own styles: prefer linking CSS from the
    template. Give the HTML a <title> and <html lang>: PDF/UA needs both. `tagged=False`
    only for layers laid over tagged pages (they must then be marked as artifacts).
    """
    base_url = base_url or INTERNAL_BASE_URL
    fetcher = StaticFilesURLFetcher(base_url=base_url)
    font_config = _font_config()
    variant = PDF_VARIANT if tagged else None
    started = time.perf_counter()
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        font_config=font_config,
        stylesheets=[
            CSS(url=urljoin(base_url, static(name)), url_fetcher=fetcher, font_config=font_config)
            for name in stylesheets
        ],
        pdf_variant=variant,
    )
    if not document.metadata.title or not document.metadata.lang:
        logger.warning("PDF without <title> or <html lang>: not valid PDF/UA.")
    pdf = document.write_pdf(pdf_variant=variant)
    logger.info(
        "Rendered a PDF of %d pages (%d bytes) in %.2f s.",
        len(document.pages),
        len(pdf),
        time.perf_counter() - started,
    )
    return RenderedPdf(pdf, len(document.pages), _flatten(document.make_bookmark_tree()))


def render_pdf(html: str, *, base_url: str | None = None, stylesheets: Sequence[str] = ()) -> bytes:
    """Render an HTML document to PDF/UA-1 bytes (see `render_pdf_document`)."""
    return render_pdf_document(html, base_url=base_url, stylesheets=stylesheets).data


def render_template_to_pdf(template_name: str, context: dict, *, language: str) -> bytes:
    """Render a Django template in `language` (one of settings.LANGUAGES) and return the PDF."""
    language = translation.get_supported_language_variant(language)
    with translation.override(language):
        return render_pdf(render_to_string(template_name, context))
