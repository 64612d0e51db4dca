"""Attachment downloads: always saved as files, never rendered by the browser."""

from urllib.parse import quote

from litestar import Response

from helpdesk_contracts.messages import AttachmentInfo

# Types a browser could run as a page or script if it ever displayed them inline.
_ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
    }
)


def attachment_response(info: AttachmentInfo, content: bytes) -> Response[bytes]:
    """Return the file with Content-Disposition attachment and a sandboxing CSP."""
    content_type = info.content_type.lower()
    if content_type in _ACTIVE_TYPES or not content_type:
        content_type = "application/octet-stream"
    ascii_name = info.filename.encode("ascii", "replace").decode().replace('"', "'")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(info.filename)}"
    return Response(
        content=content,
        media_type=content_type,
        headers={
            "content-disposition": disposition,
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": "private, no-store",
        },
    )
