"""RFC 9457 problem details for every HTTP error a service returns.

Validation errors name the offending field in `errors[].field` (a JSON path such as
`$.status`), so a client can point at the exact input to fix.
"""

import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.validation_messages import readable_message

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
_JSON_PATH = re.compile(r"at `(\$[^`]*)`")
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")
# The start of msgspec's messages for a body that is not JSON, as Litestar passes them on.
_JSON_SYNTAX_ERRORS = ("JSON is malformed", "Input data was truncated")


class ProblemError(Exception):
    """An error that becomes a problem-details response with the given status."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.extra = extra or {}


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    """Build an `application/problem+json` response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON)


def _field_path(message: str, key: object) -> str:
    """Return the JSON path of the invalid field, from msgspec's message or Litestar's key.

    msgspec names nested fields as `at `$.a.b``, and missing or unknown keys only in the
    text; Litestar gives a bare key, or "data" when the body as a whole failed.
    """
    path = _JSON_PATH.search(message)
    named = _NAMED_FIELD.search(message)
    if named is not None:
        parent = path.group(1) if path else "$"
        return f"{parent}.{named.group(1)}"
    if path is not None:
        return path.group(1)
    if key and key != "data":
        return f"$.{key}"
    return "$"


def _public_name(request: Request[Any, Any, Any], key: object) -> object:
    """Return the name a caller uses for the handler parameter `key`."""
    try:
        definition = request.route_handler.parsed_fn_signature.parameters.get(str(key))
    except AttributeError:
        return key
    alias = getattr(definition.kwarg_definition, "name", None) if definition else None
    return alias or key


def _decoded_type(request: Request[Any, Any, Any], source: str, key: object) -> Any:
    """Return the type the handler decodes the invalid input into, or None.

    The body is the `data` parameter; a query, path or header value is the parameter whose
    name, or whose declared alias, is `key`.
    """
    try:
        parameters = request.route_handler.parsed_fn_signature.parameters
    except AttributeError:
        return None

    if source == "body":
        wanted = parameters.get("data")
    else:
        wanted = next(
            (
                definition
                for name, definition in parameters.items()
                if key in (name, getattr(definition.kwarg_definition, "name", None))
            ),
            None,
        )
    return wanted.annotation if wanted is not None else None


def _validation_errors(
    request: Request[Any, Any, Any], exc: ValidationException
) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    entries = exc.extra if isinstance(exc.extra, list) else []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        raw_message = str(entry.get("message", exc.detail))
        field = _field_path(raw_message, entry.get("key"))
        raw_source = entry.get("source", "")
        # Litestar reports body errors as "body" but parameters as a ParamType enum member.
        source = str(getattr(raw_source, "value", raw_source))
        decoded_type = _decoded_type(request, source, entry.get("key"))
        path_in_type = field if source == "body" else "$"
        if source != "body" and entry.get("key"):
            # Litestar names a parameter by its Python name; the caller knows its alias.
            field = f"$.{_public_name(request, entry.get('key'))}"
        message = readable_message(raw_message, path_in_type, decoded_type)
        errors.append({"field": field, "detail": message, "source": source})
    if not errors:
        errors.append({"field": _field_path(exc.detail, None), "detail": exc.detail})
    return errors


def handle_validation(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    errors = _validation_errors(request, exc)
    return problem_response(request, 400, "Invalid request", exc.detail, errors)


def handle_problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[dict[str, Any]]:
    errors = [{"field": exc.field, "detail": exc.detail}] if exc.field else None
    return problem_response(request, exc.status, exc.title, exc.detail, errors, exc.extra)


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status, detail = exc.status_code, exc.detail

    # Litestar parses any body as JSON, so a form or text body reads as malformed JSON.
    malformed_json = status == 400 and detail.startswith(_JSON_SYNTAX_ERRORS)
    if malformed_json and not _sent_json(request):
        status = 415
        detail = "Send the request body as JSON with the header Content-Type: application/json."
    elif malformed_json:
        # The same shape as every other invalid request, with the whole body at fault.
        errors = [{"field": "$", "detail": f"The body is not valid JSON: {detail}"}]
        return problem_response(request, 400, "Invalid request", detail, errors)

    # The router's own 404 also covers a path parameter of the wrong type, such as a
    # ticket number where a UUID belongs.
    if status == 404 and detail == "Not Found":
        detail = (
            f"Nothing is found at {request.url.path}. Check the path and the type of its "
            "parameters against the API's OpenAPI document."
        )
    return problem_response(request, status, _title_for(status), detail)


def _sent_json(request: Request[Any, Any, Any]) -> bool:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error", path=request.url.path)
    return problem_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal server error",
        "The server failed to handle the request; the error is logged.",
    )


def _title_for(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ValidationException: handle_validation,
    ProblemError: handle_problem,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType", "ProblemError"]
