"""Read models: versioned rows with system-time intervals, checkpoints, generations,
period-close snapshots and the audit index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)

VERSIONED = {
    "rm_organizations": [
        sa.Column("organization_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("fiscal_year_start_month", sa.Integer, nullable=False),
        sa.Column("cap", sa.Float, nullable=False),
        sa.Column("green", sa.Float, nullable=False),
        sa.Column("amber", sa.Float, nullable=False),
    ],
    "rm_teams": [
        sa.Column("team_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_team_id", sa.Text),
        sa.Column("archived", sa.Boolean, nullable=False),
    ],
    "rm_scorecards": [
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("team_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
    ],
    "rm_perspectives": [
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("perspective_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    ],
    "rm_objectives": [
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("objective_id", sa.Text, nullable=False),
        sa.Column("perspective_id", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("retired", sa.Boolean, nullable=False),
        sa.Column("parent_scorecard_id", sa.Text),
        sa.Column("parent_objective_id", sa.Text),
    ],
    "rm_objective_links": [
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("source_objective_id", sa.Text, nullable=False),
        sa.Column("target_objective_id", sa.Text, nullable=False),
    ],
    "rm_kpis": [
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("kpi_id", sa.Text, nullable=False),
        sa.Column("objective_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("direction", sa.Text, nullable=False),
        sa.Column("range_low", sa.Float),
        sa.Column("range_high", sa.Float),
        sa.Column("frequency", sa.Text, nullable=False),
        sa.Column("aggregation", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("green", sa.Float),
        sa.Column("amber", sa.Float),
        sa.Column("retired", sa.Boolean, nullable=False),
    ],
    "rm_targets": [
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("kpi_id", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("period_start", sa.Integer, nullable=False),
        sa.Column("period_end", sa.Integer, nullable=False),
        sa.Column("effective_from", sa.Boolean, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("baseline", sa.Float),
        sa.Column("stretch", sa.Float),
    ],
    "rm_measurements": [
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("kpi_id", sa.Text, nullable=False),
        sa.Column("measurement_id", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("period_start", sa.Integer, nullable=False),
        sa.Column("period_end", sa.Integer, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("not_available", sa.Boolean, nullable=False),
        sa.Column("source_system", sa.Text, nullable=False),
        sa.Column("external_reference", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("supersedes", sa.Text),
        sa.Column("end_kind", sa.Text),
    ],
    "rm_initiatives": [
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("initiative_id", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("objective_ids", sa.JSON, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
    ],
    "rm_period_closes": [
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("period_start", sa.Integer, nullable=False),
        sa.Column("period_end", sa.Integer, nullable=False),
    ],
}

# The key an entity is looked up by inside its tenant, and the parent a query lists by.
KEYS = {
    "rm_organizations": ("organization_id", "organization_id"),
    "rm_teams": ("team_id", "team_id"),
    "rm_scorecards": ("scorecard_id", "scorecard_id"),
    "rm_perspectives": ("perspective_id", "scorecard_id"),
    "rm_objectives": ("objective_id", "scorecard_id"),
    "rm_objective_links": ("source_objective_id", "scorecard_id"),
    "rm_kpis": ("kpi_id", "scorecard_id"),
    "rm_targets": ("kpi_id", "scorecard_id"),
    "rm_measurements": ("kpi_id", "scorecard_id"),
    "rm_initiatives": ("initiative_id", "scorecard_id"),
    "rm_period_closes": ("period", "scorecard_id"),
}


def _system_time() -> list[sa.Column]:
    return [
        sa.Column("sys_from_time", TS, nullable=False),
        sa.Column("sys_from_pos", sa.BigInteger, nullable=False),
        sa.Column("sys_from_tx", sa.BigInteger, nullable=False),
        sa.Column("sys_to_time", TS),
        sa.Column("sys_to_pos", sa.BigInteger),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("change_event", sa.Text, nullable=False),
        sa.Column("change_reason", sa.Text),
        sa.Column("ended_by", sa.Text),
        sa.Column("end_event", sa.Text),
        sa.Column("end_reason", sa.Text),
    ]


def upgrade() -> None:
    op.create_table(
        "projection_generations",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
    )
    op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("transaction_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    for name, columns in VERSIONED.items():
        op.create_table(
            name,
            sa.Column("row_id", ID, primary_key=True, autoincrement=True),
            sa.Column("generation", sa.Integer, nullable=False),
            sa.Column("tenant_id", sa.Text, nullable=False),
            *columns,
            *_system_time(),
        )
        key, parent = KEYS[name]
        current = sa.text("sys_to_pos IS NULL")
        op.create_index(
            f"ix_{name}_current_key", name, ["tenant_id", "generation", key],
            postgresql_where=current, sqlite_where=current,
        )
        if parent != key:
            op.create_index(
                f"ix_{name}_current_parent", name, ["tenant_id", "generation", parent],
                postgresql_where=current, sqlite_where=current,
            )
        op.create_index(
            f"ix_{name}_history", name, ["tenant_id", "generation", parent, "sys_from_pos"]
        )
    current = sa.text("sys_to_pos IS NULL")
    op.create_index(
        "ix_rm_measurements_current_period", "rm_measurements",
        ["tenant_id", "generation", "scorecard_id", "period_start"],
        postgresql_where=current, sqlite_where=current,
    )
    op.create_index(
        "ix_rm_measurements_kpi_period", "rm_measurements",
        ["tenant_id", "generation", "kpi_id", "period_start", "sys_from_pos"],
    )
    op.create_index(
        "ix_rm_measurements_period_history", "rm_measurements",
        ["tenant_id", "generation", "scorecard_id", "period_start", "sys_from_time"],
    )
    op.create_table(
        "rm_period_snapshots",
        sa.Column("row_id", ID, primary_key=True, autoincrement=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("scorecard_id", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("closed_at", TS, nullable=False),
        sa.Column("closed_position", sa.BigInteger, nullable=False),
        sa.Column("closed_by", sa.Text, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("reopened_at", TS),
        sa.Column("reopened_by", sa.Text),
        sa.Column("reopen_reason", sa.Text),
    )
    op.create_index(
        "ix_rm_period_snapshots_lookup", "rm_period_snapshots",
        ["tenant_id", "generation", "scorecard_id", "period", "closed_position"],
    )
    op.create_table(
        "rm_audit",
        sa.Column("row_id", ID, primary_key=True, autoincrement=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("transaction_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("stream_id", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("entity_type", sa.Text, nullable=False),
        sa.Column("entity_id", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("source_system", sa.Text),
        sa.Column("correlation_id", sa.Text),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_rm_audit_feed", "rm_audit",
        ["tenant_id", "generation", "transaction_id", "position"],
    )
    op.create_index(
        "ix_rm_audit_entity", "rm_audit",
        ["tenant_id", "generation", "entity_type", "entity_id", "transaction_id", "position"],
    )
    op.create_index(
        "ix_rm_audit_actor", "rm_audit",
        ["tenant_id", "generation", "actor", "transaction_id", "position"],
    )
    op.create_index(
        "ix_rm_audit_recorded_at", "rm_audit", ["tenant_id", "generation", "recorded_at"]
    )


def downgrade() -> None:
    op.drop_table("rm_audit")
    op.drop_table("rm_period_snapshots")
    for name in reversed(list(VERSIONED)):
        op.drop_table(name)
    op.drop_table("projection_checkpoints")
    op.drop_table("projection_generations")
