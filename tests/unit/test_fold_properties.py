"""Folding is deterministic and never mutates the state it starts from."""

import copy
import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.decider import Decider
from domain.errors import DomainError
from domain.kpi_kinds import Direction
from domain.organization import ArchiveTeam, CreateTeam, MoveTeam, organization_decider
from domain.periods import Frequency, Period
from domain.scorecard import commands as c
from domain.scorecard import scorecard_decider
from tests.unit import test_organization
from tests.unit.scorecard_history import CREATED, SC

ids = st.sampled_from(["a", "b", "c"])
months = st.builds(Period.month, st.just(2026), st.integers(1, 4))
values = st.none() | st.floats(-100, 100)

scorecard_commands = st.one_of(
    st.builds(
        c.AddObjective,
        scorecard_id=st.just(SC),
        objective_id=ids,
        perspective_id=st.sampled_from(["fin", "cus"]),
        title=st.just("T"),
    ),
    st.builds(c.RetireObjective, scorecard_id=st.just(SC), objective_id=ids),
    st.builds(
        c.LinkObjectives, scorecard_id=st.just(SC), source_objective_id=ids, target_objective_id=ids
    ),
    st.builds(
        c.DefineKpi,
        scorecard_id=st.just(SC),
        kpi_id=ids,
        objective_id=ids,
        name=st.just("K"),
        direction=st.just(Direction.HIGHER_IS_BETTER),
        frequency=st.just(Frequency.MONTH),
    ),
    st.builds(c.EditKpi, scorecard_id=st.just(SC), kpi_id=ids, unit=st.sampled_from(["%", "ms"])),
    st.builds(
        c.SetTarget,
        scorecard_id=st.just(SC),
        kpi_id=ids,
        period=months,
        value=st.floats(0, 100),
        reason=st.just("r"),
        effective_from=st.booleans(),
    ),
    st.builds(
        c.RecordMeasurement,
        scorecard_id=st.just(SC),
        measurement_id=st.text("mn", min_size=1, max_size=4),
        kpi_id=ids,
        period=months,
        value=values,
        not_available=st.booleans(),
        reason=st.just("fix"),
    ),
    st.builds(
        c.RetractMeasurement,
        scorecard_id=st.just(SC),
        kpi_id=ids,
        period=months,
        reason=st.just("r"),
    ),
    st.builds(c.ClosePeriod, scorecard_id=st.just(SC), period=months),
    st.builds(c.ReopenPeriod, scorecard_id=st.just(SC), period=months, reason=st.just("r")),
    st.builds(
        c.CreateInitiative,
        scorecard_id=st.just(SC),
        initiative_id=ids,
        title=st.just("I"),
        objective_ids=st.tuples(ids),
        start_date=st.just(dt.date(2026, 1, 1)),
        due_date=st.just(dt.date(2026, 2, 1)),
    ),
)


def run(
    decider: Decider[Any, Any, Any], history: list[Any], commands: list[Any]
) -> tuple[list[Any], Any]:
    events = list(history)
    state = decider.fold(events)
    for command in commands:
        try:
            produced = decider.decide(command, state)
        except DomainError:
            continue
        before = copy.deepcopy(state)
        new_state = decider.fold(produced, state)
        assert state == before, "evolve mutated its input"
        state = new_state
        events.extend(produced)
    return events, state


@settings(max_examples=60, deadline=None)
@given(st.lists(scorecard_commands, max_size=30))
def test_folding_the_same_scorecard_events_twice_gives_equal_states(commands: list[Any]) -> None:
    events, state = run(scorecard_decider, CREATED, commands)
    assert scorecard_decider.fold(events) == scorecard_decider.fold(events) == state


team_ids = st.sampled_from(["it", "ops", "dev", "sre", "new"])
org_commands = st.one_of(
    st.builds(
        CreateTeam,
        organization_id=st.just("org-1"),
        team_id=team_ids,
        name=st.just("T"),
        parent_team_id=st.none() | team_ids,
    ),
    st.builds(
        MoveTeam,
        organization_id=st.just("org-1"),
        team_id=team_ids,
        new_parent_team_id=st.none() | team_ids,
    ),
    st.builds(ArchiveTeam, organization_id=st.just("org-1"), team_id=team_ids),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(org_commands, max_size=20))
def test_team_moves_never_create_a_cycle_and_folding_is_deterministic(commands: list[Any]) -> None:
    events, state = run(organization_decider, test_organization.tree, commands)
    assert organization_decider.fold(events) == state
    for team_id in state.teams:
        chain = state.ancestors(team_id)
        parent = state.teams[chain[-1]].parent_team_id
        assert parent is None, f"{team_id} is in a cycle"
