"""Response headers that lock the pages down, and the client address used by rate limits."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import Message, Scope

from portal_api.settings import PortalSettings


def content_security_policy(settings: PortalSettings) -> str:
    """Return the CSP: only the portal's own scripts, styles and connections.

    No inline script or style is allowed anywhere, so an injected tag cannot run. A logo
    on another host is the one exception, for images only.
    """
    image_sources = "'self'"
    logo = urlsplit(settings.logo_url)
    if logo.scheme in {"http", "https"} and logo.netloc:
        image_sources += f" {logo.scheme}://{logo.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {image_sources}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers_hook(settings: PortalSettings) -> Callable[[Message, Scope], None]:
    """Build a before-send hook adding the security headers to every HTTP response.

    A hook rather than a middleware, because Litestar runs it for the router's own 404
    and 405 responses too, which no middleware receives.
    """
    headers = {
        "content-security-policy": content_security_policy(settings),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    if settings.cookie_secure:
        headers["strict-transport-security"] = "max-age=31536000"

    def add_headers(message: Message, scope: Scope) -> None:
        if scope["type"] != ScopeType.HTTP or message["type"] != "http.response.start":
            return
        response_headers = MutableScopeHeaders.from_message(message)
        for name, value in headers.items():
            # A response may set its own, stricter policy, as attachment downloads do.
            if name not in response_headers:
                response_headers[name] = value

    return add_headers


def client_ip(request: Request[Any, Any, Any], settings: PortalSettings) -> str:
    """Return the client's IP address, from X-Forwarded-For only when configured to trust it."""
    if settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",", 1)[0].strip()
        if first:
            return first
    return request.client.host if request.client else "unknown"
