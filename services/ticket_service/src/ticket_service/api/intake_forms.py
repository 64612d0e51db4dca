"""Intake forms in the agent API: create, list, show, replace and deactivate."""

import contextlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from helpdesk_contracts.enums import FormFieldType, TicketPriority
from helpdesk_contracts.messages import IntakeFormField
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.problems import ProblemError
from ticket_service.api.authentication import requires
from ticket_service.api.schemas import CategoryName, Tag, Team
from ticket_service.intake_forms import (
    MAX_FIELDS,
    MAX_OPTIONS,
    FormDefinition,
    IntakeFormNotFoundError,
    InvalidIntakeFormError,
    create_form,
    deactivate_form,
    form_fields,
    get_form,
    list_forms,
    update_form,
)
from ticket_service.models import IntakeFormRecord
from ticket_service.roles import Permission
from ticket_service.tickets import utc_now

Label = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Option = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]


class FormFieldIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A question of the form. Select and multi-select fields need `options`; others take none."""

    key: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=64,
            description="Identifier of the answer: a lower-case letter, then letters, "
            "digits or underscores.",
        ),
    ]
    label: Label
    type: FormFieldType
    required: bool = False
    help_text: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    options: Annotated[list[Option], msgspec.Meta(max_length=MAX_OPTIONS)] = msgspec.field(
        default_factory=list
    )


class IntakeFormIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A form definition; the presets apply to every ticket submitted with it."""

    name: Label
    description: Annotated[str, msgspec.Meta(max_length=5000)] = ""
    fields: Annotated[list[FormFieldIn], msgspec.Meta(max_length=MAX_FIELDS)] = msgspec.field(
        default_factory=list
    )
    anonymous: bool = False
    category: CategoryName | None = None
    team: Team | None = None
    priority: TicketPriority | None = None
    tags: list[Tag] = msgspec.field(default_factory=list)


class IntakeFormOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    description: str
    fields: list[IntakeFormField]
    anonymous: bool
    active: bool
    category: str | None
    team: str | None
    priority: TicketPriority | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


def _definition(data: IntakeFormIn) -> FormDefinition:
    return FormDefinition(
        name=data.name,
        description=data.description,
        fields=tuple(
            IntakeFormField(
                key=field.key,
                label=field.label.strip(),
                type=field.type,
                required=field.required,
                help_text=field.help_text,
                options=tuple(option.strip() for option in field.options),
            )
            for field in data.fields
        ),
        anonymous=data.anonymous,
        category=data.category,
        team=data.team,
        priority=data.priority,
        tags=tuple(data.tags),
    )


def _form_out(form: IntakeFormRecord) -> IntakeFormOut:
    return IntakeFormOut(
        id=form.id,
        name=form.name,
        description=form.description,
        fields=list(form_fields(form)),
        anonymous=form.anonymous,
        active=form.active,
        category=form.category,
        team=form.team,
        priority=form.priority,
        tags=list(form.tags),
        created_at=form.created_at,
        updated_at=form.updated_at,
    )


@contextlib.contextmanager
def _as_problems() -> Iterator[None]:
    try:
        yield
    except InvalidIntakeFormError as exc:
        raise ProblemError(400, "Invalid intake form", str(exc), field=exc.field) from exc
    except IntakeFormNotFoundError as exc:
        raise ProblemError(404, "Intake form not found", str(exc)) from exc


class IntakeFormController(Controller):
    path = "/intake-forms"
    tags = ["intake forms"]

    @get("/")
    async def list_forms(
        self, sessions: Sessions, include_inactive: FromQuery[bool] = False
    ) -> list[IntakeFormOut]:
        """List the forms by name; deactivated ones only with `include_inactive`."""
        async with sessions() as session:
            forms = await list_forms(session, include_inactive=include_inactive)
        return [_form_out(form) for form in forms]

    @post("/", status_code=201, guards=[requires(Permission.CONFIGURE)])
    async def create_form(self, data: JSONBody[IntakeFormIn], sessions: Sessions) -> IntakeFormOut:
        """Add an active form. A select field without options, a repeated key or an unknown
        category is a 400 naming the field."""
        with _as_problems():
            async with unit_of_work(sessions) as session:
                form = await create_form(session, _definition(data), utc_now())
                return _form_out(form)

    @get("/{form_id:uuid}")
    async def get_form(self, form_id: FromPath[uuid.UUID], sessions: Sessions) -> IntakeFormOut:
        """Show a form, active or not."""
        with _as_problems():
            async with sessions() as session:
                return _form_out(await get_form(session, form_id))

    @put("/{form_id:uuid}", guards=[requires(Permission.CONFIGURE)])
    async def replace_form(
        self, form_id: FromPath[uuid.UUID], data: JSONBody[IntakeFormIn], sessions: Sessions
    ) -> IntakeFormOut:
        """Replace the form's definition; tickets submitted earlier keep their answers."""
        with _as_problems():
            async with unit_of_work(sessions) as session:
                form = await update_form(session, form_id, _definition(data), utc_now())
                return _form_out(form)

    @post("/{form_id:uuid}/deactivate", status_code=200, guards=[requires(Permission.CONFIGURE)])
    async def deactivate_form(
        self, form_id: FromPath[uuid.UUID], sessions: Sessions
    ) -> IntakeFormOut:
        """Stop offering the form in the portal; it stays listed with `include_inactive`."""
        with _as_problems():
            async with unit_of_work(sessions) as session:
                return _form_out(await deactivate_form(session, form_id, utc_now()))
