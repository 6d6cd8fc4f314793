"""Sending stored files to the person allowed to read them."""

from django.core.files import File
from django.http import FileResponse


def private_download(file: File, *, name: str, content_type: str) -> FileResponse:
    """A stored upload as an attachment, never rendered inline nor sniffed by the browser."""
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
