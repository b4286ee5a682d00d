"""The streams commands act on: one organization stream per tenant, one per scorecard."""

from __future__ import annotations

ORGANIZATION_STREAM = "organization"


def scorecard_stream(scorecard_id: str) -> str:
    """The stream holding one scorecard's events."""
    return f"scorecard-{scorecard_id}"
