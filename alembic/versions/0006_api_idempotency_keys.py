"""Idempotency keys of the REST API: per organization, the request's hash, whether it is
running or finished, and the finished response (status, content type, exact body bytes) so a
retry is answered byte for byte. Rows expire (at least 24 hours after the first request).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_idempotency_keys",
        sa.Column("tenant_id", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("content_type", sa.String(100)),
        sa.Column("body", sa.LargeBinary),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index(
        "ix_api_idempotency_keys_expiry", "api_idempotency_keys", ["tenant_id", "expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_api_idempotency_keys_expiry", table_name="api_idempotency_keys")
    op.drop_table("api_idempotency_keys")
