import pytest

from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard import scorecard_decider
from tests.unit.given import given
from tests.unit.scorecard_history import BASE, CREATED, SC, objective, perspective

IDS = ("fin", "cus", "int", "lng")


def test_a_new_scorecard_starts_with_the_four_classic_perspectives() -> None:
    given(scorecard_decider).when(
        c.CreateScorecard(
            scorecard_id=SC,
            team_id="team-1",
            name=" IT ",
            description="IT scorecard",
            perspective_ids=IDS,
        )
    ).then(*CREATED)
    state = scorecard_decider.fold(CREATED)
    assert state.perspective_order == IDS


@pytest.mark.parametrize(
    ("ids", "name", "code"),
    [
        (IDS, " ", "scorecard.name_blank"),
        (IDS[:3], "IT", "scorecard.perspective_ids_invalid"),
        (("a", "a", "b", "c"), "IT", "scorecard.perspective_ids_invalid"),
    ],
)
def test_an_invalid_new_scorecard_is_rejected(ids: tuple[str, ...], name: str, code: str) -> None:
    command = c.CreateScorecard(scorecard_id=SC, team_id="t", name=name, perspective_ids=ids)
    given(scorecard_decider).when(command).then_rejects(code)


def test_a_scorecard_cannot_be_created_twice() -> None:
    given(scorecard_decider, CREATED).when(
        c.CreateScorecard(scorecard_id=SC, team_id="t", name="X", perspective_ids=IDS)
    ).then_rejects("scorecard.already_exists")


def test_commands_on_a_missing_scorecard_are_rejected() -> None:
    given(scorecard_decider).when(c.RenameScorecard(scorecard_id=SC, name="X")).then_rejects(
        "scorecard.not_found", "scorecard_id"
    )


def test_renaming_and_describing_a_scorecard() -> None:
    given(scorecard_decider, CREATED).when(c.RenameScorecard(scorecard_id=SC, name="Ops")).then(
        e.ScorecardRenamed(scorecard_id=SC, name="Ops")
    )
    given(scorecard_decider, CREATED).when(
        c.DescribeScorecard(scorecard_id=SC, description="new")
    ).then(e.ScorecardDescriptionChanged(scorecard_id=SC, description="new"))


def test_unchanged_name_or_description_produces_nothing() -> None:
    given(scorecard_decider, CREATED).when(c.RenameScorecard(scorecard_id=SC, name="IT")).then()
    given(scorecard_decider, CREATED).when(
        c.DescribeScorecard(scorecard_id=SC, description="IT scorecard")
    ).then()


def test_renaming_a_scorecard_to_blank_is_rejected() -> None:
    given(scorecard_decider, CREATED).when(
        c.RenameScorecard(scorecard_id=SC, name="")
    ).then_rejects("scorecard.name_blank")


def test_adding_a_perspective_appends_it() -> None:
    given(scorecard_decider, CREATED).when(
        c.AddPerspective(scorecard_id=SC, perspective_id="esg", name="ESG", weight=0.5)
    ).then(
        e.PerspectiveAdded(
            scorecard_id=SC, perspective_id="esg", name="ESG", weight=0.5, position=4
        )
    )


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (
            c.AddPerspective(scorecard_id=SC, perspective_id="fin", name="F"),
            "perspective.already_exists",
        ),
        (c.AddPerspective(scorecard_id=SC, perspective_id="x", name=" "), "perspective.name_blank"),
        (
            c.AddPerspective(scorecard_id=SC, perspective_id="x", name="X", weight=-1),
            "weight.invalid",
        ),
        (
            c.AddPerspective(scorecard_id=SC, perspective_id="x", name="X", weight=float("nan")),
            "weight.invalid",
        ),
        (
            c.RenamePerspective(scorecard_id=SC, perspective_id="x", name="X"),
            "perspective.not_found",
        ),
        (
            c.RenamePerspective(scorecard_id=SC, perspective_id="fin", name=""),
            "perspective.name_blank",
        ),
        (
            c.ReweightPerspective(scorecard_id=SC, perspective_id="fin", weight=-0.1),
            "weight.invalid",
        ),
        (
            c.ReweightPerspective(scorecard_id=SC, perspective_id="x", weight=1),
            "perspective.not_found",
        ),
        (c.RemovePerspective(scorecard_id=SC, perspective_id="x"), "perspective.not_found"),
        (
            c.RemovePerspective(scorecard_id=SC, perspective_id="cus"),
            "perspective.has_active_objectives",
        ),
        (
            c.ReorderPerspectives(scorecard_id=SC, perspective_ids=("fin", "cus", "int")),
            "perspective.order_not_permutation",
        ),
        (
            c.ReorderPerspectives(scorecard_id=SC, perspective_ids=("fin", "cus", "int", "int")),
            "perspective.order_not_permutation",
        ),
        (
            c.ReorderPerspectives(scorecard_id=SC, perspective_ids=("fin", "cus", "int", "x")),
            "perspective.order_not_permutation",
        ),
    ],
)
def test_invalid_perspective_changes_are_rejected(command: c.ScorecardCommand, code: str) -> None:
    given(scorecard_decider, BASE).when(command).then_rejects(code)


def test_renaming_reweighting_and_reordering_perspectives() -> None:
    given(scorecard_decider, CREATED).when(
        c.RenamePerspective(scorecard_id=SC, perspective_id="fin", name="Finance")
    ).then(e.PerspectiveRenamed(scorecard_id=SC, perspective_id="fin", name="Finance"))
    given(scorecard_decider, CREATED).when(
        c.ReweightPerspective(scorecard_id=SC, perspective_id="fin", weight=2)
    ).then(e.PerspectiveReweighted(scorecard_id=SC, perspective_id="fin", weight=2))
    order = ("lng", "int", "cus", "fin")
    given(scorecard_decider, CREATED).when(
        c.ReorderPerspectives(scorecard_id=SC, perspective_ids=order)
    ).then(e.PerspectivesReordered(scorecard_id=SC, perspective_ids=order))
    given(scorecard_decider, CREATED).when(
        c.ReorderPerspectives(scorecard_id=SC, perspective_ids=IDS)
    ).then()


def test_a_perspective_whose_objectives_are_retired_can_be_removed() -> None:
    history = [
        *CREATED,
        objective("o9", "fin"),
        e.ObjectiveRetired(scorecard_id=SC, objective_id="o9"),
    ]
    given(scorecard_decider, history).when(
        c.RemovePerspective(scorecard_id=SC, perspective_id="fin")
    ).then(e.PerspectiveRemoved(scorecard_id=SC, perspective_id="fin"))
    state = scorecard_decider.fold(
        [*history, e.PerspectiveRemoved(scorecard_id=SC, perspective_id="fin")]
    )
    assert state.perspective_order == ("cus", "int", "lng")


def test_a_perspective_added_at_a_position_is_inserted_there() -> None:
    state = scorecard_decider.fold([*CREATED, perspective("esg", "ESG", 1)])
    assert state.perspective_order == ("fin", "esg", "cus", "int", "lng")
