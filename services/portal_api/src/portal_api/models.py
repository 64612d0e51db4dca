"""Tables of portal_api, in the `portal` schema.

Secrets never rest in clear: sessions and one-time tokens are stored as the SHA-256 of
the random token the browser or the mail holds, and passwords as argon2 hashes.
"""

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
)

from helpdesk_runtime.outbox import outbox_table

SCHEMA = "portal"

metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    # Lower-cased, so one address has one account whatever case the customer types.
    Column("email", String(320), nullable=False, unique=True),
    Column("contact_id", Uuid, nullable=False, index=True),
    # None until the customer sets a password; passwordless sign-in works without one.
    Column("password_hash", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("password_changed_at", DateTime(timezone=True), nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "account_id",
        Uuid,
        ForeignKey(accounts.c.id, ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

one_time_tokens = Table(
    "one_time_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    # "sign_in_link" or "password_reset".
    Column("purpose", String(30), nullable=False),
    # A sign-in link may name an address that has no account yet: the account is
    # created when the link is used.
    Column("email", String(320), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Index("ix_one_time_tokens_expires_at", "expires_at"),
)

rate_limit_hits = Table(
    "rate_limit_hits",
    metadata,
    Column("id", Uuid, primary_key=True),
    # The limit ("sign_in_address", "sign_in_ip", "mail_address", "mail_ip",
    # "web_form_ip") and the address or client IP it is counted for.
    Column("bucket", String(30), nullable=False),
    Column("key", String(400), nullable=False),
    Column("hit_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_rate_limit_hits_bucket_key_hit_at", "bucket", "key", "hit_at"),
)
