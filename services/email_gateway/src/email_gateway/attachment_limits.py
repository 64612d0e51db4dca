"""Limits on the attachments of one inbound message: how many, and how large each.

An attachment over a limit is not stored, but the message is still accepted: the
ticket gets the text, and a parse warning names each rejected file with its size, so an
agent can ask for it another way. The raw message keeps every attachment.
"""

from dataclasses import dataclass

from email_gateway.parsing import ParsedAttachment


@dataclass(frozen=True)
class AttachmentLimits:
    """At most `max_count` attachments per message, each at most `max_bytes` large."""

    max_count: int
    max_bytes: int


def within_limits(
    attachments: tuple[ParsedAttachment, ...], limits: AttachmentLimits
) -> tuple[list[ParsedAttachment], list[str]]:
    """Return the attachments to store, in message order, and a warning per rejected one."""
    accepted: list[ParsedAttachment] = []
    warnings: list[str] = []
    for attachment in attachments:
        size = len(attachment.content)
        if size > limits.max_bytes:
            warnings.append(
                f"attachment {attachment.filename!r} ({size} bytes) rejected: larger than "
                f"the limit of {limits.max_bytes} bytes per attachment"
            )
        elif len(accepted) >= limits.max_count:
            warnings.append(
                f"attachment {attachment.filename!r} ({size} bytes) rejected: the message "
                f"has more than {limits.max_count} attachments"
            )
        else:
            accepted.append(attachment)
    return accepted, warnings
