"""Intake forms: definitions agents manage, and the answers a submission gives to them.

A form asks for typed fields and presets category, team, priority and tags on every
ticket submitted with it; the presets override what routing rules set. Forms marked
`anonymous` are also offered on the web form, which needs no sign-in. A deactivated form
is no longer offered or accepted, but stays stored for the tickets that name it.
"""

import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import FormFieldType, TicketPriority
from helpdesk_contracts.messages import AttachmentInfo, IntakeForm, IntakeFormField
from helpdesk_runtime.logging import get_logger
from ticket_service.classification import check_category, normalize_tags
from ticket_service.errors import TicketError
from ticket_service.models import IntakeFormRecord
from ticket_service.teams import check_team

log = get_logger(__name__)

MAX_FIELDS = 50
MAX_OPTIONS = 200
MAX_TEXT_LENGTH = 10_000
MAX_LONG_TEXT_LENGTH = 100_000

# Keys are identifiers, so they read well in stored JSON and in the agent API.
_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")

# Submission errors name these fields themselves, so a form field may not reuse them.
RESERVED_KEYS = frozenset({"subject", "text_body", "form_id", "source", "sender", "viewer"})

_CHOICE_TYPES = frozenset({FormFieldType.SELECT, FormFieldType.MULTI_SELECT})
_CHECKED = frozenset({"true", "on", "yes", "1"})
_UNCHECKED = frozenset({"false", "off", "no", "0", ""})


class IntakeFormNotFoundError(TicketError):
    """Raised when no intake form has the requested id."""

    def __init__(self, form_id: uuid.UUID) -> None:
        super().__init__(f"No intake form with id {form_id}.")


class InvalidIntakeFormError(TicketError):
    """Raised for a definition that cannot be stored; `field` is the JSON path at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidAnswerError(Exception):
    """Raised for a submitted answer that its field does not accept; the message says why."""


@dataclass(frozen=True)
class FormDefinition:
    """An intake form as an agent defines it."""

    name: str
    description: str = ""
    fields: tuple[IntakeFormField, ...] = ()
    anonymous: bool = False
    category: str | None = None
    team: str | None = None
    priority: TicketPriority | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldError:
    """A rejected answer: the form field's `key` and the reason in `message`."""

    key: str
    message: str


def check_definition(definition: FormDefinition) -> None:
    """Raise `InvalidIntakeFormError` for the first problem of the definition's fields."""
    if not definition.name.strip():
        raise InvalidIntakeFormError("$.name", "The form name must not be blank.")
    if len(definition.fields) > MAX_FIELDS:
        raise InvalidIntakeFormError("$.fields", f"A form has at most {MAX_FIELDS} fields.")

    seen: set[str] = set()
    for index, field in enumerate(definition.fields):
        path = f"$.fields[{index}]"
        _check_field(field, path)
        if field.key in seen:
            raise InvalidIntakeFormError(
                f"{path}.key", f"The key {field.key!r} is used by an earlier field of the form."
            )
        seen.add(field.key)


def _check_field(field: IntakeFormField, path: str) -> None:
    if not _KEY_PATTERN.match(field.key):
        raise InvalidIntakeFormError(
            f"{path}.key",
            f"The key {field.key!r} is invalid: use a lower-case letter followed by up to "
            "63 lower-case letters, digits or underscores.",
        )
    if field.key in RESERVED_KEYS:
        raise InvalidIntakeFormError(
            f"{path}.key", f"The key {field.key!r} is reserved; choose another key."
        )
    if not field.label.strip():
        raise InvalidIntakeFormError(f"{path}.label", "The field label must not be blank.")
    _check_options(field, path)


def _check_options(field: IntakeFormField, path: str) -> None:
    if field.type not in _CHOICE_TYPES:
        if field.options:
            raise InvalidIntakeFormError(
                f"{path}.options", f"A {field.type.value} field takes no options."
            )
        return

    if not field.options:
        raise InvalidIntakeFormError(
            f"{path}.options", f"A {field.type.value} field needs at least one option."
        )
    if len(field.options) > MAX_OPTIONS:
        raise InvalidIntakeFormError(
            f"{path}.options", f"A field has at most {MAX_OPTIONS} options."
        )
    if any(not option.strip() for option in field.options):
        raise InvalidIntakeFormError(f"{path}.options", "An option must not be blank.")
    if len(set(field.options)) != len(field.options):
        raise InvalidIntakeFormError(f"{path}.options", "The options must not repeat.")


