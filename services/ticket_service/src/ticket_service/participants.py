"""The other people on a ticket's mail thread: Cc'd people, internal addresses, forwarded mail.

The policy, as a support team runs a shared mailbox:

- **Cc'd people.** Each address in From, To or Cc of inbound mail on the ticket joins the
  ticket's `cc_recipients`, unless it is the requester or internal. Agent replies go To
  the requester with every Cc'd person in Cc, as a Reply-All would. The list only grows:
  a person stays on it when a later message leaves them out, because a colleague copied
  once usually wants to follow the ticket to its end.
- **Not contacts.** Cc'd people are not linked to contacts or customers, so they get no
  portal access and do not move the ticket to another customer. A Cc'd address can be a
  supplier or a colleague at another company.
- **Internal addresses never join.** These are the support mailbox and the team
  mailboxes, every address in their domains or in the Message-ID domain, and the
  message's envelope recipients (the support addresses the gateway accepted it for).
  Agents never join either: the address of every agent record, and the assignees and
  authors of replies and notes recorded by address before agents had records.
- **Forwarded mail.** A new ticket from mail that an internal sender forwarded into
  support is opened for the original sender, taken from the forwarded header block
  (`From:` after "Forwarded message", "Original Message", "Begin forwarded message" or an
  Outlook rule line). Mail forwarded by anyone else opens a ticket for the forwarder,
  since they are the one asking, and the original sender is neither contacted nor Cc'd.
  An internal forward with no readable original sender opens the ticket for the
  forwarding agent, as any other mail would.
- **Merges.** The source ticket's requester and Cc'd people join the target's Cc list, so
  everyone who wrote in on either ticket still gets the agent's replies.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType
from helpdesk_contracts.messages import EmailAddress, InboundEmailReceived
from helpdesk_runtime.logging import get_logger
from ticket_service.models import Agent, Interaction, Ticket

log = get_logger(__name__)

# Mail clients put the forwarded header block after a marker line: Gmail and
# Thunderbird ("---------- Forwarded message ----------"), Outlook ("-----Original
# Message-----" or a line of underscores), Apple Mail ("Begin forwarded message:").
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|original message)\s*-{2,}"
    r"|begin forwarded message:|_{10,})\s*$",
    re.IGNORECASE,
)
_FROM_LINE = re.compile(r"^\s*\*?from:\*?\s*(?P<value>.+)$", re.IGNORECASE)
# Outlook writes the address of a forwarded sender as "Name [mailto:address]".
_MAILTO = re.compile(r"\[mailto:(?P<address>[^\]]+)\]", re.IGNORECASE)
_BRACKETED = re.compile(r"<(?P<address>[^<>\s]+@[^<>\s]+)>")
# A header block is a few lines long; a From further down belongs to quoted text.
_HEADER_BLOCK_LINES = 12

_AGENT_TYPES = (
    InteractionType.EMAIL_OUTBOUND,
    InteractionType.NOTE,
    InteractionType.INTERNAL_NOTE,
    InteractionType.PHONE_CALL,
    InteractionType.SMS,
    InteractionType.MEETING,
)


@dataclass(frozen=True)
class InternalAddresses:
    """The help desk's own mailboxes and domains, in lower case."""

    addresses: frozenset[str]
    domains: frozenset[str]

    @classmethod
    def of(cls, mailboxes: Iterable[str], mail_domain: str) -> "InternalAddresses":
        """Return the mailboxes and their domains, with the Message-ID domain."""
        addresses = frozenset(normalized(mailbox) for mailbox in mailboxes if mailbox.strip())
        domains = {domain_of(address) for address in addresses} | {normalized(mail_domain)}
        return cls(addresses=addresses, domains=frozenset(domains - {""}))

    def contains(self, address: str) -> bool:
        """Return whether `address` is one of ours."""
        lowered = normalized(address)
        return lowered in self.addresses or domain_of(lowered) in self.domains


# The default of callers that know no internal addresses, such as direct test calls.
NO_INTERNAL_ADDRESSES = InternalAddresses(addresses=frozenset(), domains=frozenset())


def normalized(address: str) -> str:
    return address.strip().lower()


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


