"""Indexes for "as of" reads of measurements: the end of each version's interval is part of
the index key (an open end counting as beyond any moment), so versions that had already ended
by the moment asked about are passed over inside the index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN_END_TIME = "COALESCE(sys_to_time, '9999-12-31 00:00:00+00')"
OPEN_END_POSITION = "COALESCE(sys_to_pos, 9223372036854775807)"


def upgrade() -> None:
    # Beside ix_rm_measurements_period_history, which serves moments long past (few versions
    # had started by then); this one serves recent moments (few versions have ended since).
    op.create_index(
        "ix_rm_measurements_as_of_time",
        "rm_measurements",
        [
            "tenant_id",
            "generation",
            "scorecard_id",
            sa.text(OPEN_END_TIME),
            "period_start",
            "sys_from_time",
        ],
    )
    # Positions likewise: long past through (period, start), recent through the end.
    op.drop_index("ix_rm_measurements_history", table_name="rm_measurements")
    op.create_index(
        "ix_rm_measurements_period_position",
        "rm_measurements",
        ["tenant_id", "generation", "scorecard_id", "period_start", "sys_from_pos"],
    )
    op.create_index(
        "ix_rm_measurements_as_of_position",
        "rm_measurements",
        [
            "tenant_id",
            "generation",
            "scorecard_id",
            sa.text(OPEN_END_POSITION),
            "period_start",
            "sys_from_pos",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_rm_measurements_as_of_position", table_name="rm_measurements")
    op.drop_index("ix_rm_measurements_period_position", table_name="rm_measurements")
    op.create_index(
        "ix_rm_measurements_history",
        "rm_measurements",
        ["tenant_id", "generation", "scorecard_id", "sys_from_pos"],
    )
    op.drop_index("ix_rm_measurements_as_of_time", table_name="rm_measurements")
