"""Convert text/enriched (RFC 1896) bodies to plain text."""

import re

# "<<" is a literal "<"; any other "<...>" is a formatting command.
_TOKEN = re.compile(r"<<|<[^<>]*>")
_PARAMETER = re.compile(r"(?is)<param>.*?</param>")
_LINE_BREAKS = re.compile(r"\n(\n*)")


def enriched_to_text(text: str) -> str:
    """Return the text of a text/enriched body without its formatting commands.

    RFC 1896: a single line break is a space, and a run of n line breaks
    stands for n - 1 of them. Command parameters are data for the command, not text.
    """
    text = _PARAMETER.sub("", text)
    text = _TOKEN.sub(lambda match: "<" if match.group(0) == "<<" else "", text)
    return _LINE_BREAKS.sub(lambda match: match.group(1) or " ", text)
