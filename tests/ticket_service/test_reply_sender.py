"""The From and Reply-To of agent replies: the assigned team's address or the support address."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import OutboundEmailRequested
from helpdesk_runtime.settings import InvalidSettingsError
from tests.ticket_service.helpers import (
    SUPPORT_ADDRESS,
    Collector,
    TicketsApi,
    agent_client,
    collect,
    events_for,
    open_ticket,
    running_ticket_service,
    ticket_settings,
)

BILLING_ADDRESS = "billing@tickets.test"
TECH_ADDRESS = "help@tickets.test"


@pytest.fixture(scope="module")
async def team_tickets(
    customer_api: httpx.AsyncClient, nats_url: str, database_url: str
) -> AsyncIterator[TicketsApi]:
    settings = ticket_settings(
        nats_url,
        database_url,
        team_addresses=f"billing={BILLING_ADDRESS}, tech = {TECH_ADDRESS}",
    )
    async with (
        running_ticket_service(settings) as base_url,
        agent_client(base_url, database_url) as client,
    ):
        tickets = TicketsApi(client)
        await tickets.ensure_teams("billing", "tech", "sales")
        yield tickets


async def reply_on_team_ticket(
    tickets: TicketsApi,
    js: JetStreamContext,
    outbound: Collector,
    team: str | None,
) -> tuple[dict[str, Any], OutboundEmailRequested]:
    """Open a ticket, assign it to `team`, reply, and return the interaction and request."""
    ticket = await open_ticket(tickets, js)
    if team is not None:
        patched = await tickets.patch(ticket["id"], {"assigned_team": team})
        assert patched.status_code == 200, patched.text

    response = await tickets.reply(ticket["id"], "We are looking into it.")
    assert response.status_code == 201, response.text
    [sent] = await events_for(outbound, ticket["id"], 1)
    return response.json(), sent


async def test_team_reply_from_team_address(
    team_tickets: TicketsApi, js: JetStreamContext, nats_connection: NatsClient
) -> None:
    outbound = await collect(
        nats_connection, subjects.MAIL_OUTBOUND_REQUESTED, OutboundEmailRequested
    )

    interaction, sent = await reply_on_team_ticket(team_tickets, js, outbound, "billing")

    assert sent.sender.address == BILLING_ADDRESS
    assert sent.sender.name == "Helpdesk Support"
    assert [address.address for address in sent.reply_to] == [BILLING_ADDRESS]
    assert interaction["email_from"]["address"] == BILLING_ADDRESS


async def test_second_team_reply_from_its_address(
    team_tickets: TicketsApi, js: JetStreamContext, nats_connection: NatsClient
) -> None:
    outbound = await collect(
        nats_connection, subjects.MAIL_OUTBOUND_REQUESTED, OutboundEmailRequested
    )

    _, sent = await reply_on_team_ticket(team_tickets, js, outbound, "tech")

    assert sent.sender.address == TECH_ADDRESS
    assert [address.address for address in sent.reply_to] == [TECH_ADDRESS]


@pytest.mark.parametrize("team", [None, "sales"], ids=["no team", "unlisted team"])
async def test_reply_from_support_address(
    team_tickets: TicketsApi,
    js: JetStreamContext,
    nats_connection: NatsClient,
    team: str | None,
) -> None:
    outbound = await collect(
        nats_connection, subjects.MAIL_OUTBOUND_REQUESTED, OutboundEmailRequested
    )

    interaction, sent = await reply_on_team_ticket(team_tickets, js, outbound, team)

    assert sent.sender.address == SUPPORT_ADDRESS
    assert [address.address for address in sent.reply_to] == [SUPPORT_ADDRESS]
    assert interaction["email_from"]["address"] == SUPPORT_ADDRESS


@pytest.mark.parametrize(
    "value", ["billing", "billing=", "=billing@tickets.test", "billing=not-an-address"]
)
def test_team_addresses_invalid_entry_rejected(value: str) -> None:
    with pytest.raises(InvalidSettingsError, match="team_addresses"):
        ticket_settings("nats://127.0.0.1:1", "postgresql://127.0.0.1:1/none", team_addresses=value)


def test_team_addresses_parsed() -> None:
    settings = ticket_settings(
        "nats://127.0.0.1:1",
        "postgresql://127.0.0.1:1/none",
        team_addresses=f" billing={BILLING_ADDRESS},,tech={TECH_ADDRESS} ",
    )

    assert settings.team_sender_addresses() == {"billing": BILLING_ADDRESS, "tech": TECH_ADDRESS}
