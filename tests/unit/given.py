"""A tiny given/when/then harness for deciders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest

from domain.decider import Decider
from domain.errors import DomainError

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


@dataclass(frozen=True)
class Scenario(Generic[C, E, S]):
    decider: Decider[C, E, S]
    history: Sequence[E]

    def when(self, command: C) -> Outcome[C, E, S]:
        return Outcome(self, command)

    @property
    def state(self) -> S:
        return self.decider.fold(self.history)


@dataclass(frozen=True)
class Outcome(Generic[C, E, S]):
    scenario: Scenario[C, E, S]
    command: C

    def events(self) -> list[E]:
        return self.scenario.decider.decide(self.command, self.scenario.state)

    def then(self, *expected: E) -> list[E]:
        produced = self.events()
        assert produced == list(expected)
        # every produced event must apply cleanly on the state it was decided on
        self.scenario.decider.fold(produced, self.scenario.state)
        return produced

    def then_rejects(self, code: str, field: str | None = None) -> DomainError:
        with pytest.raises(DomainError) as caught:
            self.events()
        assert caught.value.code == code, caught.value
        if field is not None:
            assert caught.value.field == field
        return caught.value


def given(decider: Decider[Any, Any, Any], *history: Any) -> Scenario[Any, Any, Any]:
    """Start a scenario from ``history`` (events, or lists of events, flattened)."""
    flat: list[Any] = []
    for item in history:
        flat.extend(item if isinstance(item, list) else [item])
    return Scenario(decider, flat)
