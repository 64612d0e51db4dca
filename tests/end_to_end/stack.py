"""The whole help desk running in the test's event loop on real NATS and PostgreSQL.

Every service's Litestar app is served by uvicorn on a free port; the gateway's SMTP
listener and the outbound mail sink listen on free ports too. Services share the test
database, each in its own schema, as they do in production.
"""

import contextlib
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from customer_service.app import create_app as create_customer_app
from customer_service.settings import CustomerSettings
from email_gateway.app import create_app as create_gateway_app
from email_gateway.mail_sink import running_mail_sink
from email_gateway.settings import GatewaySettings
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from sla_service.app import create_app as create_sla_app
from sla_service.settings import SlaSettings
from tests.support.servers import serving
from tests.ticket_service.helpers import agent_key, bearer
from ticket_service.app import create_app as create_ticket_app
from ticket_service.settings import TicketSettings

SUPPORT_ADDRESS = "support@helpdesk.test"


@dataclass
class Stack:
    tickets_url: str
    customers_url: str
    sla_url: str
    gateway_url: str
    smtp_port: int
    sink_dir: Path
    # Authorization header of an admin agent for the agent API at `tickets_url`.
    agent_headers: dict[str, str]

    def send_mail(self, raw: bytes, sender: str = "", recipient: str = SUPPORT_ADDRESS) -> str:
        """Deliver `raw` over SMTP and return the server's reply to DATA."""
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as client:
            client.ehlo()
            code, _ = client.mail(sender or "sender@unknown.test")
            assert code == 250
            code, message = client.rcpt(recipient)
            assert code == 250, message
            code, reply = client.data(raw)
        assert code == 250, reply
        return reply.decode()


@contextlib.asynccontextmanager
async def running_stack(nats_url: str, database_url: str, work_dir: Path) -> AsyncIterator[Stack]:
    common = {"nats_url": nats_url, "database_url": database_url, "log_level": "warning"}
    smtp_port = free_port()
    relay_port = free_port()
    sink_dir = work_dir / "sent-mail"

    gateway = load_settings(
        GatewaySettings,
        environ={},
        **common,
        http_port=free_port(),
        smtp_port=smtp_port,
        relay_port=relay_port,
        support_addresses=SUPPORT_ADDRESS,
        blob_dir=str(work_dir / "blobs"),
    )
    tickets = load_settings(
        TicketSettings,
        environ={},
        **common,
        http_port=free_port(),
        support_address=SUPPORT_ADDRESS,
        mail_domain="helpdesk.test",
    )
    customers = load_settings(
        CustomerSettings,
        environ={},
        **common,
        http_port=free_port(),
        support_domains="helpdesk.test",
    )
    sla = load_settings(SlaSettings, environ={}, **common, http_port=free_port())

    async with (
        running_mail_sink(sink_dir, relay_port),
        serving(create_customer_app(customers), customers.http_port) as customers_url,
        serving(create_sla_app(sla), sla.http_port) as sla_url,
        serving(create_ticket_app(tickets), tickets.http_port) as tickets_url,
        serving(create_gateway_app(gateway), gateway.http_port) as gateway_url,
    ):
        yield Stack(
            tickets_url=tickets_url,
            customers_url=customers_url,
            sla_url=sla_url,
            gateway_url=gateway_url,
            smtp_port=smtp_port,
            sink_dir=sink_dir,
            agent_headers=bearer(await agent_key(database_url)),
        )


def decode_json(data: bytes) -> object:
    return msgspec.json.decode(data)
