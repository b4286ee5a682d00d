import pytest

from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard import scorecard_decider
from tests.unit.given import given
from tests.unit.scorecard_history import BASE, SC, objective


def link(source: str, target: str) -> e.ObjectivesLinked:
    return e.ObjectivesLinked(
        scorecard_id=SC, source_objective_id=source, target_objective_id=target
    )


RETIRED = e.ObjectiveRetired(scorecard_id=SC, objective_id="o3")
ALIGNED = e.ObjectiveAligned(
    scorecard_id=SC, objective_id="o1", parent_scorecard_id="sc-0", parent_objective_id="p1"
)
HISTORY = [*BASE, objective("o3"), RETIRED, objective("o4"), link("o1", "o2"), link("o2", "o4")]


def test_adding_an_objective() -> None:
    given(scorecard_decider, BASE).when(
        c.AddObjective(
            scorecard_id=SC, objective_id="o9", perspective_id="fin", title=" O9 ", owner="ann"
        )
    ).then(objective("o9", "fin"))


def test_editing_an_objective_carries_all_resulting_fields() -> None:
    given(scorecard_decider, BASE).when(
        c.EditObjective(scorecard_id=SC, objective_id="o1", description="why")
    ).then(
        e.ObjectiveEdited(
            scorecard_id=SC, objective_id="o1", title="O1", description="why", owner="ann"
        )
    )
    given(scorecard_decider, BASE).when(
        c.EditObjective(scorecard_id=SC, objective_id="o1", title="O1")
    ).then()


def test_moving_and_reweighting_an_objective() -> None:
    given(scorecard_decider, BASE).when(
        c.MoveObjective(scorecard_id=SC, objective_id="o1", perspective_id="fin")
    ).then(
        e.ObjectiveMoved(
            scorecard_id=SC, objective_id="o1", from_perspective_id="cus", to_perspective_id="fin"
        )
    )
    given(scorecard_decider, BASE).when(
        c.MoveObjective(scorecard_id=SC, objective_id="o1", perspective_id="cus")
    ).then()
    given(scorecard_decider, BASE).when(
        c.ReweightObjective(scorecard_id=SC, objective_id="o1", weight=3)
    ).then(e.ObjectiveReweighted(scorecard_id=SC, objective_id="o1", weight=3))


def test_retiring_an_objective_retires_its_active_kpis_first() -> None:
    given(scorecard_decider, BASE).when(c.RetireObjective(scorecard_id=SC, objective_id="o1")).then(
        e.KpiRetired(scorecard_id=SC, kpi_id="k1", objective_id="o1"),
        e.KpiRetired(scorecard_id=SC, kpi_id="kq", objective_id="o1"),
        e.ObjectiveRetired(scorecard_id=SC, objective_id="o1"),
    )


def test_aligning_and_unaligning_an_objective() -> None:
    given(scorecard_decider, BASE).when(
        c.AlignObjective(
            scorecard_id=SC, objective_id="o1", parent_scorecard_id="sc-0", parent_objective_id="p1"
        )
    ).then(ALIGNED)
    given(scorecard_decider, BASE, ALIGNED).when(
        c.UnalignObjective(scorecard_id=SC, objective_id="o1")
    ).then(
        e.ObjectiveUnaligned(
            scorecard_id=SC, objective_id="o1", parent_scorecard_id="sc-0", parent_objective_id="p1"
        )
    )


def test_realigning_to_another_parent_replaces_the_alignment() -> None:
    realigned = e.ObjectiveAligned(
        scorecard_id=SC, objective_id="o1", parent_scorecard_id="sc-0", parent_objective_id="p2"
    )
    given(scorecard_decider, BASE, ALIGNED).when(
        c.AlignObjective(
            scorecard_id=SC, objective_id="o1", parent_scorecard_id="sc-0", parent_objective_id="p2"
        )
    ).then(realigned)


def test_linking_objectives_source_drives_target() -> None:
    given(scorecard_decider, HISTORY).when(
        c.LinkObjectives(scorecard_id=SC, source_objective_id="o1", target_objective_id="o4")
    ).then(link("o1", "o4"))


def test_unlinking_objectives() -> None:
    given(scorecard_decider, HISTORY).when(
        c.UnlinkObjectives(scorecard_id=SC, source_objective_id="o1", target_objective_id="o2")
    ).then(
        e.ObjectivesUnlinked(scorecard_id=SC, source_objective_id="o1", target_objective_id="o2")
    )


def _link(source: str, target: str) -> c.LinkObjectives:
    return c.LinkObjectives(scorecard_id=SC, source_objective_id=source, target_objective_id=target)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (
            c.AddObjective(scorecard_id=SC, objective_id="o1", perspective_id="cus", title="T"),
            "objective.already_exists",
        ),
        (
            c.AddObjective(scorecard_id=SC, objective_id="o9", perspective_id="x", title="T"),
            "perspective.not_found",
        ),
        (
            c.AddObjective(scorecard_id=SC, objective_id="o9", perspective_id="cus", title=""),
            "objective.title_blank",
        ),
        (
            c.AddObjective(
                scorecard_id=SC,
                objective_id="o9",
                perspective_id="cus",
                title="T",
                weight=float("inf"),
            ),
            "weight.invalid",
        ),
        (c.EditObjective(scorecard_id=SC, objective_id="o9", title="T"), "objective.not_found"),
        (c.EditObjective(scorecard_id=SC, objective_id="o3", title="T"), "objective.retired"),
        (c.EditObjective(scorecard_id=SC, objective_id="o1", title=" "), "objective.title_blank"),
        (
            c.MoveObjective(scorecard_id=SC, objective_id="o1", perspective_id="x"),
            "perspective.not_found",
        ),
        (c.ReweightObjective(scorecard_id=SC, objective_id="o1", weight=-2), "weight.invalid"),
        (c.RetireObjective(scorecard_id=SC, objective_id="o3"), "objective.retired"),
        (
            c.AlignObjective(
                scorecard_id=SC, objective_id="o1", parent_scorecard_id=SC, parent_objective_id="o1"
            ),
            "objective.self_alignment",
        ),
        (
            c.AlignObjective(
                scorecard_id=SC,
                objective_id="o1",
                parent_scorecard_id="sc-0",
                parent_objective_id="p1",
            ),
            "objective.already_aligned",
        ),
        (c.UnalignObjective(scorecard_id=SC, objective_id="o2"), "objective.not_aligned"),
        (_link("o1", "o1"), "objective.self_link"),
        (_link("o1", "o2"), "objective.link_exists"),
        (_link("o4", "o1"), "objective.link_cycle"),
        (_link("o2", "o1"), "objective.link_cycle"),
        (_link("o1", "o9"), "objective.not_found"),
        (_link("o3", "o1"), "objective.retired"),
        (
            c.UnlinkObjectives(scorecard_id=SC, source_objective_id="o2", target_objective_id="o1"),
            "objective.link_not_found",
        ),
    ],
)
def test_invalid_objective_changes_are_rejected(command: c.ScorecardCommand, code: str) -> None:
    given(scorecard_decider, HISTORY, ALIGNED).when(command).then_rejects(code)
