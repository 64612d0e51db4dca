"""The breach scheduler: fires each due timer once, across any number of replicas.

Each pass claims up to a batch of pending timers whose due time has come, oldest first,
with `FOR UPDATE SKIP LOCKED`, marks them fired and adds their `SlaWarning` or
`SlaBreached` to the outbox in the same transaction. A second replica skips the rows the
first has locked and, once that transaction commits, no longer sees them as pending, so
each timer gets one outbox row whichever replica fires it. A crash before the commit
leaves the timers pending for the next pass. The relay publishes each row with its event
id as `Nats-Msg-Id`, so a re-publish after a relay crash is dropped by JetStream's
duplicate window.

Between passes the scheduler sleeps until the earliest pending due time, read from the
partial index on pending timers, but never longer than `MAX_SLEEP_SECONDS`, so a timer
armed meanwhile by another transaction waits at most that long.
"""

import asyncio
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import Message, SlaBreached, SlaWarning
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.messaging import encode
from helpdesk_runtime.outbox import notify_channel
from sla_service.clock import Clock
from sla_service.models import SlaTimer, outbox
from sla_service.timers import BREACH_FRACTION, TimerState

log = get_logger(__name__)

MAX_SLEEP_SECONDS = 0.5


async def fire_due_timers(session: AsyncSession, now: datetime, limit: int) -> int:
    """Fire up to `limit` timers due at or before `now`; return how many. The caller commits."""
    claimed = (
        (
            await session.execute(
                select(SlaTimer)
                .where(SlaTimer.state == TimerState.PENDING.value, SlaTimer.due_at <= now)
                .order_by(SlaTimer.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    if not claimed:
        return 0

    await session.execute(
        update(SlaTimer)
        .where(SlaTimer.id.in_([timer.id for timer in claimed]))
        .values(state=TimerState.FIRED.value, fired_at=now)
    )

    await _write_events(session, [_event_of(timer, now) for timer in claimed])
    for timer in claimed:
        log.info(
            "sla target breached" if timer.fraction >= BREACH_FRACTION else "sla warning sent",
            ticket_id=str(timer.ticket_id),
            target=timer.target,
            fraction=timer.fraction,
            due_at=timer.target_due_at.isoformat(),
        )
    return len(claimed)


def _event_of(timer: SlaTimer, now: datetime) -> tuple[str, Message]:
    if timer.fraction >= BREACH_FRACTION:
        breached = SlaBreached(
            ticket_id=timer.ticket_id,
            target=timer.target,
            due_at=timer.target_due_at,
            breached_at=now,
        )
        return subjects.SLA_BREACHED, breached
    warning = SlaWarning(
        ticket_id=timer.ticket_id,
        target=timer.target,
        due_at=timer.target_due_at,
        fraction=timer.fraction,
    )
    return subjects.SLA_WARNING, warning


async def _write_events(session: AsyncSession, events: list[tuple[str, Message]]) -> None:
    # One multi-row insert and one NOTIFY for the batch, where `add_event` would take two
    # round trips per event; the rows are the ones `add_event` writes.
    await session.execute(
        outbox.insert().values(
            [
                {"id": event.id, "subject": subject, "payload": encode(event)}
                for subject, event in events
            ]
        )
    )
    await session.execute(
        text("SELECT pg_notify(:channel, '')"), {"channel": notify_channel(outbox)}
    )


async def next_due_at(session: AsyncSession) -> datetime | None:
    """Return the earliest due time of a pending timer, or None when none is pending."""
    earliest = func.min(SlaTimer.due_at)
    return await session.scalar(select(earliest).where(SlaTimer.state == TimerState.PENDING.value))


def seconds_to_sleep(next_due: datetime | None, now: datetime) -> float:
    """Return how long to wait before the next pass, at most `MAX_SLEEP_SECONDS`."""
    if next_due is None:
        return MAX_SLEEP_SECONDS
    return max(0.0, min(MAX_SLEEP_SECONDS, (next_due - now).total_seconds()))


async def run_pass(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, batch_size: int
) -> int:
    """Fire one batch of due timers in its own transaction; return how many fired."""
    async with unit_of_work(sessions) as session:
        return await fire_due_timers(session, clock.now(), batch_size)


async def run_scheduler(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, batch_size: int
) -> None:
    """Fire due timers until cancelled."""
    while True:
        fired = await run_pass(sessions, clock, batch_size)
        # A full batch means more may be due right now, so go again without sleeping.
        if fired >= batch_size:
            continue

        async with sessions() as session:
            next_due = await next_due_at(session)
        await asyncio.sleep(seconds_to_sleep(next_due, clock.now()))
