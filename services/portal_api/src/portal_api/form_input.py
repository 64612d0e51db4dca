"""Turning submitted intake-form fields into the `form_values` of a submit request.

Inputs are named `field_<key>` so they never collide with the fixed inputs (subject,
message, CSRF token). Only conversion problems are found here; required fields and
allowed choices are checked by ticket_service, whose field errors are shown the same way.
"""

from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import FormMultiDict, UploadFile

from helpdesk_contracts.enums import FormFieldType
from helpdesk_contracts.messages import AttachmentInfo, IntakeForm
from helpdesk_runtime.blobs import BlobStorage
from portal_api.uploads import UploadRejectedError, store_upload

FIELD_PREFIX = "field_"


@dataclass
class FormInput:
    """Converted values, the text to show again in the inputs, and per-field errors."""

    values: dict[str, object] = field(default_factory=dict)
    entered: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    attachments: list[AttachmentInfo] = field(default_factory=list)


def input_name(key: str) -> str:
    """Return the HTML input name of the form field `key`."""
    return FIELD_PREFIX + key


async def read_form_fields(
    form: IntakeForm, data: FormMultiDict, blobs: BlobStorage, max_bytes: int
) -> FormInput:
    """Convert each field of `form` from the submitted data."""
    result = FormInput()
    for form_field in form.fields:
        name = input_name(form_field.key)
        if form_field.type is FormFieldType.FILE:
            await _read_file(result, form_field.key, data.get(name), blobs, max_bytes)
        elif form_field.type is FormFieldType.MULTI_SELECT:
            chosen = [str(value) for value in data.getall(name, []) if str(value).strip()]
            result.entered[form_field.key] = chosen
            if chosen:
                result.values[form_field.key] = chosen
        elif form_field.type is FormFieldType.CHECKBOX:
            checked = str(data.get(name, "")) != ""
            result.entered[form_field.key] = checked
            result.values[form_field.key] = checked
        else:
            _read_text(result, form_field.key, form_field.type, str(data.get(name, "") or ""))
    return result


def _read_text(result: FormInput, key: str, field_type: FormFieldType, raw: str) -> None:
    text = raw.strip()
    result.entered[key] = text
    if not text:
        return
    if field_type is not FormFieldType.NUMBER:
        result.values[key] = text
        return
    number = _parse_number(text)
    if number is None:
        result.errors[key] = "Enter a number, such as 12 or 3.5."
        return
    result.values[key] = number


def _parse_number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


async def _read_file(
    result: FormInput, key: str, upload: object, blobs: BlobStorage, max_bytes: int
) -> None:
    if not isinstance(upload, UploadFile) or not (upload.filename or "").strip():
        return
    try:
        attachment = await store_upload(blobs, upload, max_bytes)
    except UploadRejectedError as exc:
        result.errors[key] = exc.message
        return
    result.attachments.append(attachment)
    result.values[key] = attachment.sha256
