"""Rendering pages with the brand, the signed-in account and the CSRF input in context."""

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Template
from litestar.status_codes import HTTP_404_NOT_FOUND

from helpdesk_runtime.problems import EXCEPTION_HANDLERS, handle_http
from portal_api.accounts import Account
from portal_api.service_requests import ServiceUnavailableError
from portal_api.settings import PortalSettings

ACCOUNT_STATE_KEY = "portal_account"


def brand_context(settings: PortalSettings) -> dict[str, Any]:
    """Return the branding every page shows."""
    return {
        "product_name": settings.product_name,
        "logo_url": settings.logo_url,
        "min_password_length": settings.min_password_length,
    }


def render(
    request: Request[Any, Any, Any],
    settings: PortalSettings,
    template_name: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render a page of the portal."""
    page_context = {
        **brand_context(settings),
        "account": request.scope.get("state", {}).get(ACCOUNT_STATE_KEY),
        **context,
    }
    return Template(template_name=template_name, context=page_context, status_code=status_code)


def remember_account(request: Request[Any, Any, Any], account: Account) -> None:
    """Keep the signed-in account on the request for the page header."""
    request.scope.setdefault("state", {})[ACCOUNT_STATE_KEY] = account


class PageNotFoundError(NotFoundException):
    """A ticket or attachment that does not exist or that the viewer may not see."""


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "") or request.method == "POST"


def _error_page(
    request: Request[Any, Any, Any], status: int, title: str, detail: str
) -> Response[Any]:
    settings: PortalSettings = request.app.state.portal_settings
    engine = request.app.template_engine
    if engine is None:
        raise RuntimeError("the portal app has no template engine")
    html = engine.get_template("error.html").render(
        **brand_context(settings),
        account=request.scope.get("state", {}).get(ACCOUNT_STATE_KEY),
        status=status,
        title=title,
        detail=detail,
        request=request,
        csrf_input="",
        hide_sign_out=True,
    )
    return Response(content=html, status_code=status, media_type=MediaType.HTML)


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Return an HTML error page for pages and problem details for the API."""
    if not _wants_html(request):
        return handle_http(request, exc)
    if exc.status_code == HTTP_404_NOT_FOUND:
        return _error_page(
            request, 404, "Not found", "There is nothing here, or it is not yours to see."
        )
    if exc.status_code == 403:
        return _error_page(
            request,
            403,
            "Request rejected",
            "The form had expired or was not sent from this portal. Go back, reload the "
            "page and try again.",
        )
    return _error_page(request, exc.status_code, "Something went wrong", str(exc.detail))


def handle_unavailable(
    request: Request[Any, Any, Any], exc: ServiceUnavailableError
) -> Response[Any]:
    """Return 503 when ticket_service or customer_service did not reply."""
    detail = "The help desk is not answering right now. Please try again in a minute."
    if not _wants_html(request):
        return handle_http(request, HTTPException(status_code=503, detail=detail))
    return _error_page(request, 503, "Temporarily unavailable", detail)


PORTAL_EXCEPTION_HANDLERS: dict[Any, Any] = {
    **EXCEPTION_HANDLERS,
    HTTPException: handle_http_error,
    ServiceUnavailableError: handle_unavailable,
}
