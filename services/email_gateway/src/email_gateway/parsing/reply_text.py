"""Separate the new part of a reply from the quoted history and the signature below it.

Mail clients put the earlier conversation under the reply, introduced by a line the
client writes. `new_reply_text` cuts the text at the first such line:

- an attribution line ending in "wrote:" and its translations (Gmail, Apple Mail,
  Thunderbird: "On <date>, <name> wrote:", "Am ... schrieb ...:", "Le ... a écrit :"),
  also when the client wrapped it over two lines;
- Outlook's "-----Original Message-----" separator and its translations;
- Outlook's header block: a "From:" line followed within a few lines by "Sent:",
  "Date:", "To:" or "Subject:" (and the German and French field names);
- a signature separator, "-- " on its own line (RFC 3676 section 4.3);
- a mobile client's signature such as "Sent from my iPhone".

A quoted block ("> " lines) left at the end is removed too. Quoted lines with new text
after them (an interleaved reply) are kept, because the reply refers to them.
When nothing is left, as in a forward without a comment, the whole text is returned,
so the result is empty only for empty input.
"""

import re

# Verbs of attribution lines, in the languages the help desk's customers write in.
_ATTRIBUTION = re.compile(
    r"^\s*(?:on|am|le|el|il|op|em|den|w dniu)\b.{0,300}?"
    r"\b(?:wrote|writes|schrieb|a\s+écrit|escribió|ha\s+scritto|schreef|escreveu|skrev|napisał)"
    # German puts the name after the verb: "Am ... schrieb Jane Roe <jane@example.com>:".
    r"(?:\s.{0,200})?:\s*$",
    re.IGNORECASE,
)

# An attribution without a leading date, such as Thunderbird's "Jane Roe wrote:".
_BARE_ATTRIBUTION = re.compile(
    r"^\s*\S.{0,200}?\s(?:wrote|schrieb|a\s+écrit)\s*:\s*$", re.IGNORECASE
)

_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|"
    r"forwarded message|weitergeleitete nachricht|message transféré)\s*-{2,}\s*$",
    re.IGNORECASE,
)

_HEADER_FROM = re.compile(r"^\s*\*?(?:from|von|de)\s*\*?\s*:", re.IGNORECASE)
_HEADER_FOLLOWING = re.compile(
    r"^\s*\*?(?:sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|date|à|objet)"
    r"\s*\*?\s*:",
    re.IGNORECASE,
)
# Lines after "From:" in which Outlook's block must continue.
_HEADER_BLOCK_LINES = 4

_RULE = re.compile(r"^[_\-=]{5,}$")

_SIGNATURE_SEPARATOR = re.compile(r"^--\s?$")

_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent from my \w+|sent from (?:mail|outlook) for \w+|get outlook for \w+|"
    r"von meinem \w+ gesendet|gesendet von meinem \w+|envoyé de mon \w+)\b.{0,60}$",
    re.IGNORECASE,
)


def new_reply_text(text: str) -> str:
    """Return the part of `text` the sender wrote, without quoted history and signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    cut = _first_cut(lines)
    kept = lines[:cut]
    kept = _without_trailing_quote(kept)
    new_text = "\n".join(kept).strip()

    return new_text or text.strip()


def _first_cut(lines: list[str]) -> int:
    """Return the index of the first line that starts history or signature, or len(lines)."""
    for index, line in enumerate(lines):
        if _starts_history(lines, index) or _MOBILE_SIGNATURE.match(line):
            return index
        if _SIGNATURE_SEPARATOR.match(line):
            return index
    return len(lines)


def _starts_history(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _ORIGINAL_MESSAGE.match(line) or _ATTRIBUTION.match(line):
        return True

    # Gmail wraps a long attribution line; the two halves match when joined.
    if index + 1 < len(lines) and _ATTRIBUTION.match(f"{line} {lines[index + 1]}"):
        return True

    # A bare "Jane wrote:" counts only when a quote follows, since the words are common.
    if _BARE_ATTRIBUTION.match(line) and _quote_follows(lines, index + 1):
        return True

    return _HEADER_FROM.match(line) is not None and _outlook_block_follows(lines, index + 1)


def _quote_follows(lines: list[str], start: int) -> bool:
    for line in lines[start:]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _outlook_block_follows(lines: list[str], start: int) -> bool:
    following = [line for line in lines[start : start + _HEADER_BLOCK_LINES] if line.strip()]
    return any(_HEADER_FOLLOWING.match(line) for line in following)


def _without_trailing_quote(lines: list[str]) -> list[str]:
    """Drop quoted lines, separator rules and blank lines at the end of `lines`."""
    end = len(lines)
    while end > 0 and _is_trailing_noise(lines[end - 1]):
        end -= 1
    return lines[:end]


def _is_trailing_noise(line: str) -> bool:
    stripped = line.strip()
    # Outlook draws a rule of underscores above its header block.
    return not stripped or stripped.startswith(">") or _RULE.match(stripped) is not None
