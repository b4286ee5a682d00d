"""Event store: events, idempotency keys and the immutability triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

POSTGRES_UP = [
    """
    CREATE TABLE events (
        global_position BIGINT GENERATED ALWAYS AS IDENTITY,
        transaction_id XID8 NOT NULL DEFAULT pg_current_xact_id(),
        tenant_id TEXT NOT NULL,
        stream_id TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        event_id UUID NOT NULL,
        event_type TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        data JSON NOT NULL,
        metadata JSON NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL,
        hash TEXT NOT NULL,
        CONSTRAINT uq_events_event_id PRIMARY KEY (event_id),
        CONSTRAINT uq_events_stream_version UNIQUE (tenant_id, stream_id, version)
    )
    """,
    # The feed's order; positions need no index of their own (every read by position is
    # either a feed read or within one stream).
    "CREATE UNIQUE INDEX ix_events_feed ON events (transaction_id, global_position)",
    """
    CREATE TABLE idempotency_keys (
        tenant_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        stream_id TEXT NOT NULL,
        first_version INTEGER NOT NULL,
        last_version INTEGER NOT NULL,
        last_position BIGINT NOT NULL,
        transaction_id BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (tenant_id, key)
    )
    """,
    """
    CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'events are immutable: % is not allowed on %', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION events_are_immutable()
    """,
    """
    CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable()
    """,
]

POSTGRES_DOWN = [
    "DROP TABLE idempotency_keys",
    "DROP TABLE events",
    "DROP FUNCTION events_are_immutable()",
]

SQLITE_UP = [
    """
    CREATE TABLE events (
        global_position INTEGER PRIMARY KEY AUTOINCREMENT,
        transaction_id INTEGER NOT NULL DEFAULT 0,
        tenant_id TEXT NOT NULL,
        stream_id TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        event_id CHAR(32) NOT NULL,
        event_type TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        data JSON NOT NULL,
        metadata JSON NOT NULL,
        recorded_at DATETIME NOT NULL,
        hash TEXT NOT NULL,
        CONSTRAINT uq_events_stream_version UNIQUE (tenant_id, stream_id, version),
        CONSTRAINT uq_events_event_id UNIQUE (event_id)
    )
    """,
    """
    CREATE TABLE idempotency_keys (
        tenant_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        stream_id TEXT NOT NULL,
        first_version INTEGER NOT NULL,
        last_version INTEGER NOT NULL,
        last_position INTEGER NOT NULL,
        transaction_id INTEGER NOT NULL,
        created_at DATETIME NOT NULL,
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (tenant_id, key)
    )
    """,
    """
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE is not allowed on events'); END
    """,
    """
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are immutable: DELETE is not allowed on events'); END
    """,
]

SQLITE_DOWN = [
    "DROP TRIGGER events_no_delete",
    "DROP TRIGGER events_no_update",
    "DROP TABLE idempotency_keys",
    "DROP TABLE events",
]


def _statements(up: bool) -> list[str]:
    postgres = op.get_bind().dialect.name == "postgresql"
    if up:
        return POSTGRES_UP if postgres else SQLITE_UP
    return POSTGRES_DOWN if postgres else SQLITE_DOWN


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
