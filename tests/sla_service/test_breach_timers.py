"""Breach and warning timers: sent once per target, cancelled when met, safe under races."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk_contracts.enums import TicketPriority
from helpdesk_runtime.database import create_session_factory
from helpdesk_runtime.settings import load_settings
from sla_service.app import build_runtime
from sla_service.models import SlaTimer
from sla_service.scheduler import run_pass
from sla_service.settings import SlaSettings
from tests.sla_service.events import (
    publish_created,
    publish_first_response,
    put_policy,
    ten_days_ago,
    ticket_created,
    unique_tier,
)
from tests.sla_service.sla_events import ManualClock, SlaEventLog
from tests.support.servers import wait_until


async def timer_states(engine: AsyncEngine, ticket_id: uuid.UUID) -> dict[tuple[str, float], str]:
    async with create_session_factory(engine)() as session:
        timers = (
            await session.execute(select(SlaTimer).where(SlaTimer.ticket_id == ticket_id))
        ).scalars()
        return {(timer.target, timer.fraction): timer.state for timer in timers}


async def outbox_drained(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        unpublished = await connection.scalar(
            text("SELECT count(*) FROM sla.outbox WHERE published_at IS NULL")
        )
    return unpublished == 0


async def test_overdue_ticket_warned_and_breached_once(
    sla_api: str, jetstream: JetStreamContext, sla_event_log: SlaEventLog, sla_engine: AsyncEngine
) -> None:
    tier = unique_tier("Breach")
    await put_policy(sla_api, tier, TicketPriority.HIGH, 60, 240)
    created = ticket_created(ten_days_ago(), tier, TicketPriority.HIGH)

    await publish_created(jetstream, created)

    async def all_sent() -> bool:
        return (
            len(sla_event_log.breaches_of(created.ticket_id)) >= 2
            and len(sla_event_log.warnings_of(created.ticket_id)) >= 4
        )

    await wait_until(all_sent)
    await wait_until(lambda: outbox_drained(sla_engine))

    breaches = sla_event_log.breaches_of(created.ticket_id)
    assert sorted(breach.target for breach in breaches) == ["first_response", "resolution"]
    by_target = {breach.target: breach for breach in breaches}
    assert by_target["first_response"].due_at == created.created_at + timedelta(minutes=60)
    assert by_target["resolution"].due_at == created.created_at + timedelta(minutes=240)
    warnings = sorted((w.target, w.fraction) for w in sla_event_log.warnings_of(created.ticket_id))
    assert warnings == [
        ("first_response", 0.75),
        ("first_response", 0.9),
        ("resolution", 0.75),
        ("resolution", 0.9),
    ]


async def test_met_first_response_cancels_its_timers(
    sla_api: str, jetstream: JetStreamContext, sla_engine: AsyncEngine
) -> None:
    tier = unique_tier("Met")
    await put_policy(sla_api, tier, TicketPriority.HIGH, 60, 240)
    created = ticket_created(datetime.now(UTC).replace(microsecond=0), tier, TicketPriority.HIGH)
    await publish_created(jetstream, created)
    await wait_until(lambda: timer_states(sla_engine, created.ticket_id))

    await publish_first_response(
        jetstream, created.ticket_id, created.created_at + timedelta(minutes=5)
    )

    async def first_response_cancelled() -> bool:
        states = await timer_states(sla_engine, created.ticket_id)
        return states.get(("first_response", 1.0)) == "cancelled"

    await wait_until(first_response_cancelled)
    states = await timer_states(sla_engine, created.ticket_id)
    assert states[("first_response", 0.75)] == "cancelled"
    assert states[("resolution", 1.0)] == "pending"


async def insert_due_timers(engine: AsyncEngine, count: int, due_at: datetime) -> list[uuid.UUID]:
    ticket_ids = [uuid.uuid4() for _ in range(count)]
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO sla.sla_timers (ticket_id, target, fraction, due_at, target_due_at)"
                " VALUES (:ticket_id, 'resolution', 1.0, :due_at, :due_at)"
            ),
            [{"ticket_id": ticket_id, "due_at": due_at} for ticket_id in ticket_ids],
        )
    return ticket_ids


async def test_racing_schedulers_send_each_breach_once(
    sla_api: str, sla_event_log: SlaEventLog, sla_engine: AsyncEngine
) -> None:
    ticket_ids = await insert_due_timers(sla_engine, 60, datetime.now(UTC) - timedelta(minutes=1))
    sessions = create_session_factory(sla_engine)
    clock = ManualClock()

    async def drain() -> None:
        # Small batches make the two passes interleave; the service's own scheduler
        # competes for the same rows as a third racer.
        while await run_pass(sessions, clock, batch_size=5):
            pass

    await asyncio.gather(drain(), drain())

    async def every_breach_seen() -> bool:
        return all(sla_event_log.breaches_of(ticket_id) for ticket_id in ticket_ids)

    await wait_until(every_breach_seen)
    await wait_until(lambda: outbox_drained(sla_engine))
    assert all(len(sla_event_log.breaches_of(ticket_id)) == 1 for ticket_id in ticket_ids)


async def test_timer_due_while_stopped_fires_once_after_restart(
    sla_api: str,
    nats_url: str,
    database_url: str,
    sla_event_log: SlaEventLog,
    sla_engine: AsyncEngine,
) -> None:
    # Due a day from now by the real clock, so the shared service does not fire it.
    due_at = datetime.now(UTC) + timedelta(days=1)
    (ticket_id,) = await insert_due_timers(sla_engine, 1, due_at)
    clock = ManualClock(due_at - timedelta(minutes=1))
    settings = load_settings(
        SlaSettings, environ={}, nats_url=nats_url, database_url=database_url, log_level="warning"
    )

    runtime = build_runtime(settings, clock)
    await runtime.start()
    await runtime.stop()
    assert (await timer_states(sla_engine, ticket_id))[("resolution", 1.0)] == "pending"

    clock.advance(timedelta(minutes=2))
    restarted = build_runtime(settings, clock)
    await restarted.start()
    try:

        async def breach_seen() -> bool:
            return bool(sla_event_log.breaches_of(ticket_id))

        await wait_until(breach_seen)
        await wait_until(lambda: outbox_drained(sla_engine))
    finally:
        await restarted.stop()

    (breach,) = sla_event_log.breaches_of(ticket_id)
    assert breach.due_at == due_at
    assert breach.breached_at == clock.now()
