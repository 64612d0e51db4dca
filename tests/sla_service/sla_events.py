"""Reading the SLA events sla_service publishes, and a clock tests move by hand."""

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
from nats.aio.msg import Msg

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import SlaBreached, SlaTargetsSet, SlaWarning


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class SlaEventLog:
    """Every SLA event in the SLA_EVENTS stream, by ticket id, in stream order."""

    def __init__(self) -> None:
        self.breaches: dict[uuid.UUID, list[SlaBreached]] = {}
        self.warnings: dict[uuid.UUID, list[SlaWarning]] = {}
        self.targets: dict[uuid.UUID, list[SlaTargetsSet]] = {}

    async def on_message(self, message: Msg) -> None:
        if message.subject == subjects.SLA_BREACHED:
            breach = msgspec.json.decode(message.data, type=SlaBreached)
            self.breaches.setdefault(breach.ticket_id, []).append(breach)
        elif message.subject == subjects.SLA_WARNING:
            warning = msgspec.json.decode(message.data, type=SlaWarning)
            self.warnings.setdefault(warning.ticket_id, []).append(warning)
        elif message.subject == subjects.SLA_TARGETS_SET:
            targets = msgspec.json.decode(message.data, type=SlaTargetsSet)
            self.targets.setdefault(targets.ticket_id, []).append(targets)

    def breaches_of(self, ticket_id: uuid.UUID) -> list[SlaBreached]:
        return self.breaches.get(ticket_id, [])

    def warnings_of(self, ticket_id: uuid.UUID) -> list[SlaWarning]:
        return self.warnings.get(ticket_id, [])

    def targets_of(self, ticket_id: uuid.UUID) -> list[SlaTargetsSet]:
        return self.targets.get(ticket_id, [])
