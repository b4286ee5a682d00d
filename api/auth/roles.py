"""Roles and the capabilities each grants."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a token may do within its organization."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"
    AUDITOR = "auditor"
    INTEGRATOR = "integrator"


class Capability(StrEnum):
    """One kind of operation a role may be granted."""

    READ_CURRENT = "read_current"
    """Current scorecards, the organization, its teams (figures, no who/why)."""
    READ_HISTORY = "read_history"
    """Who changed what, when and why: KPI history, audit trail, changes, integrity."""
    ADMINISTER = "administer"
    """The organization itself, its scoring defaults, period close and reopen, server status."""
    EDIT_STRUCTURE = "edit_structure"
    """Teams, scorecards, perspectives, objectives, links, KPIs and initiatives."""
    EDIT_TARGETS = "edit_targets"
    RECORD_MEASUREMENTS = "record_measurements"
    """Record a value (or a correction of one)."""
    MANAGE_MEASUREMENTS = "manage_measurements"
    """Retract a recorded value."""
    ISSUE_DIGESTS = "issue_digests"
    """Sign a digest of the organization's ledger (writes a digest, never an event)."""
    FOLLOW_FEED = "follow_feed"
    """The organization's event feed (``GET /v1/events``): every event with its who/why
    metadata, so integrators can follow what changed; viewers see no who/why and may not."""


GRANTS: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.EDITOR: frozenset(
        {
            Capability.READ_CURRENT,
            Capability.READ_HISTORY,
            Capability.EDIT_STRUCTURE,
            Capability.EDIT_TARGETS,
            Capability.RECORD_MEASUREMENTS,
            Capability.MANAGE_MEASUREMENTS,
            Capability.FOLLOW_FEED,
        }
    ),
    Role.VIEWER: frozenset({Capability.READ_CURRENT}),
    Role.AUDITOR: frozenset(
        {
            Capability.READ_CURRENT,
            Capability.READ_HISTORY,
            Capability.ISSUE_DIGESTS,
            Capability.FOLLOW_FEED,
        }
    ),
    Role.INTEGRATOR: frozenset({Capability.RECORD_MEASUREMENTS, Capability.FOLLOW_FEED}),
}
"""The capabilities of each role; a role never gains one implicitly."""


def allows(role: Role, capability: Capability) -> bool:
    """Whether ``role`` may exercise ``capability``."""
    return capability in GRANTS[role]