async def create_form(
    session: AsyncSession, definition: FormDefinition, now: datetime
) -> IntakeFormRecord:
    """Store a new active form; raise `InvalidIntakeFormError` or `UnknownCategoryError`."""
    check_definition(definition)
    await check_category(session, definition.category)
    await check_team(session, definition.team, "$.team")
    form = IntakeFormRecord(id=uuid.uuid4(), active=True, created_at=now)
    _apply_definition(form, definition, now)
    session.add(form)
    await session.flush()
    log.info("intake form created", form_id=str(form.id), name=form.name)
    return form


async def update_form(
    session: AsyncSession, form_id: uuid.UUID, definition: FormDefinition, now: datetime
) -> IntakeFormRecord:
    """Replace a form's definition; tickets submitted earlier keep their stored answers."""
    check_definition(definition)
    await check_category(session, definition.category)
    await check_team(session, definition.team, "$.team")
    form = await get_form(session, form_id, for_update=True)
    _apply_definition(form, definition, now)
    await session.flush()
    log.info("intake form updated", form_id=str(form.id), name=form.name)
    return form


async def deactivate_form(
    session: AsyncSession, form_id: uuid.UUID, now: datetime
) -> IntakeFormRecord:
    """Stop offering and accepting a form; deactivating twice changes nothing more."""
    form = await get_form(session, form_id, for_update=True)
    if form.active:
        form.active = False
        form.updated_at = now
        await session.flush()
        log.info("intake form deactivated", form_id=str(form.id), name=form.name)
    return form


def _apply_definition(form: IntakeFormRecord, definition: FormDefinition, now: datetime) -> None:
    form.name = definition.name.strip()
    form.description = definition.description
    form.fields = [msgspec.to_builtins(field) for field in definition.fields]
    form.anonymous = definition.anonymous
    form.category = definition.category
    form.team = definition.team
    form.priority = definition.priority
    form.tags = normalize_tags(definition.tags)
    form.updated_at = now


async def get_form(
    session: AsyncSession, form_id: uuid.UUID, *, for_update: bool = False
) -> IntakeFormRecord:
    """Return the form, active or not, or raise `IntakeFormNotFoundError`."""
    form = await session.get(
        IntakeFormRecord, form_id, with_for_update=for_update, populate_existing=for_update
    )
    if form is None:
        raise IntakeFormNotFoundError(form_id)
    return form


async def list_forms(
    session: AsyncSession, *, include_inactive: bool = False, anonymous_only: bool = False
) -> list[IntakeFormRecord]:
    """Return forms by name: the active ones unless `include_inactive`."""
    query = select(IntakeFormRecord).order_by(IntakeFormRecord.name, IntakeFormRecord.id)
    if not include_inactive:
        query = query.where(IntakeFormRecord.active)
    if anonymous_only:
        query = query.where(IntakeFormRecord.anonymous)
    return list(await session.scalars(query))


async def form_name_of(session: AsyncSession, form_id: uuid.UUID | None) -> str | None:
    """Return the name of the form, or None without a form."""
    if form_id is None:
        return None
    name: str | None = await session.scalar(
        select(IntakeFormRecord.name).where(IntakeFormRecord.id == form_id)
    )
    return name


async def form_labels_of(session: AsyncSession, form_id: uuid.UUID | None) -> dict[str, str]:
    """Return the labels of the form's fields by key, of an inactive form too."""
    if form_id is None:
        return {}
    form = await session.get(IntakeFormRecord, form_id)
    if form is None:
        return {}
    return {field.key: field.label for field in form_fields(form)}


def form_fields(form: IntakeFormRecord) -> tuple[IntakeFormField, ...]:
    """Return the form's stored fields as contract structs."""
    return msgspec.convert(form.fields, tuple[IntakeFormField, ...])


def form_view(form: IntakeFormRecord) -> IntakeForm:
    """Return the form as the portal contract carries it."""
    return IntakeForm(
        id=form.id,
        name=form.name,
        description=form.description,
        fields=form_fields(form),
        anonymous=form.anonymous,
        category=form.category,
        team=form.team,
        priority=form.priority,
        tags=tuple(form.tags),
    )


