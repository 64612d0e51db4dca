"""`POST /inbound/raw`: inbound mail over HTTP, for providers that forward mail by webhook.

The body is one RFC 5322 message (`Content-Type: message/rfc822`). It goes through the
same pipeline as SMTP, so the reply 202 comes only after JetStream acknowledged the
event, or after the message was quarantined or recorded as a bounce. The caller proves
itself with `Authorization: Bearer <webhook_secret>`, compared in constant time. The
route exists only when a secret is set, so a gateway without one returns 404.

Replies are 202 accepted, 401 for a missing or wrong secret, 413 for a body over
`max_message_bytes`, 415 for another content type, and 503 with Retry-After when the
event could not be published (the raw message is stored and a retry finds it).
"""

import hmac
import uuid
from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.handlers import HTTPRouteHandler

from email_gateway.inbound import InboundPipeline
from email_gateway.models import RawStatus
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.messaging import PublishFailedError
from helpdesk_runtime.problems import problem_response

log = get_logger(__name__)

WEBHOOK_PATH = "/inbound/raw"
RETRY_AFTER_SECONDS = 30
_ACCEPTED_CONTENT_TYPES = frozenset({"message/rfc822", "application/octet-stream"})


class InboundAccepted(msgspec.Struct, kw_only=True):
    """The stored message and what became of it."""

    raw_message_id: uuid.UUID
    status: RawStatus
    message_id: str | None
    quarantine_reason: str | None


def inbound_webhook(pipeline: InboundPipeline, secret: str, max_bytes: int) -> HTTPRouteHandler:
    """Build the route handler of `POST /inbound/raw` for one secret and size limit."""
    expected_authorization = f"Bearer {secret}".encode()

    @post(
        WEBHOOK_PATH,
        status_code=202,
        request_max_body_size=max_bytes,
        tags=["inbound"],
        summary="Take in one raw message",
    )
    async def receive_raw_message(
        request: Request[Any, Any, Any],
    ) -> Response[InboundAccepted] | Response[dict[str, Any]]:
        authorization = request.headers.get("Authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(authorization, expected_authorization):
            log.warning("inbound webhook rejected: invalid credentials", peer=_peer(request))
            response = problem_response(
                request, 401, "Unauthorized", "The Authorization header must be Bearer <secret>."
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            return response

        content_type = request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type not in _ACCEPTED_CONTENT_TYPES:
            return problem_response(
                request,
                415,
                "Unsupported Media Type",
                f"The body must be message/rfc822, not {content_type or 'untyped'}.",
            )

        raw = await request.body()
        with bound_context(peer=_peer(request)):
            try:
                outcome = await pipeline.receive(raw, envelope_from="", envelope_recipients=[])
            except PublishFailedError:
                response = problem_response(
                    request,
                    503,
                    "Service Unavailable",
                    "The message is stored but could not be queued; send it again later.",
                )
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                return response

        return Response(
            InboundAccepted(
                raw_message_id=outcome.raw_id,
                status=outcome.status,
                message_id=outcome.message_id,
                quarantine_reason=outcome.quarantine_reason,
            ),
            status_code=202,
        )

    return receive_raw_message


def _peer(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client is not None else ""
