"""Onboarding plans: the ordered steps that bring a new customer live."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_service.api import load_customer
from customer_service.models import OnboardingStep
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.problems import ProblemError

log = get_logger(__name__)


class StepStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    SKIPPED = "skipped"


Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Owner = Annotated[str, msgspec.Meta(max_length=200)]


class StepCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title
    owner: Owner | None = None
    due_date: date | None = None
    status: StepStatus = StepStatus.PENDING


class StepUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Changes to a step. A field left out (or null) stays as it is."""

    title: Title | None = None
    owner: Owner | None = None
    due_date: date | None = None
    status: StepStatus | None = None


class StepOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    title: str
    owner: str | None
    due_date: date | None
    status: StepStatus


class PlanOut(msgspec.Struct, kw_only=True):
    """A customer's plan, whose `progress` is done steps / all steps (0 for an empty plan)."""

    customer_id: uuid.UUID
    steps: list[StepOut]
    progress: float


def plan_progress(steps: list[OnboardingStep]) -> float:
    """Return done steps / all steps, counting skipped steps as not done."""
    if not steps:
        return 0.0
    done = sum(1 for step in steps if step.status == StepStatus.DONE)
    return done / len(steps)


async def plan_steps(session: AsyncSession, customer_id: uuid.UUID) -> list[OnboardingStep]:
    """Return a customer's steps in plan order."""
    result = await session.execute(
        select(OnboardingStep)
        .where(OnboardingStep.customer_id == customer_id)
        .order_by(OnboardingStep.position, OnboardingStep.created_at)
    )
    return list(result.scalars())


def _step_out(step: OnboardingStep) -> StepOut:
    return StepOut(
        id=step.id,
        title=step.title,
        owner=step.owner,
        due_date=step.due_date,
        status=StepStatus(step.status),
    )


async def _load_step(
    session: AsyncSession, customer_id: uuid.UUID, step_id: uuid.UUID
) -> OnboardingStep:
    step = await session.get(OnboardingStep, step_id)
    if step is None or step.customer_id != customer_id:
        raise ProblemError(
            404, "Not found", f"No onboarding step {step_id} for customer {customer_id}."
        )
    return step


class OnboardingController(Controller):
    path = "/customers/{customer_id:uuid}/onboarding"
    tags = ["onboarding"]

    @get("/")
    async def get_plan(self, customer_id: FromPath[uuid.UUID], sessions: Sessions) -> PlanOut:
        """Show a customer's onboarding plan with its progress."""
        async with sessions() as session:
            await load_customer(session, customer_id)
            steps = await plan_steps(session, customer_id)
            return PlanOut(
                customer_id=customer_id,
                steps=[_step_out(s) for s in steps],
                progress=plan_progress(steps),
            )

    @post("/steps")
    async def add_step(
        self, customer_id: FromPath[uuid.UUID], data: JSONBody[StepCreate], sessions: Sessions
    ) -> StepOut:
        """Append a step to the end of the plan."""
        async with unit_of_work(sessions) as session:
            await load_customer(session, customer_id)
            last = await session.scalar(
                select(func.max(OnboardingStep.position)).where(
                    OnboardingStep.customer_id == customer_id
                )
            )
            step = OnboardingStep(
                id=uuid.uuid4(),
                customer_id=customer_id,
                position=(last or 0) + 1,
                title=data.title,
                owner=data.owner,
                due_date=data.due_date,
                status=data.status.value,
            )
            session.add(step)
            await session.flush()
        log.info("onboarding step added", customer_id=str(customer_id), step_id=str(step.id))
        return _step_out(step)

    @patch("/steps/{step_id:uuid}")
    async def update_step(
        self,
        customer_id: FromPath[uuid.UUID],
        step_id: FromPath[uuid.UUID],
        data: JSONBody[StepUpdate],
        sessions: Sessions,
    ) -> StepOut:
        """Change a step's title, owner, due date or status."""
        async with unit_of_work(sessions) as session:
            step = await _load_step(session, customer_id, step_id)
            if data.title is not None:
                step.title = data.title
            if data.owner is not None:
                step.owner = data.owner
            if data.due_date is not None:
                step.due_date = data.due_date
            if data.status is not None:
                step.status = data.status.value
            await session.flush()
            return _step_out(step)

    @delete("/steps/{step_id:uuid}")
    async def delete_step(
        self, customer_id: FromPath[uuid.UUID], step_id: FromPath[uuid.UUID], sessions: Sessions
    ) -> None:
        """Remove a step from the plan."""
        async with unit_of_work(sessions) as session:
            step = await _load_step(session, customer_id, step_id)
            await session.delete(step)
