"""mask the one-time tokens that earlier versions kept whole in account emails

Invitation and reset emails are now sent at once by the command that makes the token, and the mail
table keeps their link with the token masked. Rows written before keep the whole link: mask it, and
mark a row not yet sent as failed (the workers, which now never see a token, would send a dead link).

Revision ID: 0006b_web_guard
Revises: 0005f
Create Date: 2026-12-06 06:50:00.000000
"""
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006b_web_guard'
down_revision: str | None = '0006a_mail_settle'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN = re.compile(r"(/auth/set-password\?token=)[A-Za-z0-9_-]+")
MASK = r"\1[sent-once-not-kept]"
UNSENT = ("pending", "retrying", "sending", "uncertain")
GONE = "not sent: its one-time link is no longer kept; send a new one with 'cycle users reset'"


def upgrade() -> None:
    mail = sa.table("mail", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                    sa.column("status", sa.String), sa.column("text_body", sa.Text),
                    sa.column("html_body", sa.Text), sa.column("last_error", sa.Text))
    connection = op.get_bind()
    rows = connection.execute(sa.select(mail.c.id, mail.c.status, mail.c.text_body, mail.c.html_body)
                              .where(mail.c.kind == "account")).all()
    for row in rows:
        values = {"text_body": TOKEN.sub(MASK, row.text_body), "html_body": TOKEN.sub(MASK, row.html_body)}
        if row.status in UNSENT:
            values |= {"status": "failed", "last_error": GONE}
        connection.execute(sa.update(mail).where(mail.c.id == row.id).values(**values))


def downgrade() -> None:
    pass  # a masked token cannot be put back
