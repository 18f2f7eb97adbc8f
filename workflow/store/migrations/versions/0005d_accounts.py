"""Accounts, sessions, API tokens, one-time links, sign-in attempts and idempotency keys

Revision ID: 0005d
Revises: 0005a
Create Date: 2026-11-28 22:30:00.000000

Account mail (invitations, password resets) belongs to no cycle, so mail.cycle_id
may be empty.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0005d'
down_revision: str | None = '0005a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        'accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=300), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=True),
        sa.Column('admin', sa.Boolean(), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
        sa.Column('locked_until', UTC, nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
        sa.UniqueConstraint('email', name=op.f('uq_accounts_email')),
    )
    op.create_table(
        'web_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('expires_at', UTC, nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_web_sessions_account_id_accounts')),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_web_sessions')),
    )
    op.create_index(op.f('ix_web_sessions_account_id'), 'web_sessions', ['account_id'])
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('revoked_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_api_tokens_account_id_accounts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    op.create_index(op.f('ix_api_tokens_account_id'), 'api_tokens', ['account_id'])
    op.create_table(
        'account_links',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('expires_at', UTC, nullable=False),
        sa.Column('used_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_links_account_id_accounts')),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_account_links')),
    )
    op.create_index(op.f('ix_account_links_account_id'), 'account_links', ['account_id'])
    op.create_table(
        'sign_in_attempts',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('client', sa.String(length=100), nullable=False),
        sa.Column('email', sa.String(length=300), nullable=False),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.Column('at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_attempts')),
    )
    op.create_index('ix_sign_in_attempts_client_at', 'sign_in_attempts', ['client', 'at'])
    op.create_table(
        'idempotency_keys',
        sa.Column('scope', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('media_type', sa.String(length=100), nullable=True),
        sa.Column('body', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_keys')),
    )
    with op.batch_alter_table('mail', schema=None) as batch_op:
        batch_op.alter_column('cycle_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('mail', schema=None) as batch_op:
        batch_op.alter_column('cycle_id', existing_type=sa.Integer(), nullable=False)
    for table in ('idempotency_keys', 'sign_in_attempts', 'account_links', 'api_tokens', 'web_sessions', 'accounts'):
        op.drop_table(table)
