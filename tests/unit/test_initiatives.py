import datetime as dt

import pytest

from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard import scorecard_decider
from domain.scorecard.values import InitiativeStatus
from tests.unit.given import given
from tests.unit.scorecard_history import BASE, SC, objective

JAN, JUN = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
CREATED = e.InitiativeCreated(
    scorecard_id=SC,
    initiative_id="i1",
    title="Self-service portal",
    objective_ids=("o1",),
    owner="ann",
    start_date=JAN,
    due_date=JUN,
    status=InitiativeStatus.PLANNED,
    progress=0,
)
HISTORY = [
    *BASE,
    objective("o3"),
    e.ObjectiveRetired(scorecard_id=SC, objective_id="o3"),
    CREATED,
    CREATED.model_copy(update={"initiative_id": "done"}),
    e.InitiativeCompleted(scorecard_id=SC, initiative_id="done"),
]


def _create(**more: object) -> c.CreateInitiative:
    fields = CREATED.model_dump() | {"initiative_id": "i2"}
    return c.CreateInitiative.model_validate(fields | more)


def test_creating_an_initiative() -> None:
    given(scorecard_decider, HISTORY).when(_create(objective_ids=("o1", "o2"))).then(
        CREATED.model_copy(update={"initiative_id": "i2", "objective_ids": ("o1", "o2")})
    )


def test_editing_an_initiative_carries_all_resulting_fields() -> None:
    given(scorecard_decider, HISTORY).when(
        c.EditInitiative(
            scorecard_id=SC, initiative_id="i1", status=InitiativeStatus.IN_PROGRESS, progress=40
        )
    ).then(
        e.InitiativeEdited(
            scorecard_id=SC,
            initiative_id="i1",
            title="Self-service portal",
            owner="ann",
            start_date=JAN,
            due_date=JUN,
            status=InitiativeStatus.IN_PROGRESS,
            progress=40,
        )
    )


def test_relinking_completing_and_cancelling() -> None:
    given(scorecard_decider, HISTORY).when(
        c.RelinkInitiative(scorecard_id=SC, initiative_id="i1", objective_ids=("o2",))
    ).then(e.InitiativeRelinked(scorecard_id=SC, initiative_id="i1", objective_ids=("o2",)))
    given(scorecard_decider, HISTORY).when(
        c.CompleteInitiative(scorecard_id=SC, initiative_id="i1")
    ).then(e.InitiativeCompleted(scorecard_id=SC, initiative_id="i1"))
    given(scorecard_decider, HISTORY).when(
        c.CancelInitiative(scorecard_id=SC, initiative_id="i1", reason="budget")
    ).then(e.InitiativeCancelled(scorecard_id=SC, initiative_id="i1", reason="budget"))


def test_a_completed_initiative_is_at_full_progress() -> None:
    state = scorecard_decider.fold(HISTORY)
    assert state.initiatives["done"].status is InitiativeStatus.DONE
    assert state.initiatives["done"].progress == 100


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (_create(initiative_id="i1"), "initiative.already_exists"),
        (_create(title=" "), "initiative.title_blank"),
        (_create(objective_ids=()), "initiative.objectives_required"),
        (_create(objective_ids=("o1", "o1")), "initiative.duplicate_objective"),
        (_create(objective_ids=("nope",)), "objective.not_found"),
        (_create(objective_ids=("o3",)), "objective.retired"),
        (_create(due_date=dt.date(2025, 12, 31)), "initiative.due_before_start"),
        (_create(progress=101), "initiative.progress_out_of_range"),
        (_create(progress=-1), "initiative.progress_out_of_range"),
        (c.EditInitiative(scorecard_id=SC, initiative_id="nope"), "initiative.not_found"),
        (c.EditInitiative(scorecard_id=SC, initiative_id="done", title="X"), "initiative.finished"),
        (
            c.EditInitiative(scorecard_id=SC, initiative_id="i1", status=InitiativeStatus.DONE),
            "initiative.status_requires_command",
        ),
        (c.EditInitiative(scorecard_id=SC, initiative_id="i1", title=""), "initiative.title_blank"),
        (
            c.EditInitiative(scorecard_id=SC, initiative_id="i1", due_date=dt.date(2025, 1, 1)),
            "initiative.due_before_start",
        ),
        (
            c.RelinkInitiative(scorecard_id=SC, initiative_id="i1", objective_ids=()),
            "initiative.objectives_required",
        ),
        (c.CompleteInitiative(scorecard_id=SC, initiative_id="done"), "initiative.finished"),
        (
            c.CancelInitiative(scorecard_id=SC, initiative_id="i1", reason=""),
            "initiative.reason_required",
        ),
    ],
)
def test_invalid_initiative_changes_are_rejected(command: c.ScorecardCommand, code: str) -> None:
    given(scorecard_decider, HISTORY).when(command).then_rejects(code)
