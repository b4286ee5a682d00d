"""Aggregate snapshots: the folded state of a stream at a version, kept beside the stream so
the command executor need not fold a long stream from its start. Never a source of truth:
rows may be deleted at any time and are rebuilt from the events; a row whose ``shape`` the
running code does not know is ignored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aggregate_snapshots",
        sa.Column("tenant_id", sa.Text, primary_key=True),
        sa.Column("stream_id", sa.Text, primary_key=True),
        sa.Column("shape", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("transaction_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("aggregate_snapshots")
