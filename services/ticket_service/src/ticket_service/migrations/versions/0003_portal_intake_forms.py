"""Admit PORTAL_MESSAGE interactions, add intake forms, form answers and portal list indexes.

Revision ID: b7d2c5e80003
Revises: 0dde75001cd9
Create Date: 2026-12-04 23:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'b7d2c5e80003'
down_revision: str | None = '0dde75001cd9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TYPES_BEFORE = (
    'EMAIL_INBOUND', 'EMAIL_OUTBOUND', 'PHONE_CALL', 'SMS', 'MEETING', 'NOTE',
    'INTERNAL_NOTE', 'SYSTEM',
)
_TYPES_AFTER = (*_TYPES_BEFORE, 'PORTAL_MESSAGE')


def _type_check(types: tuple[str, ...]) -> str:
    return 'type IN (' + ', '.join(f"'{value}'" for value in types) + ')'


def upgrade() -> None:
    # The non-native Enum column is a VARCHAR whose CHECK constraint carries the enum's name.
    op.drop_constraint('interaction_type', 'interactions', schema='tickets', type_='check')
    op.create_check_constraint(
        'interaction_type', 'interactions', _type_check(_TYPES_AFTER), schema='tickets'
    )

    op.create_table('intake_forms',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('fields', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('team', sa.String(length=200), nullable=True),
    sa.Column('priority', sa.Enum('Low', 'Medium', 'High', 'Urgent', name='intake_form_priority', native_enum=False, create_constraint=True, length=40, schema='tickets'), nullable=True),
    sa.Column('tags', sa.ARRAY(sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='tickets'
    )
    op.create_index('ix_intake_forms_active_name', 'intake_forms', ['active', 'name'], unique=False, schema='tickets')

    op.add_column('tickets', sa.Column('form_id', sa.Uuid(), nullable=True), schema='tickets')
    op.add_column('tickets', sa.Column('form_values', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False), schema='tickets')
    op.create_foreign_key('tickets_form_id_fkey', 'tickets', 'intake_forms', ['form_id'], ['id'], source_schema='tickets', referent_schema='tickets')

    op.create_index('ix_tickets_primary_contact_updated', 'tickets', ['primary_contact_id', 'updated_at', 'id'], unique=False, schema='tickets')
    op.create_index('ix_tickets_contact_ids', 'tickets', ['contact_ids'], unique=False, schema='tickets', postgresql_using='gin')
    op.create_index('ix_tickets_customer_updated', 'tickets', ['customer_id', 'updated_at', 'id'], unique=False, schema='tickets')


def downgrade() -> None:
    op.drop_index('ix_tickets_customer_updated', table_name='tickets', schema='tickets')
    op.drop_index('ix_tickets_contact_ids', table_name='tickets', schema='tickets', postgresql_using='gin')
    op.drop_index('ix_tickets_primary_contact_updated', table_name='tickets', schema='tickets')
    op.drop_constraint('tickets_form_id_fkey', 'tickets', schema='tickets', type_='foreignkey')
    op.drop_column('tickets', 'form_values', schema='tickets')
    op.drop_column('tickets', 'form_id', schema='tickets')
    op.drop_index('ix_intake_forms_active_name', table_name='intake_forms', schema='tickets')
    op.drop_table('intake_forms', schema='tickets')

    # Portal messages would violate the narrower constraint, so they go first.
    op.execute("DELETE FROM tickets.interactions WHERE type = 'PORTAL_MESSAGE'")
    op.drop_constraint('interaction_type', 'interactions', schema='tickets', type_='check')
    op.create_check_constraint(
        'interaction_type', 'interactions', _type_check(_TYPES_BEFORE), schema='tickets'
    )
