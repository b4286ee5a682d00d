"""Tables owned by the API layer: bearer tokens (stored hashed) and the REST API's
idempotency keys with the responses they answered."""

from __future__ import annotations

import sqlalchemy as sa

from eventstore.tables import UTCDateTime

metadata = sa.MetaData()

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_id", sa.String(40), primary_key=True),
    sa.Column("tenant_id", sa.String(200), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Index("ix_api_tokens_tenant", "tenant_id"),
)

api_idempotency_keys = sa.Table(
    "api_idempotency_keys",
    metadata,
    sa.Column("tenant_id", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("content_type", sa.String(100)),
    sa.Column("body", sa.LargeBinary),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index("ix_api_idempotency_keys_expiry", "tenant_id", "expires_at"),
)
