"""Publishing ticket events to JetStream as ticket_service does, and reading SLA state."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
from nats.js import JetStreamContext

from helpdesk_contracts import streams, subjects
from helpdesk_contracts.enums import TicketPriority, TicketSource, TicketStatus
from helpdesk_contracts.messages import (
    Message,
    TicketCreated,
    TicketFirstResponded,
    TicketStatusChanged,
)


def ten_days_ago() -> datetime:
    """A ticket start far enough back that every short target has passed."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)


async def publish(
    js: JetStreamContext, subject: str, message: Message, msg_id: str | None = None
) -> None:
    """Publish `message` with `Nats-Msg-Id`, its id unless `msg_id` overrides it."""
    headers = {"Nats-Msg-Id": msg_id or str(message.id)}
    await js.publish(subject, msgspec.json.encode(message), headers=headers)


async def consumer_drained(js: JetStreamContext, durable: str) -> bool:
    """Return whether the durable consumer has handled and acknowledged every ticket event."""
    info = await js.consumer_info(streams.TICKET_EVENTS.name, durable)
    return info.num_pending == 0 and info.num_ack_pending == 0


def ticket_created(
    created_at: datetime,
    tier: str | None,
    priority: TicketPriority = TicketPriority.HIGH,
    ticket_id: uuid.UUID | None = None,
) -> TicketCreated:
    return TicketCreated(
        ticket_id=ticket_id or uuid.uuid4(),
        number=1,
        version=1,
        subject="Printer on fire",
        status=TicketStatus.OPEN,
        priority=priority,
        source=TicketSource.EMAIL,
        created_at=created_at,
        customer_tier=tier,
    )


async def publish_created(js: JetStreamContext, event: TicketCreated) -> None:
    await publish(js, subjects.TICKET_CREATED, event)


async def publish_first_response(
    js: JetStreamContext, ticket_id: uuid.UUID, responded_at: datetime, version: int = 2
) -> None:
    event = TicketFirstResponded(ticket_id=ticket_id, version=version, responded_at=responded_at)
    await publish(js, subjects.TICKET_FIRST_RESPONDED, event)


async def publish_status(
    js: JetStreamContext,
    ticket_id: uuid.UUID,
    version: int,
    from_status: TicketStatus,
    to_status: TicketStatus,
    changed_at: datetime,
) -> None:
    event = TicketStatusChanged(
        ticket_id=ticket_id,
        version=version,
        from_status=from_status,
        to_status=to_status,
        changed_at=changed_at,
        actor="agent@helpdesk.test",
    )
    await publish(js, subjects.TICKET_STATUS_CHANGED, event)


async def put_policy(
    base_url: str,
    tier: str | None,
    priority: TicketPriority,
    first_response_minutes: int | None,
    resolution_minutes: int | None,
) -> dict[str, Any]:
    body = {
        "tier": tier,
        "priority": priority.value,
        "first_response_minutes": first_response_minutes,
        "resolution_minutes": resolution_minutes,
    }
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.put("/policies", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def ticket_sla(base_url: str, ticket_id: uuid.UUID) -> dict[str, Any] | None:
    """Return the ticket's SLA as the API shows it, or None while it has none."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get(f"/tickets/{ticket_id}/sla")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def unique_tier(label: str) -> str:
    """A tier no other test uses, so each test owns its policies."""
    return f"{label}-{uuid.uuid4().hex[:8]}"


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def is_fallback(policy: dict[str, Any]) -> bool:
    """Return whether an API policy is a priority's fallback row: no tier and no narrowing."""
    narrowing = ("tier", "team", "category", "source")
    return all(policy.get(name) is None for name in narrowing)
