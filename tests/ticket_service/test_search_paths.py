"""Full-text search gives the same tickets whether few or many tickets match."""

import uuid

import pytest
from nats.js import JetStreamContext

from tests.ticket_service.helpers import TicketsApi, inbound_mail, publish_mail, unique
from ticket_service import listing


@pytest.mark.parametrize("few_matches", [listing.FEW_TEXT_MATCHES, 0])
async def test_search_finds_subject_and_text(
    tickets: TicketsApi, js: JetStreamContext, monkeypatch: pytest.MonkeyPatch, few_matches: int
) -> None:
    # With a limit of 0 every search counts as matching many tickets and takes the
    # combined condition. The default limit takes the id list of the GIN lookups.
    monkeypatch.setattr(listing, "FEW_TEXT_MATCHES", few_matches)
    in_subject = f"zebra{uuid.uuid4().hex[:8]}"
    in_text = f"walrus{uuid.uuid4().hex[:8]}"
    sender = f"{uuid.uuid4().hex[:8]}@customer.test"
    by_subject = inbound_mail(unique(f"Broken {in_subject}"), sender)
    by_text = inbound_mail(unique("Broken thing"), sender, text=f"The {in_text} is broken.")
    await publish_mail(js, by_subject)
    await publish_mail(js, by_text)
    subject_ticket = await tickets.wait_for_subject(by_subject.subject)
    text_ticket = await tickets.wait_for_subject(by_text.subject)

    subject_hits = await tickets.list(q=in_subject)
    text_hits = await tickets.list(q=in_text)
    either_hits = await tickets.list(q=f"{in_subject} OR {in_text}")
    no_hits = await tickets.list(q=f"{in_subject} {in_text}")

    assert [t["id"] for t in subject_hits["items"]] == [subject_ticket["id"]]
    assert [t["id"] for t in text_hits["items"]] == [text_ticket["id"]]
    assert sorted(t["id"] for t in either_hits["items"]) == sorted(
        [subject_ticket["id"], text_ticket["id"]]
    )
    assert no_hits["items"] == []
