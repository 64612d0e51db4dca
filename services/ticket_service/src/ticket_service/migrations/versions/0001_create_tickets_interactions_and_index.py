"""Create tickets, interactions, the Message-ID index, the outbox and processed messages.

Revision ID: 9c0586f599d0
Revises:
Create Date: 2026-12-04 21:09:50.765724
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '9c0586f599d0'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('correlation_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    schema='tickets'
    )
    op.create_index('ix_outbox_unpublished', 'outbox', ['position'], unique=False, schema='tickets', postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('processed_messages',
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'message_id'),
    schema='tickets'
    )
    op.execute(sa.schema.CreateSequence(sa.Sequence('ticket_number_seq', start=1, schema='tickets')))
    op.create_table('tickets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.BigInteger(), server_default=sa.text("nextval('tickets.ticket_number_seq')"), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('Open', 'In Progress', 'Pending', 'Waiting on Customer', 'Resolved', 'Closed', name='ticket_status', native_enum=False, create_constraint=True, length=40, schema='tickets'), nullable=False),
    sa.Column('priority', sa.Enum('Low', 'Medium', 'High', 'Urgent', name='ticket_priority', native_enum=False, create_constraint=True, length=40, schema='tickets'), nullable=False),
    sa.Column('source', sa.Enum('email', 'portal', 'web', 'manual', name='ticket_source', native_enum=False, create_constraint=True, length=40, schema='tickets'), nullable=False),
    sa.Column('source_email', sa.Text(), nullable=True),
    sa.Column('email_thread_id', sa.Text(), nullable=True),
    sa.Column('follow_up_of', sa.Uuid(), nullable=True),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('customer_name', sa.String(length=300), nullable=True),
    sa.Column('customer_tier', sa.String(length=50), nullable=True),
    sa.Column('contact_ids', sa.ARRAY(sa.Uuid()), nullable=False),
    sa.Column('primary_contact_id', sa.Uuid(), nullable=True),
    sa.Column('enrichment_pending', sa.Boolean(), nullable=False),
    sa.Column('assigned_to', sa.ARRAY(sa.Text()), nullable=False),
    sa.Column('assigned_team', sa.String(length=200), nullable=True),
    sa.Column('tags', sa.ARRAY(sa.Text()), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('due_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_ticket_version', sa.Integer(), nullable=True),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_breach_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['follow_up_of'], ['tickets.tickets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    schema='tickets'
    )
    op.create_index('ix_tickets_created_at_id', 'tickets', ['created_at', 'id'], unique=False, schema='tickets')
    op.create_index('ix_tickets_customer_id', 'tickets', ['customer_id'], unique=False, schema='tickets')
    op.create_index('ix_tickets_email_thread_id', 'tickets', ['email_thread_id'], unique=False, schema='tickets', postgresql_using='hash')
    op.create_index('ix_tickets_enrichment_pending', 'tickets', ['created_at'], unique=False, schema='tickets', postgresql_where=sa.text('enrichment_pending'))
    op.create_index('ix_tickets_follow_up_of', 'tickets', ['follow_up_of'], unique=False, schema='tickets')
    op.create_index('ix_tickets_status', 'tickets', ['status'], unique=False, schema='tickets')
    op.create_table('interactions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.Enum('EMAIL_INBOUND', 'EMAIL_OUTBOUND', 'PHONE_CALL', 'SMS', 'MEETING', 'NOTE', 'INTERNAL_NOTE', 'SYSTEM', name='interaction_type', native_enum=False, create_constraint=True, length=40, schema='tickets'), nullable=False),
    sa.Column('author', sa.Text(), nullable=False),
    sa.Column('customer_visible', sa.Boolean(), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message_id', sa.Text(), nullable=True),
    sa.Column('email_from', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('email_to', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('email_cc', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('attachments', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('raw_message_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.tickets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    schema='tickets'
    )
    op.create_index('ix_interactions_ticket_id_created_at', 'interactions', ['ticket_id', 'created_at'], unique=False, schema='tickets')
    op.create_table('message_ids',
    sa.Column('message_id', sa.Text(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('interaction_id', sa.Uuid(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['tickets.interactions.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.tickets.id'], ),
    sa.PrimaryKeyConstraint('message_id'),
    schema='tickets'
    )
    op.create_index('ix_message_ids_ticket_id', 'message_ids', ['ticket_id'], unique=False, schema='tickets')


def downgrade() -> None:
    op.drop_index('ix_message_ids_ticket_id', table_name='message_ids', schema='tickets')
    op.drop_table('message_ids', schema='tickets')
    op.drop_index('ix_interactions_ticket_id_created_at', table_name='interactions', schema='tickets')
    op.drop_table('interactions', schema='tickets')
    op.drop_index('ix_tickets_status', table_name='tickets', schema='tickets')
    op.drop_index('ix_tickets_follow_up_of', table_name='tickets', schema='tickets')
    op.drop_index('ix_tickets_enrichment_pending', table_name='tickets', schema='tickets', postgresql_where=sa.text('enrichment_pending'))
    op.drop_index('ix_tickets_email_thread_id', table_name='tickets', schema='tickets', postgresql_using='hash')
    op.drop_index('ix_tickets_customer_id', table_name='tickets', schema='tickets')
    op.drop_index('ix_tickets_created_at_id', table_name='tickets', schema='tickets')
    op.drop_table('tickets', schema='tickets')
    op.execute(sa.schema.DropSequence(sa.Sequence('ticket_number_seq', schema='tickets')))
    op.drop_table('processed_messages', schema='tickets')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', schema='tickets', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox', schema='tickets')
