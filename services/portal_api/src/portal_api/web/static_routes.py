"""The portal's own CSS and JavaScript, and the brand colours generated from settings.

Nothing is loaded from a CDN: the CSP allows only this origin.
"""

from html import escape
from pathlib import Path

from litestar import Response, get
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from portal_api.settings import PortalSettings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def _relative_luminance(colour: str) -> float:
    # WCAG 2.1 relative luminance of an sRGB colour given as #rrggbb.
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [
        value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
        for value in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_colour_on(colour: str) -> str:
    """Return black or white, whichever has the higher WCAG contrast on `colour`."""
    luminance = _relative_luminance(colour)
    contrast_with_white = 1.05 / (luminance + 0.05)
    contrast_with_black = (luminance + 0.05) / 0.05
    return "#ffffff" if contrast_with_white >= contrast_with_black else "#000000"


def brand_css(settings: PortalSettings) -> str:
    """Return the CSS custom properties of the brand colour and its text colour."""
    colour = settings.primary_colour.lower()
    return f":root {{\n  --brand: {colour};\n  --brand-text: {text_colour_on(colour)};\n}}\n"


def favicon_svg(settings: PortalSettings) -> str:
    """Return an icon of the product name's first letter on the brand colour."""
    colour = settings.primary_colour.lower()
    letter = escape(settings.product_name.strip()[:1].upper() or "?")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        f'<rect width="32" height="32" rx="6" fill="{colour}"/>'
        '<text x="16" y="23" font-family="sans-serif" font-size="20" font-weight="bold" '
        f'text-anchor="middle" fill="{text_colour_on(colour)}">{letter}</text></svg>'
    )


def static_handlers(settings: PortalSettings) -> list[ControllerRouterHandler]:
    """Return the routes of the static files, the brand stylesheet and the icon."""
    css = brand_css(settings)
    icon = favicon_svg(settings)

    @get("/brand.css", sync_to_thread=False, include_in_schema=False)
    def brand_stylesheet() -> Response[str]:
        return Response(
            content=css,
            media_type="text/css",
            headers={"cache-control": "public, max-age=300"},
        )

    # Browsers ask for an icon on every page; without one each page logs a 404.
    @get(["/favicon.svg", "/favicon.ico"], sync_to_thread=False, include_in_schema=False)
    def favicon() -> Response[str]:
        return Response(
            content=icon,
            media_type="image/svg+xml",
            headers={"cache-control": "public, max-age=86400"},
        )

    files = create_static_files_router(
        path="/static", directories=[STATIC_DIR], include_in_schema=False
    )
    return [brand_stylesheet, favicon, files]
