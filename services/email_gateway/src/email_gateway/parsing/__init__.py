"""Parse raw inbound email into the fields a ticket needs.

The package is pure and synchronous: `parse_email` takes the bytes of one message and
returns a `ParsedEmail` or raises `UnparseableEmail` (see `parser` for which input is
rejected and why). Real-world defects such as unknown charsets, broken multipart
boundaries, raw 8-bit headers and absurd dates are recovered from and reported in
`ParsedEmail.warnings`.
"""

from email_gateway.parsing.message_ids import generated_message_id
from email_gateway.parsing.model import ParsedAttachment, ParsedEmail, UnparseableEmail
from email_gateway.parsing.parser import parse_email

__all__ = [
    "ParsedAttachment",
    "ParsedEmail",
    "UnparseableEmail",
    "generated_message_id",
    "parse_email",
]
