"""Value types of the scorecard that are not KPI kinds."""

from __future__ import annotations

import enum


class InitiativeStatus(enum.StrEnum):
    """Where an initiative stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


CLASSIC_PERSPECTIVES = ("Financial", "Customer", "Internal Process", "Learning & Growth")
"""The perspectives every new scorecard starts with, in order."""
