"""Checks of an uploaded file for a file question: allowed extension, size, and content
that really is of that kind (`check_upload()`), and the kinds of file that may be uploaded.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from core.i18n import format_list
from reporting.models import Question
from reporting.questions.answers import _error, _shorten

ZIP_MAX_MEMBERS = 2000
ZIP_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
ZIP_MAX_RATIO = 100


def check_upload(question: Question, upload: UploadedFile) -> tuple[str, str]:
    """Check an uploaded file for a file question: allowed extension, size, and content that
    really is of that kind. Returns (extension such as ".pdf", content type).

    The extension is the last suffix of the name, lower-cased; the rest of the name is not
    used (the stored name is generated). Zip-based formats are judged from the zip directory
    without decompressing, so a decompression bomb costs nothing."""
    if question.type != Question.Type.FILE:
        raise _error("not_file")
    extension = _extension(upload.name or "")
    kind = _allowed_file_kinds(question).get(extension)
    if kind is None:
        allowed = format_list(_allowed_file_kinds(question), style="or")
        if not extension:
            raise _error("no_extension", "invalid_extension", allowed=allowed)
        raise _error("invalid_extension", extension=_shorten(extension), allowed=allowed)
    _check_size(question, upload)
    upload.seek(0)
    try:
        matches = kind.matches(upload)
    finally:
        upload.seek(0)
    if not matches:
        raise _error("content_mismatch", extension=extension)
    return extension, kind.content_type


@dataclass(frozen=True)
class _FileKind:
    """A kind of file that may be uploaded, and how to recognise its content."""

    extensions: tuple[str, ...]
    content_type: str
    matches: Callable[[UploadedFile], bool]


def _starts_with(signature: bytes) -> Callable[[UploadedFile], bool]:
    return lambda upload: upload.read(len(signature)) == signature


def _zip_with(check: Callable[[zipfile.ZipFile], bool]) -> Callable[[UploadedFile], bool]:
    def matches(upload: UploadedFile) -> bool:
        if upload.read(4) != b"PK\x03\x04":
            return False
        upload.seek(0)
        with _open_zip(upload) as archive:
            return check(archive)

    return matches


def _is_office_zip(folder: str) -> Callable[[zipfile.ZipFile], bool]:
    def check(archive: zipfile.ZipFile) -> bool:
        names = archive.namelist()
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)

    return check


def _is_odt(archive: zipfile.ZipFile) -> bool:
    expected = b"application/vnd.oasis.opendocument.text"
    try:
        member = archive.getinfo("mimetype")
        if member.file_size != len(expected):
            return False
        with archive.open(member) as stream:
            return stream.read(len(expected) + 1) == expected
    except KeyError:
        return False
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
        # Unreadable data (bad CRC, unknown compression, encryption): a damaged file.
        raise _error("corrupt_file") from None


FILE_KINDS: dict[str, _FileKind] = {
    "pdf": _FileKind((".pdf",), "application/pdf", _starts_with(b"%PDF-")),
    "png": _FileKind((".png",), "image/png", _starts_with(b"\x89PNG\r\n\x1a\n")),
    "jpeg": _FileKind((".jpg", ".jpeg"), "image/jpeg", _starts_with(b"\xff\xd8\xff")),
    "docx": _FileKind(
        (".docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _zip_with(_is_office_zip("word/")),
    ),
    "xlsx": _FileKind(
        (".xlsx",),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _zip_with(_is_office_zip("xl/")),
    ),
    "odt": _FileKind((".odt",), "application/vnd.oasis.opendocument.text", _zip_with(_is_odt)),
}
_FILE_KIND_ALIASES = {"jpg": "jpeg"}


def _file_kind_name(kind: Any) -> str:
    name = str(kind).strip().lower().lstrip(".")
    return _FILE_KIND_ALIASES.get(name, name)


def _allowed_file_kinds(question: Question) -> dict[str, _FileKind]:
    """Extension → kind for the kinds the question accepts (all kinds when not configured)."""
    names = {_file_kind_name(kind) for kind in question.config.get("accept") or FILE_KINDS}
    return {
        extension: kind
        for name, kind in FILE_KINDS.items()
        if name in names
        for extension in kind.extensions
    }


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    _stem, dot, suffix = base.rpartition(".")
    return f".{suffix.lower()}" if dot else ""


def _check_size(question: Question, upload: UploadedFile) -> None:
    limit = getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    size_mb = question.config.get("max_size_mb")
    if size_mb:
        limit = min(limit, int(size_mb * 1024 * 1024))
    if not upload.size:
        raise _error("empty_file")
    if upload.size > limit:
        raise _error("file_too_large", size=filesizeformat(upload.size), max=filesizeformat(limit))


def _open_zip(upload: UploadedFile) -> zipfile.ZipFile:
    """The upload as a zip whose directory is sane: not too many members, and declared sizes
    neither huge nor far larger than the upload (a decompression bomb). The ratio is taken
    against the real upload size, which the directory cannot lie about."""
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _error("corrupt_file") from None
    members = archive.infolist()
    total = sum(member.file_size for member in members)
    if len(members) > ZIP_MAX_MEMBERS:
        archive.close()
        raise _error("too_many_members", max=ZIP_MAX_MEMBERS)
    if total > ZIP_MAX_UNCOMPRESSED_BYTES or total > ZIP_MAX_RATIO * upload.size:
        archive.close()
        raise _error("zip_bomb")
    return archive
