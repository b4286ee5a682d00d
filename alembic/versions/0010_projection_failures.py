"""Projection failures: the last error an async projection's runner met, per projection, with
when and the checkpoint it could not get past (for `scoreledger projections status`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_failures",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transaction_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("projection_failures")
