"""Add the audit history, categories, routing rules, merge pointer and search indexes.

Revision ID: 0dde75001cd9
Revises: 9c0586f599d0
Create Date: 2026-12-04 21:43:49.096291
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0dde75001cd9'
down_revision: str | None = '9c0586f599d0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('categories',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name'),
    schema='tickets'
    )
    op.create_table('routing_rules',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=True),
    sa.Column('customer_tier', sa.String(length=50), nullable=True),
    sa.Column('subject_keywords', sa.ARRAY(sa.Text()), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('set_team', sa.String(length=200), nullable=True),
    sa.Column('set_priority', sa.Enum('Low', 'Medium', 'High', 'Urgent', name='routing_rule_priority', native_enum=False, create_constraint=True, length=40, schema='tickets'), nullable=True),
    sa.Column('set_category', sa.String(length=200), nullable=True),
    sa.Column('add_tags', sa.ARRAY(sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='tickets'
    )
    op.create_index('ix_routing_rules_position_id', 'routing_rules', ['position', 'id'], unique=False, schema='tickets')
    op.create_table('audit_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('field', sa.Text(), nullable=False),
    sa.Column('old_value', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True),
    sa.Column('new_value', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.tickets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    schema='tickets'
    )
    op.create_index('ix_audit_entries_ticket_id_at', 'audit_entries', ['ticket_id', 'at'], unique=False, schema='tickets')
    op.create_index('ix_interactions_text_search', 'interactions', [sa.literal_column("to_tsvector('english', text_body)")], unique=False, schema='tickets', postgresql_using='gin')
    op.add_column('tickets', sa.Column('merged_into', sa.Uuid(), nullable=True), schema='tickets')
    op.create_index('ix_tickets_assigned_to', 'tickets', ['assigned_to'], unique=False, schema='tickets', postgresql_using='gin')
    op.create_index('ix_tickets_resolved_for_auto_close', 'tickets', ['resolved_at'], unique=False, schema='tickets', postgresql_where=sa.text("status = 'Resolved'"))
    op.create_index('ix_tickets_subject_search', 'tickets', [sa.literal_column("to_tsvector('english', subject)")], unique=False, schema='tickets', postgresql_using='gin')
    op.create_index('ix_tickets_tags', 'tickets', ['tags'], unique=False, schema='tickets', postgresql_using='gin')
    op.create_index('ix_tickets_updated_at_id', 'tickets', ['updated_at', 'id'], unique=False, schema='tickets')
    op.create_foreign_key('tickets_merged_into_fkey', 'tickets', 'tickets', ['merged_into'], ['id'], source_schema='tickets', referent_schema='tickets')


def downgrade() -> None:
    op.drop_constraint('tickets_merged_into_fkey', 'tickets', schema='tickets', type_='foreignkey')
    op.drop_index('ix_tickets_updated_at_id', table_name='tickets', schema='tickets')
    op.drop_index('ix_tickets_tags', table_name='tickets', schema='tickets', postgresql_using='gin')
    op.drop_index('ix_tickets_subject_search', table_name='tickets', schema='tickets', postgresql_using='gin')
    op.drop_index('ix_tickets_resolved_for_auto_close', table_name='tickets', schema='tickets', postgresql_where=sa.text("status = 'Resolved'"))
    op.drop_index('ix_tickets_assigned_to', table_name='tickets', schema='tickets', postgresql_using='gin')
    op.drop_column('tickets', 'merged_into', schema='tickets')
    op.drop_index('ix_interactions_text_search', table_name='interactions', schema='tickets', postgresql_using='gin')
    op.drop_index('ix_audit_entries_ticket_id_at', table_name='audit_entries', schema='tickets')
    op.drop_table('audit_entries', schema='tickets')
    op.drop_index('ix_routing_rules_position_id', table_name='routing_rules', schema='tickets')
    op.drop_table('routing_rules', schema='tickets')
    op.drop_table('categories', schema='tickets')
