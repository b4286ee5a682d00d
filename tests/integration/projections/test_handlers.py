"""Every domain event has exactly one read-model handler."""

from __future__ import annotations

from domain.events import EVENT_TYPES
from projections.read_models import HANDLERS


def test_every_domain_event_type_has_a_read_model_handler() -> None:
    missing = sorted(name for name, cls in EVENT_TYPES.items() if cls not in HANDLERS)
    assert missing == []
