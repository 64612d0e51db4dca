"""Create the SLA policy and target tables, the outbox and processed messages

Revision ID: d6daf842aa3b
Revises:
Create Date: 2026-12-04 21:02:09.020333
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd6daf842aa3b'
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
    schema='sla'
    )
    op.create_index('ix_outbox_unpublished', 'outbox', ['position'], unique=False, schema='sla', postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('processed_messages',
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'message_id'),
    schema='sla'
    )
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('tier', sa.String(length=50), nullable=True),
    sa.Column('priority', sa.String(length=20), nullable=False),
    sa.Column('first_response_minutes', sa.Integer(), nullable=True),
    sa.Column('resolution_minutes', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('first_response_minutes IS NULL OR first_response_minutes > 0', name='ck_sla_policies_first_response_positive'),
    sa.CheckConstraint('resolution_minutes IS NULL OR resolution_minutes > 0', name='ck_sla_policies_resolution_positive'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tier', 'priority', name='uq_sla_policies_tier_priority', postgresql_nulls_not_distinct=True),
    schema='sla'
    )
    op.create_table('sla_targets',
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=50), nullable=True),
    sa.Column('priority', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_met', sa.Boolean(), nullable=True),
    sa.Column('resolution_met', sa.Boolean(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('ticket_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['sla.sla_policies.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('ticket_id'),
    schema='sla'
    )
    op.create_index('ix_sla_targets_started_at', 'sla_targets', ['started_at'], unique=False, schema='sla')


def downgrade() -> None:
    op.drop_index('ix_sla_targets_started_at', table_name='sla_targets', schema='sla')
    op.drop_table('sla_targets', schema='sla')
    op.drop_table('sla_policies', schema='sla')
    op.drop_table('processed_messages', schema='sla')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', schema='sla', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox', schema='sla')
