"""Authentication of agent API calls by API key, and the permission guards of routes.

Every call except the health, readiness, metrics and OpenAPI pages carries
`Authorization: Bearer hdk_<key id>_<secret>`. The key's agent becomes `request.user`,
and handlers record its handle as the author or actor of what they change.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.openapi.spec import SecurityScheme
from litestar.types import ASGIApp, Guard
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.problems import problem_response
from ticket_service.api_keys import agent_of_key
from ticket_service.roles import Permission, permissions_of
from ticket_service.tickets import utc_now

log = get_logger(__name__)

# Paths served without a key: probes, metrics and the OpenAPI pages (regular expressions).
PUBLIC_PATHS = ["^/health$", "^/ready$", "^/metrics$", "^/schema"]

SECURITY_SCHEME_NAME = "ApiKey"
SECURITY_SCHEME = SecurityScheme(
    type="http",
    scheme="bearer",
    bearer_format="hdk_<key id>_<secret>",
    description="An agent's API key, from POST /agents/{handle}/keys or "
    "`python -m ticket_service keys create <handle>`.",
)


@dataclass(frozen=True)
class AuthenticatedAgent:
    """The agent whose key authenticated the request."""

    id: uuid.UUID
    handle: str
    role: str

    def may(self, permission: Permission) -> bool:
        """Return whether the agent's role grants `permission`."""
        return permission in permissions_of(self.role)


class AuthenticationFailedError(Exception):
    """Raised when a request carries no key, or one that does not work."""

    def __init__(self, detail: str, invalid_token: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.invalid_token = invalid_token


class PermissionDeniedError(Exception):
    """Raised when the authenticated agent's role lacks the route's permission."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class AgentAuthentication(AbstractAuthenticationMiddleware):
    """Find the agent of the request's bearer key; refuse the request without one."""

    def __init__(
        self,
        app: ASGIApp,
        sessions: Callable[[], async_sessionmaker[AsyncSession]],
        exclude: list[str] | None = None,
    ) -> None:
        super().__init__(app, exclude=exclude)
        self.sessions = sessions

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
        header = connection.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if not header:
            raise AuthenticationFailedError(
                "Send an agent's API key as Authorization: Bearer <key>.", invalid_token=False
            )
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthenticationFailedError(
                "The Authorization header must read Bearer <key>.", invalid_token=True
            )

        async with unit_of_work(self.sessions()) as session:
            agent = await agent_of_key(session, key.strip(), utc_now())
        if agent is None:
            # One response for unknown, revoked and malformed keys and inactive agents, so a
            # caller learns nothing about which keys exist.
            log.info("api key rejected", path=connection.url.path)
            raise AuthenticationFailedError(
                "The API key is unknown or revoked, or its agent is inactive.",
                invalid_token=True,
            )
        user = AuthenticatedAgent(id=agent.id, handle=agent.handle, role=agent.role)
        return AuthenticationResult(user=user, auth=None)


def requires(permission: Permission) -> Guard:
    """Return a guard that admits only agents whose role grants `permission`."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        agent = connection.user
        if not isinstance(agent, AuthenticatedAgent) or not agent.may(permission):
            handle = getattr(agent, "handle", None)
            log.info("permission denied", handle=handle, permission=permission.value)
            raise PermissionDeniedError(
                f"The role of this agent does not grant {permission.value!r}."
            )

    return guard


def acting_agent(request: Request[Any, Any, Any]) -> AuthenticatedAgent:
    """Return the authenticated agent of a request that passed the middleware."""
    agent = request.user
    assert isinstance(agent, AuthenticatedAgent)
    return agent


def actor_of(request: Request[Any, Any, Any]) -> str:
    """Return the handle recorded as author or actor of the request's changes."""
    return acting_agent(request).handle


def handle_authentication_failed(
    request: Request[Any, Any, Any], exc: AuthenticationFailedError
) -> Response[Any]:
    """Return 401 with the challenge of RFC 6750."""
    response = problem_response(request, 401, "Unauthorized", exc.detail)
    challenge = 'Bearer realm="helpdesk"'
    if exc.invalid_token:
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def handle_permission_denied(
    request: Request[Any, Any, Any], exc: PermissionDeniedError
) -> Response[Any]:
    """Return 403 for an authenticated agent without the permission."""
    return problem_response(request, 403, "Forbidden", exc.detail)
