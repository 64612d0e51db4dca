"""customer_service stopping and starting again while requests keep arriving."""

import asyncio
from collections.abc import Sequence

import msgspec
import nats
from nats.errors import NoRespondersError, TimeoutError

from customer_service.app import create_app
from helpdesk_contracts import subjects
from helpdesk_contracts.enums import ContactMatch
from helpdesk_contracts.messages import ResolveContactReply, ResolveContactRequest
from tests.customer_service.conftest import customer_settings, unique_domain
from tests.support.servers import serving, wait_until


async def test_requests_succeed_after_restart(nats_url: str, database_url: str) -> None:
    connection = await nats.connect(nats_url)
    domain = unique_domain("restart")
    settings = customer_settings(nats_url, database_url)
    failures: list[str] = []
    replies: list[ResolveContactReply] = []
    stop_sending = asyncio.Event()

    async def keep_requesting() -> None:
        # Requests go on while the service is down; those must fail cleanly, not hang.
        index = 0
        while not stop_sending.is_set():
            request = ResolveContactRequest(address=f"user{index}@{domain}")
            index += 1
            try:
                response = await connection.request(
                    subjects.CUSTOMER_RESOLVE_CONTACT, msgspec.json.encode(request), timeout=1
                )
            except (NoRespondersError, TimeoutError) as exc:
                failures.append(type(exc).__name__)
                await asyncio.sleep(0.05)
                continue
            replies.append(msgspec.json.decode(response.data, type=ResolveContactReply))

    try:
        async with serving(create_app(settings)):
            sender = asyncio.create_task(keep_requesting())
            await wait_until(lambda: _at_least(replies, 3))
        answered_before_restart = len(replies)

        await wait_until(lambda: _at_least(failures, 1))
        async with serving(create_app(settings)):
            await wait_until(lambda: _at_least(replies, answered_before_restart + 3))
            stop_sending.set()
            await sender
    finally:
        stop_sending.set()
        await connection.close()

    assert all(reply.match is ContactMatch.NEW for reply in replies)
    assert len({reply.contact_id for reply in replies}) == len(replies)


async def _at_least(items: Sequence[object], count: int) -> bool:
    return len(items) >= count
