"""create raw messages and outbound deliveries

Revision ID: a44edeec6c75
Revises: 
Create Date: 2026-12-04 21:04:48.855392
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'a44edeec6c75'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbound_deliveries',
    sa.Column('interaction_id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('message_id', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name='ck_outbound_deliveries_status'),
    sa.PrimaryKeyConstraint('interaction_id'),
    schema='email_gateway'
    )
    op.create_index(op.f('ix_email_gateway_outbound_deliveries_ticket_id'), 'outbound_deliveries', ['ticket_id'], unique=False, schema='email_gateway')
    op.create_table('outbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('correlation_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    schema='email_gateway'
    )
    op.create_index('ix_outbox_unpublished', 'outbox', ['position'], unique=False, schema='email_gateway', postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('raw_messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('envelope_from', sa.Text(), nullable=False),
    sa.Column('envelope_recipients', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('message_id', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('quarantine_reason', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('received', 'published', 'duplicate', 'quarantined')", name='ck_raw_messages_status'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256'),
    schema='email_gateway'
    )
    op.create_index('ix_raw_messages_message_id', 'raw_messages', ['message_id'], unique=False, schema='email_gateway', postgresql_using='hash')
    op.create_index('ix_raw_messages_quarantined', 'raw_messages', ['received_at'], unique=False, schema='email_gateway', postgresql_where=sa.text("status = 'quarantined'"))
    op.create_index('ix_raw_messages_unpublished', 'raw_messages', ['received_at'], unique=False, schema='email_gateway', postgresql_where=sa.text("status = 'received'"))


def downgrade() -> None:
    op.drop_index('ix_raw_messages_unpublished', table_name='raw_messages', schema='email_gateway', postgresql_where=sa.text("status = 'received'"))
    op.drop_index('ix_raw_messages_quarantined', table_name='raw_messages', schema='email_gateway', postgresql_where=sa.text("status = 'quarantined'"))
    op.drop_index('ix_raw_messages_message_id', table_name='raw_messages', schema='email_gateway', postgresql_using='hash')
    op.drop_table('raw_messages', schema='email_gateway')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', schema='email_gateway', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox', schema='email_gateway')
    op.drop_index(op.f('ix_email_gateway_outbound_deliveries_ticket_id'), table_name='outbound_deliveries', schema='email_gateway')
    op.drop_table('outbound_deliveries', schema='email_gateway')