def validate_values(
    fields: Sequence[IntakeFormField],
    values: Mapping[str, object],
    attachments: Sequence[AttachmentInfo],
) -> tuple[dict[str, object], list[FieldError]]:
    """Check submitted answers against the form's fields.

    Returns the answers to store (normalized, empty optional answers left out) and one
    error per rejected field. A file field's answer must be the SHA-256 of one of the
    submitted attachments.
    """
    known = {field.key for field in fields}
    errors = [FieldError(key, "This form has no such field.") for key in values if key not in known]
    stored: dict[str, object] = {}
    digests = frozenset(attachment.sha256 for attachment in attachments)

    for field in fields:
        raw = values.get(field.key)
        if _is_empty(raw):
            if field.required:
                errors.append(FieldError(field.key, f"{field.label} is required."))
            continue
        try:
            value = _convert(field, raw, digests)
        except InvalidAnswerError as exc:
            errors.append(FieldError(field.key, str(exc)))
            continue
        # A box sent as "off" is as unchecked as one left out.
        if value is False:
            if field.required:
                errors.append(FieldError(field.key, f"{field.label} is required."))
            continue
        stored[field.key] = value
    return stored, errors


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return not value
    # An unchecked box is no answer, so a required checkbox must be checked.
    return value is False


def _convert(field: IntakeFormField, value: object, digests: frozenset[str]) -> object:
    """Return the value to store for one non-empty answer, or raise `InvalidAnswerError`."""
    if field.type is FormFieldType.SELECT:
        return _choice(field, value)
    if field.type is FormFieldType.MULTI_SELECT:
        return _choices(field, value)
    if field.type is FormFieldType.FILE:
        return _file(value, digests)
    return _VALUE_CONVERTERS[field.type](value)


def _text(value: object, max_length: int) -> str:
    if not isinstance(value, str):
        raise InvalidAnswerError("Enter text.")
    if len(value) > max_length:
        raise InvalidAnswerError(f"Enter at most {max_length} characters.")
    return value.replace("\x00", "")


def _choice(field: IntakeFormField, value: object) -> str:
    if not isinstance(value, str) or value not in field.options:
        raise InvalidAnswerError(f"Choose one of: {', '.join(field.options)}.")
    return value


def _choices(field: IntakeFormField, value: object) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise InvalidAnswerError("Choose one or more of the listed options.")
    unknown = [item for item in items if item not in field.options]
    if unknown:
        raise InvalidAnswerError(f"Choose only from: {', '.join(field.options)}.")
    # Stored in the form's order without repeats, however the browser sent them.
    chosen = set(items)
    return [option for option in field.options if option in chosen]


def _date(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidAnswerError("Enter a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InvalidAnswerError("Enter a date as YYYY-MM-DD.") from None


def _number(value: object) -> int | float:
    # HTML forms send numbers as text, so a numeric string is accepted too.
    if isinstance(value, bool):
        raise InvalidAnswerError("Enter a number.")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise InvalidAnswerError("Enter a number.") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidAnswerError("Enter a number.")
    return value


def _checkbox(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _CHECKED | _UNCHECKED:
        return value.strip().lower() in _CHECKED
    raise InvalidAnswerError("Check the box or leave it unchecked.")


def _file(value: object, digests: frozenset[str]) -> str:
    if not isinstance(value, str) or not _SHA256_PATTERN.match(value):
        raise InvalidAnswerError("Attach a file.")
    if value not in digests:
        raise InvalidAnswerError(
            "The file is not among the submitted attachments; attach it again."
        )
    return value


# Converters of the types whose answers need nothing but the value itself.
_VALUE_CONVERTERS: dict[FormFieldType, Callable[[object], object]] = {
    FormFieldType.TEXT: lambda value: _text(value, MAX_TEXT_LENGTH),
    FormFieldType.LONG_TEXT: lambda value: _text(value, MAX_LONG_TEXT_LENGTH),
    FormFieldType.DATE: _date,
    FormFieldType.NUMBER: _number,
    FormFieldType.CHECKBOX: _checkbox,
}
