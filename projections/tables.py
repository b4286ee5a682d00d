"""Read-model tables (created by the Alembic migrations, never by the code).

Versioned tables keep every version of a row with the system-time interval in which it was
current: from (time, global position, transaction id) and to (time, position; NULL while
current), who changed it, with which event and why, and likewise for the change that ended
it. "As of" a moment is an indexed filter on that interval. Every row carries the tenant and
the projection generation it belongs to (a rebuild writes the next generation, then
switches readers over).
"""

from __future__ import annotations

import sqlalchemy as sa

from eventstore.tables import UTCDateTime

metadata = sa.MetaData()

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SYSTEM_COLUMNS = (
    "row_id",
    "generation",
    "tenant_id",
    "sys_from_time",
    "sys_from_pos",
    "sys_from_tx",
    "sys_to_time",
    "sys_to_pos",
    "changed_by",
    "change_event",
    "change_reason",
    "ended_by",
    "end_event",
    "end_reason",
)


# Each versioned table's entity key and the parent it is listed under.
_KEYS = {
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
_CURRENT = sa.text("sys_to_pos IS NULL")


def _current_index(name: str, *columns: str) -> sa.Index:
    """A partial index over the current versions only."""
    return sa.Index(name, *columns, postgresql_where=_CURRENT, sqlite_where=_CURRENT)


_CURRENT_KEYS = {
    # A correction or retraction ends one measurement's current version, found by its full
    # key: on (kpi_id) alone the lookup read every current row of the KPI (the planner, with
    # no statistics yet on a growing table, took the scorecard's period index and read all
    # 4,800 current rows of a 40-KPI scorecard: 1.4 ms an end, 0.15 ms by the full key). It
    # leads with the scorecard, so it also serves the scorecard's current rows (the index
    # on (scorecard_id) alone it replaces).
    "rm_measurements": ("scorecard_id", "kpi_id", "measurement_id"),
}


def _versioned_indexes(name: str) -> list[sa.Index]:
    key, parent = _KEYS[name]
    current_key = _CURRENT_KEYS.get(name, (key,))
    indexes = [_current_index(f"ix_{name}_current_key", "tenant_id", "generation", *current_key)]
    if parent != key and parent not in current_key:
        indexes.append(
            _current_index(f"ix_{name}_current_parent", "tenant_id", "generation", parent)
        )
    if name != "rm_measurements":  # it has finer history indexes of its own, below
        indexes.append(
            sa.Index(f"ix_{name}_history", "tenant_id", "generation", parent, "sys_from_pos")
        )
    return indexes


def _versioned(name: str, *items: sa.Column[object] | sa.Index) -> sa.Table:
    columns = [item for item in items if isinstance(item, sa.Column)]
    indexes = [item for item in items if isinstance(item, sa.Index)]
    return sa.Table(
        name,
        metadata,
        sa.Column("row_id", _ID, primary_key=True, autoincrement=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.Text, nullable=False),
        *columns,
        sa.Column("sys_from_time", UTCDateTime, nullable=False),
        sa.Column("sys_from_pos", sa.BigInteger, nullable=False),
        sa.Column("sys_from_tx", sa.BigInteger, nullable=False),
        sa.Column("sys_to_time", UTCDateTime),
        sa.Column("sys_to_pos", sa.BigInteger),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("change_event", sa.Text, nullable=False),
        sa.Column("change_reason", sa.Text),
        sa.Column("ended_by", sa.Text),
        sa.Column("end_event", sa.Text),
        sa.Column("end_reason", sa.Text),
        *_versioned_indexes(name),
        *indexes,
    )


def _text(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Text, nullable=nullable)


def _float(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Float, nullable=nullable)


def _int(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Integer, nullable=False)


def _bool(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Boolean, nullable=False)


organizations = _versioned(
    "rm_organizations",
    _text("organization_id"),
    _text("name"),
    _int("fiscal_year_start_month"),
    _float("cap"),
    _float("green"),
    _float("amber"),
)
teams = _versioned(
    "rm_teams", _text("team_id"), _text("name"), _text("parent_team_id", True), _bool("archived")
)
scorecards = _versioned(
    "rm_scorecards", _text("scorecard_id"), _text("team_id"), _text("name"), _text("description")
)
perspectives = _versioned(
    "rm_perspectives",
    _text("scorecard_id"),
    _text("perspective_id"),
    _text("name"),
    _float("weight"),
    _int("position"),
)
objectives = _versioned(
    "rm_objectives",
    _text("scorecard_id"),
    _text("objective_id"),
    _text("perspective_id"),
    _text("title"),
    _text("description"),
    _text("owner"),
    _float("weight"),
    _bool("retired"),
    _text("parent_scorecard_id", True),
    _text("parent_objective_id", True),
)
objective_links = _versioned(
    "rm_objective_links",
    _text("scorecard_id"),
    _text("source_objective_id"),
    _text("target_objective_id"),
)
kpis = _versioned(
    "rm_kpis",
    _text("scorecard_id"),
    _text("kpi_id"),
    _text("objective_id"),
    _text("name"),
    _text("description"),
    _text("unit"),
    _text("direction"),
    _float("range_low", True),
    _float("range_high", True),
    _text("frequency"),
    _text("aggregation"),
    _text("kind"),
    _text("owner"),
    _float("weight"),
    _float("green", True),
    _float("amber", True),
    _bool("retired"),
)
targets = _versioned(
    "rm_targets",
    _text("scorecard_id"),
    _text("kpi_id"),
    _text("period"),
    _int("period_start"),
    _int("period_end"),
    _bool("effective_from"),
    _float("value"),
    _float("baseline", True),
    _float("stretch", True),
)
measurements = _versioned(
    "rm_measurements",
    _text("scorecard_id"),
    _text("kpi_id"),
    _text("measurement_id"),
    _text("period"),
    _int("period_start"),
    _int("period_end"),
    _float("value", True),
    _bool("not_available"),
    _text("source_system"),
    _text("external_reference"),
    _text("note"),
    _text("supersedes", True),
    _text("end_kind", True),
    _current_index(
        "ix_rm_measurements_current_period",
        "tenant_id",
        "generation",
        "scorecard_id",
        "period_start",
    ),
    sa.Index(
        "ix_rm_measurements_kpi_period",
        "tenant_id",
        "generation",
        "kpi_id",
        "period_start",
        "sys_from_pos",
    ),
    sa.Index(
        "ix_rm_measurements_period_history",
        "tenant_id",
        "generation",
        "scorecard_id",
        "period_start",
        "sys_from_time",
    ),
    # Long past moments go through (period, start), recent ones through the open end.
    sa.Index(
        "ix_rm_measurements_period_position",
        "tenant_id",
        "generation",
        "scorecard_id",
        "period_start",
        "sys_from_pos",
    ),
    sa.Index(
        "ix_rm_measurements_as_of_time",
        "tenant_id",
        "generation",
        "scorecard_id",
        sa.text("COALESCE(sys_to_time, '9999-12-31 00:00:00+00')"),
        "period_start",
        "sys_from_time",
    ),
    sa.Index(
        "ix_rm_measurements_as_of_position",
        "tenant_id",
        "generation",
        "scorecard_id",
        sa.text("COALESCE(sys_to_pos, 9223372036854775807)"),
        "period_start",
        "sys_from_pos",
    ),
)
initiatives = _versioned(
    "rm_initiatives",
    _text("scorecard_id"),
    _text("initiative_id"),
    _text("title"),
    sa.Column("objective_ids", sa.JSON, nullable=False),
    _text("owner"),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    _text("status"),
    _int("progress"),
)
period_closes = _versioned(
    "rm_period_closes",
    _text("scorecard_id"),
    _text("period"),
    _int("period_start"),
    _int("period_end"),
)

READ_MODEL_TABLES = (
    organizations,
    teams,
    scorecards,
    perspectives,
    objectives,
    objective_links,
    kpis,
    targets,
    measurements,
    initiatives,
    period_closes,
)

period_snapshots = sa.Table(
    "rm_period_snapshots",
    metadata,
    sa.Column("row_id", _ID, primary_key=True, autoincrement=True),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("scorecard_id", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=False),
    sa.Column("closed_position", sa.BigInteger, nullable=False),
    sa.Column("closed_by", sa.Text, nullable=False),
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("reopened_at", UTCDateTime),
    sa.Column("reopened_by", sa.Text),
    sa.Column("reopen_reason", sa.Text),
    sa.Index(
        "ix_rm_period_snapshots_lookup",
        "tenant_id",
        "generation",
        "scorecard_id",
        "period",
        "closed_position",
    ),
)

audit = sa.Table(
    "rm_audit",
    metadata,
    sa.Column("row_id", _ID, primary_key=True, autoincrement=True),
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
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("source_system", sa.Text),
    sa.Column("correlation_id", sa.Text),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Index("ix_rm_audit_feed", "tenant_id", "generation", "transaction_id", "position"),
    sa.Index(
        "ix_rm_audit_entity",
        "tenant_id",
        "generation",
        "entity_type",
        "entity_id",
        "transaction_id",
        "position",
    ),
    sa.Index("ix_rm_audit_actor", "tenant_id", "generation", "actor", "transaction_id", "position"),
    sa.Index("ix_rm_audit_recorded_at", "tenant_id", "generation", "recorded_at"),
)

generations = sa.Table(
    "projection_generations",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("generation", sa.Integer, nullable=False),
)

checkpoints = sa.Table(
    "projection_checkpoints",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("transaction_id", sa.BigInteger, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# -- the ledger accumulator (projections/ledger.py) ----------------------------------------

ledger_leaves = sa.Table(
    "ledger_leaves",
    metadata,
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

ledger_heads = sa.Table(
    "ledger_heads",
    metadata,
    sa.Column("generation", sa.Integer, primary_key=True),
    sa.Column("tenant_id", sa.Text, primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("subtrees", sa.Text, nullable=False),
)

ledger_digests = sa.Table(
    "ledger_digests",
    metadata,
    sa.Column("digest_id", _ID, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("format_version", sa.Integer, nullable=False),
    sa.Column("tree_size", sa.BigInteger, nullable=False),
    sa.Column("root", sa.Text, nullable=False),
    sa.Column("issued_at", UTCDateTime, nullable=False),
    sa.Column("key_id", sa.Text, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Index("ix_ledger_digests_latest", "tenant_id", "tree_size", "issued_at"),
)

failures = sa.Table(
    "projection_failures",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("failed_at", UTCDateTime, nullable=False),
    sa.Column("transaction_id", sa.BigInteger, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
)
