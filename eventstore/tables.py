"""Table definitions the store queries through. Alembic migrations create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()

# SQLite's migrations name 64-bit integers INTEGER (its only integer type).
_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite keeps naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonDocument(sa.TypeDecorator[Any]):
    """JSON stored as given: text binds unchanged (the store writes canonical JSON it has
    already hashed), anything else is serialised; results are parsed."""

    impl = sa.JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        return lambda value: value if isinstance(value, str) else orjson.dumps(value).decode()

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        return lambda value: orjson.loads(value) if isinstance(value, (str, bytes)) else value


events = sa.Table(
    "events",
    metadata,
    sa.Column(
        "global_position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    # xid8 on PostgreSQL, filled by pg_current_xact_id(); always 0 on SQLite.
    sa.Column("transaction_id", _BIG, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("stream_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("event_id", sa.Uuid, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("data", JsonDocument, nullable=False),
    sa.Column("metadata", JsonDocument, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
    sa.UniqueConstraint("tenant_id", "stream_id", "version", name="uq_events_stream_version"),
    # The primary key on PostgreSQL; a unique constraint beside the rowid on SQLite.
    sa.UniqueConstraint("event_id", name="uq_events_event_id").ddl_if(dialect="sqlite"),
)
# The feed's order; SQLite's feed is the rowid (transaction ids are all 0 there).
sa.Index("ix_events_feed", events.c.transaction_id, events.c.global_position, unique=True).ddl_if(
    dialect="postgresql"
)

# The tenant feed (one organization's events after a checkpoint, in feed order) reads a range
# of this index in order: on PostgreSQL the feed order is (transaction id, position), on
# SQLite the position alone (migration 0007 creates the same, backend by backend).
TENANT_FEED_INDEX = "ix_events_tenant_feed"
sa.Index(
    TENANT_FEED_INDEX, events.c.tenant_id, events.c.transaction_id, events.c.global_position
).ddl_if(dialect="postgresql")
sa.Index(TENANT_FEED_INDEX, events.c.tenant_id, events.c.global_position).ddl_if(dialect="sqlite")

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("tenant_id", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("stream_id", sa.Text, nullable=False),
    sa.Column("first_version", sa.Integer, nullable=False),
    sa.Column("last_version", sa.Integer, nullable=False),
    sa.Column("last_position", _BIG, nullable=False),
    sa.Column("transaction_id", _BIG, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

aggregate_snapshots = sa.Table(
    "aggregate_snapshots",
    metadata,
    sa.Column("tenant_id", sa.Text, primary_key=True),
    sa.Column("stream_id", sa.Text, primary_key=True),
    sa.Column("shape", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("transaction_id", sa.BigInteger, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("written_at", UTCDateTime, nullable=False),
)

aggregate_snapshot_segments = sa.Table(
    "aggregate_snapshot_segments",
    metadata,
    sa.Column("tenant_id", sa.Text, primary_key=True),
    sa.Column("stream_id", sa.Text, primary_key=True),
    sa.Column("shape", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("after_version", sa.Integer, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("written_at", UTCDateTime, nullable=False),
)
