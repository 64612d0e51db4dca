"""Automatic replies that matched no ticket, for agents to look through."""

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import QueryParameter
from sqlalchemy import select

from helpdesk_runtime.database import Sessions
from ticket_service.models import SetAsideReply


class SetAsideReplyOut(msgspec.Struct, kw_only=True):
    """An automatic reply kept instead of a ticket; the raw message is in email_gateway."""

    message_id: str
    raw_message_id: uuid.UUID
    sender: str
    subject: str
    reason: str
    received_at: datetime


class SetAsideReplyController(Controller):
    path = "/set-aside-replies"
    tags = ["tickets"]

    @get("/")
    async def list_set_aside_replies(
        self,
        sessions: Sessions,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[SetAsideReplyOut]:
        """List automatic replies, such as out-of-office mail, that opened no ticket."""
        async with sessions() as session:
            rows = await session.scalars(
                select(SetAsideReply)
                .order_by(SetAsideReply.received_at.desc(), SetAsideReply.message_id)
                .limit(limit)
            )
            return [
                SetAsideReplyOut(
                    message_id=row.message_id,
                    raw_message_id=row.raw_message_id,
                    sender=row.sender,
                    subject=row.subject,
                    reason=row.reason,
                    received_at=row.received_at,
                )
                for row in rows
            ]
