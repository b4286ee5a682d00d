"""The domain's enumerations as GraphQL enums (same members, documented).

``strawberry.enum`` registers each class in place, so fields are annotated with the domain
classes themselves; importing this module is what makes them GraphQL enums.
"""

from __future__ import annotations

import strawberry

from api.auth.roles import Role
from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.periods import Granularity
from domain.scorecard.values import InitiativeStatus
from domain.scoring import Status

strawberry.enum(Status, name="Status", description="Traffic light of a score; NO_DATA: no score.")
strawberry.enum(Direction, name="Direction", description="Which actuals are good.")
strawberry.enum(
    Aggregation, name="Aggregation", description="How a KPI's periods combine into longer ones."
)
strawberry.enum(KpiKind, name="KpiKind", description="Leading indicators predict; lagging measure.")
strawberry.enum(Granularity, name="Frequency", description="How often a KPI is measured.")
strawberry.enum(
    InitiativeStatus, name="InitiativeStatus", description="Where an initiative stands."
)
strawberry.enum(Role, name="Role", description="What a token may do.")

__all__ = [
    "Aggregation",
    "Direction",
    "Granularity",
    "InitiativeStatus",
    "KpiKind",
    "Role",
    "Status",
]
