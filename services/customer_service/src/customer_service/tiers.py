"""The managed list of customer tiers."""

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from customer_service.models import Tier
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.problems import ProblemError

log = get_logger(__name__)

TierName = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^\S(.*\S)?$")]


class TierCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A tier to add to the list."""

    name: TierName


class TierOut(msgspec.Struct, kw_only=True):
    name: str


async def require_tier(session: AsyncSession, tier: str, field: str = "$.tier") -> None:
    """Raise a 400 problem naming `field` when `tier` is not in the managed list."""
    if await session.get(Tier, tier) is None:
        names = (await session.execute(select(Tier.name).order_by(Tier.name))).scalars().all()
        raise ProblemError(
            400,
            "Invalid tier",
            f"Tier {tier!r} is not one of the managed tiers {list(names)}; "
            "add it with POST /tiers first.",
            field=field,
        )


class TierController(Controller):
    path = "/tiers"
    tags = ["tiers"]

    @get("/")
    async def list_tiers(self, sessions: Sessions) -> list[TierOut]:
        """List the tiers customers may be given."""
        async with sessions() as session:
            names = (await session.execute(select(Tier.name).order_by(Tier.name))).scalars()
            return [TierOut(name=name) for name in names]

    @post("/")
    async def add_tier(self, data: JSONBody[TierCreate], sessions: Sessions) -> TierOut:
        """Add a tier. Adding an existing one changes nothing."""
        async with unit_of_work(sessions) as session:
            await session.execute(insert(Tier).values(name=data.name).on_conflict_do_nothing())
        log.info("tier added", tier=data.name)
        return TierOut(name=data.name)
