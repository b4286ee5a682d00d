"""The tenant feed's index: ``GET /v1/events`` reads one organization's events in feed order.

The tenant feed filters on the tenant and walks the feed order after a checkpoint. On
PostgreSQL the order is ``(transaction_id, global_position)`` (the gap-safe feed), so the
index leads with the tenant and continues in that order; on SQLite the order is the position
alone (transaction ids are all 0, and an index with them in the middle could not give the
order), so the index is ``(tenant_id, global_position)``. Either way a page is a range of
the index read in order, instead of the whole feed filtered by tenant. ``eventstore/tables.py``
declares the same index for each backend.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "ix_events_tenant_feed"
COLUMNS = {
    "postgresql": ["tenant_id", "transaction_id", "global_position"],
    "sqlite": ["tenant_id", "global_position"],
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_index(NAME, "events", COLUMNS[dialect])


def downgrade() -> None:
    op.drop_index(NAME, table_name="events")