def forwarded_sender(text: str) -> EmailAddress | None:
    """Return the sender named in the first forwarded header block of `text`, if any."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not _FORWARD_MARKER.match(line):
            continue
        for header_line in lines[index + 1 : index + 1 + _HEADER_BLOCK_LINES]:
            found = _FROM_LINE.match(header_line)
            if found is None:
                continue
            return _mailbox(found.group("value"))
        return None
    return None


def _mailbox(value: str) -> EmailAddress | None:
    value = _MAILTO.sub(r"<\g<address>>", value)
    # A display name such as "Roe, Jane" written without quotes is common in forwarded
    # header blocks, and parseaddr would split it at the comma.
    bracketed = _BRACKETED.search(value)
    if bracketed is not None:
        name = value[: bracketed.start()].strip().strip('"').strip()
        return EmailAddress(address=bracketed.group("address"), name=name)

    name, address = parseaddr(value)
    return EmailAddress(address=address, name=name) if "@" in address else None


def requester_of(message: InboundEmailReceived, internal: InternalAddresses) -> EmailAddress:
    """Return the person a new ticket from `message` is for, following the module's policy."""
    if not internal.contains(message.sender.address):
        return message.sender

    original = forwarded_sender(message.text_body)
    if original is None or internal.contains(original.address):
        log.info("mail from an internal sender opens a ticket for that sender")
        return message.sender
    log.info(
        "mail forwarded by an internal sender opens a ticket for the original sender",
        forwarded_by=message.sender.address,
        original_sender=original.address,
    )
    return original


def add_cc_recipients(
    ticket: Ticket,
    message: InboundEmailReceived,
    internal: InternalAddresses,
    agents: Iterable[str] = (),
) -> list[str]:
    """Add the message's other addresses to the ticket's Cc list; return the ones added.

    `agents` are the agents' addresses (see `agent_addresses`), which never join.
    """
    excluded = InternalAddresses(
        addresses=internal.addresses
        | {normalized(address) for address in message.envelope_recipients}
        | {normalized(agent) for agent in (*ticket.assigned_to, *agents)},
        domains=internal.domains,
    )
    known = {normalized(entry["address"]) for entry in ticket.cc_recipients}
    requester = normalized(ticket.source_email or "")

    added: list[dict[str, Any]] = []
    for person in (message.sender, *message.to, *message.cc):
        address = normalized(person.address)
        if "@" not in address or address == requester or address in known:
            continue
        if excluded.contains(address):
            continue
        known.add(address)
        added.append({"address": person.address.strip(), "name": person.name})

    if added:
        # A new list, so the ORM detects the change of the JSONB column.
        ticket.cc_recipients = [*ticket.cc_recipients, *added]
    return [entry["address"] for entry in added]


def merge_cc_recipients(source: Ticket, target: Ticket) -> list[str]:
    """Add the source's requester and Cc list to the target's Cc list; return those added."""
    known = {normalized(entry["address"]) for entry in target.cc_recipients}
    known.add(normalized(target.source_email or ""))

    candidates = list(source.cc_recipients)
    if source.source_email:
        candidates.insert(0, {"address": source.source_email, "name": ""})
    added = []
    for entry in candidates:
        address = normalized(str(entry.get("address", "")))
        if "@" in address and address not in known:
            known.add(address)
            added.append(entry)

    if added:
        target.cc_recipients = [*target.cc_recipients, *added]
    return [str(entry["address"]) for entry in added]


async def reply_cc(
    session: AsyncSession, ticket: Ticket, internal: InternalAddresses
) -> list[EmailAddress]:
    """Return the Cc recipients of an agent reply: the Cc list without the ticket's agents."""
    agents = await _agents_of(session, ticket)
    requester = normalized(ticket.source_email or "")
    recipients = []
    for entry in ticket.cc_recipients:
        address = str(entry.get("address", ""))
        lowered = normalized(address)
        if lowered == requester or lowered in agents or internal.contains(address):
            continue
        recipients.append(EmailAddress(address=address, name=str(entry.get("name", ""))))
    return recipients


async def agent_addresses(session: AsyncSession) -> set[str]:
    """Return every agent's address, normalized: an agent is internal on any ticket."""
    return {normalized(email) for email in await session.scalars(select(Agent.email))}


async def _agents_of(session: AsyncSession, ticket: Ticket) -> set[str]:
    authors = await session.scalars(
        select(Interaction.author)
        .where(Interaction.ticket_id == ticket.id)
        .where(Interaction.type.in_(_AGENT_TYPES))
        .distinct()
    )
    recorded = {normalized(author) for author in (*authors, *ticket.assigned_to)}
    return recorded | await agent_addresses(session)
