"""Every message of a real-world corpus through the running help desk, each accounted for.

Runs when HELPDESK_EMAIL_CORPUS names a folder of messages (one per file). Each file is
delivered over SMTP to the gateway; afterwards each must be exactly one of: the first
interaction of a new ticket, an interaction on an existing ticket, a quarantine entry
with its reason, a delivery report (a bounce, matched to an outbound message or not,
which never opens a ticket), an automatic reply set aside because it matched no ticket,
or a duplicate of an earlier file with the same Message-ID. No message may be lost and
none may produce two interactions.
"""

import asyncio
import collections
import os
import re
import smtplib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.end_to_end.stack import SUPPORT_ADDRESS, Stack, running_stack
from tests.support.servers import wait_until
from ticket_service.message_ids import index_key

CORPUS_VARIABLE = "HELPDESK_EMAIL_CORPUS"
NOT_MESSAGES = {"README.md", "MANIFEST.tsv"}
RAW_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

pytestmark = pytest.mark.corpus


def corpus_files() -> list[Path]:
    folder = os.environ.get(CORPUS_VARIABLE)
    if not folder:
        pytest.skip(f"{CORPUS_VARIABLE} is not set")
    root = Path(folder)
    if not root.is_dir():
        pytest.skip(f"{CORPUS_VARIABLE}={folder} is not a folder")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name not in NOT_MESSAGES)


@pytest.fixture(scope="module")
async def stack(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    async with running_stack(nats_url, database_url, tmp_path_factory.mktemp("corpus")) as running:
        yield running


def deliver_all(smtp_port: int, files: list[Path]) -> dict[Path, str]:
    """Send every file over one SMTP session; return the DATA reply per file."""
    replies: dict[Path, str] = {}
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=120) as client:
        client.ehlo()
        for path in files:
            client.mail("corpus-sender@corpus.test")
            client.rcpt(SUPPORT_ADDRESS)
            code, reply = client.data(path.read_bytes())
            replies[path] = f"{code} {reply.decode(errors='replace')}"
            client.rset()
    return replies


async def test_corpus_accounted_for(stack: Stack, database_url: str) -> None:
    files = corpus_files()

    replies = await asyncio.to_thread(deliver_all, stack.smtp_port, files)

    rejected = {p: r for p, r in replies.items() if not r.startswith("250")}
    assert rejected == {}
    raw_ids = {p: RAW_ID.search(r) for p, r in replies.items()}
    missing_ids = [p for p, match in raw_ids.items() if match is None]
    assert missing_ids == []

    connection = await asyncpg.connect(database_url)
    try:
        own_raw_ids = [match.group(0) for match in raw_ids.values() if match is not None]
        published = await connection.fetch(
            "SELECT id, status, message_id, quarantine_reason FROM email_gateway.raw_messages"
            " WHERE id = ANY($1::uuid[])",
            own_raw_ids,
        )
        by_raw_id = {str(row["id"]): row for row in published}
        expected_ids = {
            row["message_id"] for row in published if row["status"] in {"published", "duplicate"}
        }

        keys = {index_key(message_id): message_id for message_id in expected_ids}

        async def all_handled() -> bool:
            count = await connection.fetchval(
                "SELECT (SELECT count(*) FROM tickets.interactions"
                "        WHERE message_id = ANY($1::text[]))"
                "     + (SELECT count(*) FROM tickets.set_aside_replies"
                "        WHERE message_id = ANY($2::text[]))",
                list(expected_ids),
                list(keys),
            )
            return bool(count >= len(expected_ids))

        await wait_until(all_handled, timeout=600, interval=1.0)

        set_aside = {
            keys[row["message_id"]]
            for row in await connection.fetch(
                "SELECT message_id FROM tickets.set_aside_replies"
                " WHERE message_id = ANY($1::text[])",
                list(keys),
            )
        }

        interactions = await connection.fetch(
            """
            SELECT i.message_id, i.ticket_id,
                   i.id = (SELECT first.id FROM tickets.interactions first
                           WHERE first.ticket_id = i.ticket_id
                           ORDER BY first.created_at, first.id LIMIT 1) AS opened_ticket
            FROM tickets.interactions i WHERE i.message_id = ANY($1::text[])
            """,
            list(expected_ids),
        )
    finally:
        await connection.close()

    per_message = collections.Counter(row["message_id"] for row in interactions)
    twice = {message_id: n for message_id, n in per_message.items() if n > 1}
    assert twice == {}
    opened = {row["message_id"]: row["opened_ticket"] for row in interactions}

    outcomes: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    unaccounted = []
    for path, match in raw_ids.items():
        assert match is not None
        row = by_raw_id.get(match.group(0))
        if row is None:
            unaccounted.append(path)
        elif row["status"] == "quarantined":
            outcomes["quarantined"] += 1
            reasons[row["quarantine_reason"]] += 1
        elif row["status"] in {"bounce", "bounce_unmatched"}:
            outcomes[f"delivery report ({row['status']})"] += 1
        elif row["message_id"] not in opened and row["message_id"] not in set_aside:
            unaccounted.append(path)
        elif row["status"] == "duplicate":
            outcomes["duplicate Message-ID"] += 1
        elif row["message_id"] not in opened:
            outcomes["automatic reply set aside"] += 1
        elif opened[row["message_id"]]:
            outcomes["new ticket"] += 1
        else:
            outcomes["interaction on a ticket"] += 1

    print(f"\ncorpus: {len(files)} files")
    for outcome, count in outcomes.most_common():
        print(f"  {outcome}: {count}")
    for reason, count in reasons.most_common():
        print(f"    quarantined because {reason}: {count}")
    assert unaccounted == []
    assert sum(outcomes.values()) == len(files)
