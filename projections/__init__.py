"""Read models built from the event log: inline and async projections, their runner and
rebuild, and the queries the API serves."""

from projections.audit import AuditProjection
from projections.ledger import LedgerProjection
from projections.projection import Projection
from projections.read_models import ReadModelProjection
from projections.snapshots import PeriodSnapshotProjection


def inline_projections() -> tuple[Projection, ...]:
    """Projections applied in the append's own transaction."""
    return (ReadModelProjection(),)


def async_projections() -> tuple[Projection, ...]:
    """Projections applied by runners following the feed."""
    return (PeriodSnapshotProjection(), AuditProjection(), LedgerProjection())


__all__ = ["async_projections", "inline_projections"]
