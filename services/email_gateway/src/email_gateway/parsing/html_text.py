"""Derive readable plain text from an HTML body, for mail that has no text/plain part.

Block elements start new lines, paragraphs and headings are separated by a blank line,
list items get a "- " marker, and blockquotes are prefixed with "> " the way plain-text
mail quotes a reply. Character references are decoded. Scripts, styles, titles and
templates are dropped because they are never shown to the reader.
"""

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "center", "dd", "details", "dialog", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup",
        "hr", "li", "main", "nav", "ol", "section", "summary", "table", "tbody", "tfoot",
        "thead", "tr", "ul",
    }
)  # fmt: skip
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"})
_CELL_TAGS = frozenset({"td", "th"})
_HIDDEN_TAGS = frozenset({"script", "style", "title", "template"})

_COLLAPSIBLE_WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")
_BLANK_LINE_RUNS = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    """HTML parser that collects the lines of text a reader would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._hidden_depth = 0
        self._pre_depth = 0
        self._quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden_depth += 1
        elif tag == "br":
            self._end_line()
        elif tag in _PARAGRAPH_TAGS:
            self._end_paragraph()
            self._pre_depth += tag == "pre"
            self._quote_depth += tag == "blockquote"
        elif tag in _BLOCK_TAGS:
            self._break_line()
            if tag == "li":
                self._current.append("- ")
        elif tag in _CELL_TAGS and self._current:
            self._current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _PARAGRAPH_TAGS:
            self._end_paragraph()
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)
            if tag == "blockquote":
                self._quote_depth = max(0, self._quote_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._break_line()

    def handle_data(self, data: str) -> None:
        if self._hidden_depth:
            return

        data = data.replace("\xa0", " ")
        if self._pre_depth:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._current.append(first)
            for line in rest:
                self._end_line()
                self._current.append(line)
            return

        text = _COLLAPSIBLE_WHITESPACE.sub(" ", data)
        if not self._current or self._current[-1].endswith((" ", "- ")):
            text = text.lstrip(" ")
        if text:
            self._current.append(text)

    def finish(self) -> str:
        """Return the collected text with blank-line runs collapsed to one blank line."""
        self.close()
        self._break_line()
        text = "\n".join(self.lines)
        return _BLANK_LINE_RUNS.sub("\n\n", text).strip("\n")

    def _end_line(self) -> None:
        """End the current line, even an empty one, as <br> does."""
        line = "".join(self._current).rstrip()
        self._current = []
        if self._quote_depth:
            line = ("> " * self._quote_depth + line).rstrip()
        self.lines.append(line)

    def _break_line(self) -> None:
        """End the current line unless nothing was written to it yet."""
        if "".join(self._current).strip():
            self._end_line()
        self._current = []

    def _end_paragraph(self) -> None:
        self._break_line()
        if self.lines and self.lines[-1]:
            self.lines.append("")


def html_to_text(html: str) -> str:
    """Return the text a reader sees in `html`, one line per block element."""
    extractor = _TextExtractor()
    extractor.feed(html)
    return extractor.finish()
