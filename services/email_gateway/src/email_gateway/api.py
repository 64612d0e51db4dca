"""HTTP API for agents: quarantined messages, raw message metadata and downloads, attachments."""

import asyncio
import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import undefer

from email_gateway.models import RawMessage, RawStatus
from helpdesk_runtime.blobs import BlobStorage
from helpdesk_runtime.database import Sessions
from helpdesk_runtime.problems import ProblemError

Blobs = NamedDependency[BlobStorage]
"""The attachment store as a Litestar handler dependency named `blobs`."""


class QuarantinedMessageOut(msgspec.Struct, kw_only=True):
    """A stored message that could not become a ticket, with the reason."""

    id: uuid.UUID
    received_at: datetime
    reason: str
    size: int
    envelope_from: str
    message_id: str | None


class RawMessageOut(msgspec.Struct, kw_only=True):
    """The metadata of one stored message, without its bytes."""

    id: uuid.UUID
    sha256: str
    size: int
    envelope_from: str
    envelope_recipients: list[str]
    received_at: datetime
    message_id: str | None
    status: RawStatus
    quarantine_reason: str | None
    published_at: datetime | None


def _raw_message_out(row: RawMessage) -> RawMessageOut:
    return RawMessageOut(
        id=row.id,
        sha256=row.sha256,
        size=row.size,
        envelope_from=row.envelope_from,
        envelope_recipients=list(row.envelope_recipients),
        received_at=row.received_at,
        message_id=row.message_id,
        status=RawStatus(row.status),
        quarantine_reason=row.quarantine_reason,
        published_at=row.published_at,
    )


class QuarantineController(Controller):
    path = "/quarantine"
    tags = ["quarantine"]

    @get("/")
    async def list_quarantined(
        self,
        sessions: Sessions,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[QuarantinedMessageOut]:
        """List quarantined messages, newest first."""
        async with sessions() as session:
            rows = await session.execute(
                select(RawMessage)
                .where(RawMessage.status == RawStatus.QUARANTINED.value)
                .order_by(RawMessage.received_at.desc())
                .limit(limit)
            )
            return [
                QuarantinedMessageOut(
                    id=row.id,
                    received_at=row.received_at,
                    reason=row.quarantine_reason or "",
                    size=row.size,
                    envelope_from=row.envelope_from,
                    message_id=row.message_id,
                )
                for row in rows.scalars()
            ]


class RawMessageController(Controller):
    path = "/raw-messages"
    tags = ["raw messages"]

    @get("/{raw_id:uuid}")
    async def get_raw_message(
        self, raw_id: FromPath[uuid.UUID], sessions: Sessions
    ) -> RawMessageOut:
        """Show the metadata of one stored message."""
        async with sessions() as session:
            row = await session.get(RawMessage, raw_id)
            if row is None:
                raise _raw_not_found(raw_id)
            return _raw_message_out(row)

    @get("/{raw_id:uuid}/raw", media_type="message/rfc822")
    async def download_raw_message(
        self, raw_id: FromPath[uuid.UUID], sessions: Sessions
    ) -> Response[bytes]:
        """Return the bytes of one stored message exactly as they were received."""
        async with sessions() as session:
            row = await session.get(RawMessage, raw_id, options=[undefer(RawMessage.raw)])
            if row is None:
                raise _raw_not_found(raw_id)
            return Response(
                content=row.raw,
                media_type="message/rfc822",
                headers={"Content-Disposition": f'attachment; filename="{raw_id}.eml"'},
            )


class AttachmentController(Controller):
    path = "/attachments"
    tags = ["attachments"]

    @get("/{sha256:str}", media_type="application/octet-stream")
    async def download_attachment(
        self,
        sha256: Annotated[str, Parameter(pattern=r"^[0-9a-f]{64}$")],
        blobs: Blobs,
    ) -> Response[bytes]:
        """Return an attachment by the SHA-256 of its content (lower-case hex)."""
        content = await asyncio.to_thread(blobs.read, sha256)
        if content is None:
            raise ProblemError(404, "Not found", f"No attachment with SHA-256 {sha256}.")
        return Response(content=content, media_type="application/octet-stream")


def _raw_not_found(raw_id: uuid.UUID) -> ProblemError:
    return ProblemError(404, "Not found", f"No raw message with id {raw_id}.")


def api_dependencies(
    sessions: async_sessionmaker[AsyncSession], blobs: BlobStorage
) -> dict[str, Provide]:
    """Provide the session factory as `sessions` and the attachment store as `blobs`."""
    return {
        "sessions": Provide(lambda: sessions, sync_to_thread=False),
        "blobs": Provide(lambda: blobs, sync_to_thread=False),
    }
