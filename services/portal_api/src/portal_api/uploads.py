"""Files customers upload, checked against the limits and kept in the shared blob store."""

import asyncio
import mimetypes

from litestar.datastructures import UploadFile

from helpdesk_contracts.messages import AttachmentInfo
from helpdesk_runtime.blobs import BlobStorage

MAX_FILENAME_LENGTH = 255


class UploadRejectedError(Exception):
    """Raised for an upload over the limits; `message` is shown to the customer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def present_files(values: list[object]) -> list[UploadFile]:
    """Return the uploads among form values, without the empty part of an unused input."""
    return [
        value
        for value in values
        if isinstance(value, UploadFile) and (value.filename or "").strip()
    ]


def check_count(files: list[UploadFile], max_attachments: int) -> None:
    """Raise `UploadRejectedError` when more files came than one message may carry."""
    if len(files) > max_attachments:
        raise UploadRejectedError(f"Attach at most {max_attachments} files.")


async def store_upload(blobs: BlobStorage, upload: UploadFile, max_bytes: int) -> AttachmentInfo:
    """Read the upload (at most `max_bytes`) into the blob store and describe it."""
    filename = _clean_filename(upload.filename or "attachment")

    # One byte more than allowed is enough to know the file is too large.
    content = await upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise UploadRejectedError(
            f"{filename} is larger than the limit of {max_bytes // (1024 * 1024)} MiB."
        )
    if not content:
        raise UploadRejectedError(f"{filename} is empty.")

    # The S3 store uploads over the network and the folder store writes and fsyncs a
    # file, so neither may run on the event loop.
    sha256 = await asyncio.to_thread(blobs.put, content)
    return AttachmentInfo(
        filename=filename,
        content_type=_content_type(upload, filename),
        size=len(content),
        sha256=sha256,
    )


def _clean_filename(raw: str) -> str:
    # Browsers on Windows may send a full path; only the last part is the file's name.
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(character for character in name if character.isprintable())
    return name[:MAX_FILENAME_LENGTH] or "attachment"


def _content_type(upload: UploadFile, filename: str) -> str:
    declared = (upload.content_type or "").split(";", 1)[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"
