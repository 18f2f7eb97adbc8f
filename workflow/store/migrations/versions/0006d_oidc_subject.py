"""oidc subject: the identity provider's name for the person an account belongs to, linked at first sign-in

Revision ID: 0006d_oidc_subject
Revises: 0005f
Create Date: 2026-12-06 06:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006d_oidc_subject'
down_revision: str | None = '0006c_audit_chain'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=400), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_accounts_oidc_subject'), ['oidc_subject'])


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_accounts_oidc_subject'), type_='unique')
        batch_op.drop_column('oidc_subject')
