"""Sanitize HTML bodies with nh3 so that agents can view them safely.

Removed: scripts and styles with their content, event handler attributes, forms,
frames, `javascript:` and other unsafe URL schemes, and every way of loading remote
content when the mail is opened. Remote images (tracking pixels), CSS `url()` values
and the `background` attribute all fetch from the sender's server, so images keep only
`cid:` sources (parts of the same message) and inline `data:image/...` sources.
Links keep http, https, mailto and tel targets and get `rel="noopener noreferrer nofollow"`.
"""

import re

import nh3

# Presentational markup that mail clients still emit, on top of nh3's default tags.
_EXTRA_TAGS = frozenset({"font", "tfoot", "caption", "col", "colgroup"})
_TAGS = frozenset(nh3.ALLOWED_TAGS) | _EXTRA_TAGS

_LAYOUT_ATTRIBUTES = frozenset(
    {"align", "valign", "width", "height", "bgcolor", "border", "cellpadding", "cellspacing"}
)
_ATTRIBUTES: dict[str, set[str]] = {
    tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()
}
_ATTRIBUTES["*"] = {"style", "title", "dir", "lang", *_LAYOUT_ATTRIBUTES}
_ATTRIBUTES["font"] = {"color", "face", "size"}

# CSS properties that change only the look of the mail. Positioning is left out so a
# mail cannot overlay the help desk's own interface, and properties that take url()
# (background, background-image, list-style-image, border-image) are left out too.
_STYLE_PROPERTIES = frozenset(
    {
        "color", "background-color", "font", "font-family", "font-size", "font-style",
        "font-weight", "font-variant", "text-align", "text-decoration", "text-indent",
        "text-transform", "line-height", "letter-spacing", "word-spacing", "white-space",
        "vertical-align", "direction", "list-style-type", "border", "border-top",
        "border-right", "border-bottom", "border-left", "border-color", "border-style",
        "border-width", "border-collapse", "border-spacing", "margin", "margin-top",
        "margin-right", "margin-bottom", "margin-left", "padding", "padding-top",
        "padding-right", "padding-bottom", "padding-left", "width", "height", "max-width",
        "min-width", "max-height", "min-height",
    }
)  # fmt: skip

_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid", "data"})
_INLINE_IMAGE_SOURCE = re.compile(r"(?i)\s*(cid:|data:image/(png|gif|jpe?g|webp|bmp);)")
_LINK_TARGET = re.compile(r"(?i)\s*(https?:|mailto:|tel:)")
_UNSAFE_STYLE = re.compile(r"(?i)url\s*\(|expression\s*\(|@import|javascript:")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Return the attribute value to keep, or None to drop the attribute."""
    if tag == "img" and attribute == "src":
        return value if _INLINE_IMAGE_SOURCE.match(value) else None
    if attribute in {"href", "cite"}:
        return value if _LINK_TARGET.match(value) else None
    if attribute == "style":
        return _drop_unsafe_declarations(value)
    return value


def _drop_unsafe_declarations(style: str) -> str | None:
    """Remove CSS declarations that load remote content or run code from a style value.

    nh3 then keeps only the properties in `_STYLE_PROPERTIES` of what is left.
    """
    declarations = [part for part in style.split(";") if not _UNSAFE_STYLE.search(part)]
    safe_style = ";".join(part for part in declarations if part.strip())
    return safe_style or None


_CLEANER = nh3.Cleaner(
    tags=set(_TAGS),
    clean_content_tags={"script", "style", "title", "template"},
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
    url_schemes=set(_URL_SCHEMES),
    filter_style_properties=set(_STYLE_PROPERTIES),
    url_relative="deny",
)


def sanitize_html(html: str) -> str:
    """Return `html` with everything unsafe to display removed."""
    return _CLEANER.clean(html)
