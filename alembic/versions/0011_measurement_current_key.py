"""The current measurements' key index covers the whole key a correction ends.

A correction or a retraction ends the current version of one measurement, found by
``(tenant_id, generation, scorecard_id, kpi_id, measurement_id)``. The index on
``(tenant_id, generation, kpi_id)`` left the rest to a filter over every current row of the
KPI, and a planner without statistics on a fast-growing table read the scorecard's whole
period index instead (1.4 ms an end at 4,800 current rows, 0.15 ms by the full key). The new
index leads with the scorecard, so the index on ``(tenant_id, generation, scorecard_id)``
alone becomes redundant and goes: one index fewer for every measurement inserted.
``projections/tables.py`` declares the same.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "rm_measurements"
CURRENT = sa.text("sys_to_pos IS NULL")


def _current(name: str, *columns: str) -> None:
    op.create_index(
        name, TABLE, list(columns), postgresql_where=CURRENT, sqlite_where=CURRENT
    )


def upgrade() -> None:
    op.drop_index("ix_rm_measurements_current_key", table_name=TABLE)
    op.drop_index("ix_rm_measurements_current_parent", table_name=TABLE)
    _current(
        "ix_rm_measurements_current_key",
        "tenant_id",
        "generation",
        "scorecard_id",
        "kpi_id",
        "measurement_id",
    )


def downgrade() -> None:
    op.drop_index("ix_rm_measurements_current_key", table_name=TABLE)
    _current("ix_rm_measurements_current_key", "tenant_id", "generation", "kpi_id")
    _current("ix_rm_measurements_current_parent", "tenant_id", "generation", "scorecard_id")
