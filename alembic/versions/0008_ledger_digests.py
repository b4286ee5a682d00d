"""The ledger accumulator and its signed digests: per organization, the Merkle leaf of every
event in feed order and the running frontier of the tree (both kept by the async projection
``ledger``, per generation), and each digest issued (never deleted: an auditor may hold it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_leaves",
        sa.Column("generation", sa.Integer, primary_key=True),
        sa.Column("tenant_id", sa.Text, primary_key=True),
        sa.Column("leaf_index", sa.BigInteger, primary_key=True),
        sa.Column("stream_id", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("transaction_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("leaf", sa.Text, nullable=False),
    )
    op.create_table(
        "ledger_heads",
        sa.Column("generation", sa.Integer, primary_key=True),
        sa.Column("tenant_id", sa.Text, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("subtrees", sa.Text, nullable=False),
    )
    op.create_table(
        "ledger_digests",
        sa.Column("digest_id", ID, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("format_version", sa.Integer, nullable=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.Text, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_ledger_digests_latest", "ledger_digests", ["tenant_id", "tree_size", "issued_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_digests_latest", table_name="ledger_digests")
    op.drop_table("ledger_digests")
    op.drop_table("ledger_heads")
    op.drop_table("ledger_leaves")
