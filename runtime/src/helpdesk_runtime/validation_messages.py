"""Plain messages for request validation errors that Litestar and msgspec word for code.

msgspec reports a failed `pattern` as the regular expression and a wrong enum value without
the allowed values. A missing body reaches the handler as Litestar's internal key "data".
These helpers turn such messages into what a caller needs to fix the request.
"""

import enum
import re
from typing import Any

import msgspec

_INVALID_ENUM = re.compile(r"^Invalid enum value (.+)$")
_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")

# msgspec's message for a string field constrained with `pattern=r"\S"`, the project's
# way of saying "not blank".
_NOT_BLANK_REGEX = "Expected `str` matching regex '\\\\S'"
MISSING_BODY_KEY = "'data'"


def readable_message(message: str, path: str, field_type: Any) -> str:
    """Return `message` reworded for a caller.

    `field_type` is the type the value was decoded into (the body's type or a parameter's),
    and `path` the JSON path of the invalid value inside it.
    """
    if message == MISSING_BODY_KEY:
        return "The request needs a JSON body."
    if message == _NOT_BLANK_REGEX:
        return "Must not be blank."

    invalid_enum = _INVALID_ENUM.match(message)
    if invalid_enum is not None and field_type is not None:
        allowed = _enum_values_at(field_type, path)
        if allowed:
            listed = ", ".join(repr(value) for value in allowed)
            return f"Invalid value {invalid_enum.group(1)}; expected one of {listed}."
    return message


def _enum_values_at(body_type: Any, path: str) -> list[str]:
    """Return the values of the enum at `path` in the body type, or [] when there is none."""
    try:
        info: Any = msgspec.inspect.type_info(body_type)
    except (TypeError, ValueError):
        return []

    for step in _PATH_STEP.finditer(path.removeprefix("$")):
        info = _unwrap(info)
        if step.group(1) is not None and isinstance(info, msgspec.inspect.StructType):
            field = next((f for f in info.fields if f.encode_name == step.group(1)), None)
            if field is None:
                return []
            info = field.type
        elif step.group(2) is not None and isinstance(
            info, msgspec.inspect.ListType | msgspec.inspect.VarTupleType
        ):
            info = info.item_type
        else:
            return []

    info = _unwrap(info)
    # A repeated query parameter decodes into a list, whose items are the choices.
    if isinstance(info, msgspec.inspect.ListType | msgspec.inspect.VarTupleType):
        info = _unwrap(info.item_type)
    if isinstance(info, msgspec.inspect.EnumType) and issubclass(info.cls, enum.Enum):
        return [str(member.value) for member in info.cls]
    if isinstance(info, msgspec.inspect.LiteralType):
        return [str(value) for value in info.values]
    return []


def _unwrap(info: Any) -> Any:
    """Return the one non-None member of an optional type, or the type itself."""
    if isinstance(info, msgspec.inspect.UnionType):
        members = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(members) == 1:
            return members[0]
    return info
