"""case contacts: a cycle's people outside the directory, in the definition's case roles, and letters to them

Revision ID: 0007c_case_contacts
Revises: 0007f_panels
Create Date: 2026-12-06 13:10:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0007c_case_contacts'
down_revision: str | None = '0007f_panels'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        'case_contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('address', sa.Text(), nullable=True),
        sa.Column('added_by', sa.String(length=100), nullable=False),
        sa.Column('added_at', UTC, nullable=False),
        sa.Column('removed_by', sa.String(length=100), nullable=True),
        sa.Column('removed_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_case_contacts_cycle_id_cycles')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_contacts')),
    )
    op.create_index(op.f('ix_case_contacts_cycle_id'), 'case_contacts', ['cycle_id'], unique=False)
    op.create_table(
        'case_letters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['case_contacts.id'], name=op.f('fk_case_letters_contact_id_case_contacts')),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_case_letters_cycle_id_cycles')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_letters')),
        sa.UniqueConstraint('key', name=op.f('uq_case_letters_key')),
    )
    op.create_index(op.f('ix_case_letters_cycle_id'), 'case_letters', ['cycle_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_case_letters_cycle_id'), table_name='case_letters')
    op.drop_table('case_letters')
    op.drop_index(op.f('ix_case_contacts_cycle_id'), table_name='case_contacts')
    op.drop_table('case_contacts')
