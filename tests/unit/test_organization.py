import pytest

from domain.errors import DomainError
from domain.organization import (
    ArchiveTeam,
    ChangeScoringDefaults,
    CreateOrganization,
    CreateTeam,
    MoveTeam,
    OrganizationCreated,
    OrganizationEvent,
    OrganizationRenamed,
    RenameOrganization,
    RenameTeam,
    ScoringDefaultsChanged,
    TeamArchived,
    TeamCreated,
    TeamMoved,
    TeamRenamed,
    active_team,
    organization_decider,
)
from domain.scoring import ScoringDefaults, Thresholds
from tests.unit.given import given

ORG = "org-1"
created = OrganizationCreated(
    organization_id=ORG, name="Acme", fiscal_year_start_month=4, scoring=ScoringDefaults()
)


def team(team_id: str, parent: str | None = None) -> TeamCreated:
    return TeamCreated(
        organization_id=ORG, team_id=team_id, name=team_id.title(), parent_team_id=parent
    )


tree = [created, team("it"), team("ops", "it"), team("dev", "it"), team("sre", "ops")]


def test_creating_an_organization_records_its_settings() -> None:
    given(organization_decider).when(
        CreateOrganization(organization_id=ORG, name=" Acme ", fiscal_year_start_month=4)
    ).then(created)


def test_the_default_scoring_is_a_cap_of_1_5_green_1_and_amber_0_9() -> None:
    scoring = ScoringDefaults()
    assert (scoring.cap, scoring.thresholds.green, scoring.thresholds.amber) == (1.5, 1.0, 0.9)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (CreateOrganization(organization_id=ORG, name=" "), "organization.name_blank"),
        (
            CreateOrganization(organization_id=ORG, name="A", fiscal_year_start_month=13),
            "organization.fiscal_start_month_invalid",
        ),
        (
            CreateOrganization(organization_id=ORG, name="A", fiscal_year_start_month=0),
            "organization.fiscal_start_month_invalid",
        ),
        (
            CreateOrganization(organization_id=ORG, name="A", scoring=ScoringDefaults(cap=0.5)),
            "scoring.cap_invalid",
        ),
        (
            CreateOrganization(
                organization_id=ORG, name="A", scoring=ScoringDefaults(cap=float("inf"))
            ),
            "scoring.cap_invalid",
        ),
        (
            CreateOrganization(
                organization_id=ORG,
                name="A",
                scoring=ScoringDefaults(thresholds=Thresholds(green=0.8, amber=0.9)),
            ),
            "thresholds.invalid",
        ),
    ],
)
def test_an_invalid_organization_is_rejected(command: CreateOrganization, code: str) -> None:
    given(organization_decider).when(command).then_rejects(code)


def test_an_organization_cannot_be_created_twice() -> None:
    given(organization_decider, created).when(
        CreateOrganization(organization_id=ORG, name="Again")
    ).then_rejects("organization.already_exists", "organization_id")


def test_commands_on_a_missing_organization_are_rejected() -> None:
    given(organization_decider).when(
        RenameOrganization(organization_id=ORG, name="X")
    ).then_rejects("organization.not_found")


def test_renaming_the_organization() -> None:
    given(organization_decider, created).when(
        RenameOrganization(organization_id=ORG, name="Acme Corp")
    ).then(OrganizationRenamed(organization_id=ORG, name="Acme Corp"))


def test_renaming_to_the_same_name_changes_nothing() -> None:
    given(organization_decider, created).when(
        RenameOrganization(organization_id=ORG, name="Acme")
    ).then()


def test_renaming_to_a_blank_name_is_rejected() -> None:
    given(organization_decider, created).when(
        RenameOrganization(organization_id=ORG, name="")
    ).then_rejects("organization.name_blank", "name")


def test_changing_the_scoring_defaults() -> None:
    scoring = ScoringDefaults(cap=2.0, thresholds=Thresholds(green=0.95, amber=0.8))
    given(organization_decider, created).when(
        ChangeScoringDefaults(organization_id=ORG, scoring=scoring)
    ).then(ScoringDefaultsChanged(organization_id=ORG, scoring=scoring))


def test_scoring_defaults_with_nan_thresholds_are_rejected() -> None:
    scoring = ScoringDefaults(thresholds=Thresholds(green=float("nan")))
    given(organization_decider, created).when(
        ChangeScoringDefaults(organization_id=ORG, scoring=scoring)
    ).then_rejects("thresholds.invalid")


def test_creating_a_root_team_and_a_child_team() -> None:
    given(organization_decider, created).when(
        CreateTeam(organization_id=ORG, team_id="it", name="It")
    ).then(team("it"))
    given(organization_decider, created, team("it")).when(
        CreateTeam(organization_id=ORG, team_id="ops", name="Ops", parent_team_id="it")
    ).then(team("ops", "it"))


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (CreateTeam(organization_id=ORG, team_id="it", name="IT"), "team.already_exists"),
        (CreateTeam(organization_id=ORG, team_id="x", name=" "), "team.name_blank"),
        (
            CreateTeam(organization_id=ORG, team_id="x", name="X", parent_team_id="nope"),
            "team.parent_not_found",
        ),
        (
            CreateTeam(organization_id=ORG, team_id="x", name="X", parent_team_id="old"),
            "team.parent_archived",
        ),
    ],
)
def test_an_invalid_team_is_rejected(command: CreateTeam, code: str) -> None:
    archived = [team("old"), TeamArchived(organization_id=ORG, team_id="old")]
    given(organization_decider, tree, archived).when(command).then_rejects(code)


def test_renaming_a_team() -> None:
    given(organization_decider, tree).when(
        RenameTeam(organization_id=ORG, team_id="ops", name="Operations")
    ).then(TeamRenamed(organization_id=ORG, team_id="ops", name="Operations"))


def test_renaming_an_unknown_or_archived_team_is_rejected() -> None:
    given(organization_decider, tree).when(
        RenameTeam(organization_id=ORG, team_id="nope", name="N")
    ).then_rejects("team.not_found", "team_id")
    given(organization_decider, tree, TeamArchived(organization_id=ORG, team_id="sre")).when(
        RenameTeam(organization_id=ORG, team_id="sre", name="N")
    ).then_rejects("team.archived")


def test_renaming_a_team_to_a_blank_name_is_rejected() -> None:
    given(organization_decider, tree).when(
        RenameTeam(organization_id=ORG, team_id="ops", name="\t")
    ).then_rejects("team.name_blank")


def test_moving_a_team_under_another_parent() -> None:
    given(organization_decider, tree).when(
        MoveTeam(organization_id=ORG, team_id="sre", new_parent_team_id="dev")
    ).then(
        TeamMoved(
            organization_id=ORG, team_id="sre", previous_parent_team_id="ops", parent_team_id="dev"
        )
    )


def test_moving_a_team_to_the_root() -> None:
    given(organization_decider, tree).when(
        MoveTeam(organization_id=ORG, team_id="ops", new_parent_team_id=None)
    ).then(
        TeamMoved(
            organization_id=ORG, team_id="ops", previous_parent_team_id="it", parent_team_id=None
        )
    )


def test_moving_a_team_to_its_current_parent_changes_nothing() -> None:
    given(organization_decider, tree).when(
        MoveTeam(organization_id=ORG, team_id="ops", new_parent_team_id="it")
    ).then()


@pytest.mark.parametrize(
    ("team_id", "new_parent", "code"),
    [
        ("it", "sre", "team.cycle"),
        ("ops", "sre", "team.cycle"),
        ("ops", "ops", "team.self_parent"),
        ("ops", "nope", "team.parent_not_found"),
        ("nope", "it", "team.not_found"),
    ],
)
def test_an_invalid_move_is_rejected(team_id: str, new_parent: str, code: str) -> None:
    given(organization_decider, tree).when(
        MoveTeam(organization_id=ORG, team_id=team_id, new_parent_team_id=new_parent)
    ).then_rejects(code, "new_parent_team_id" if code != "team.not_found" else "team_id")


def test_archiving_a_leaf_team() -> None:
    given(organization_decider, tree).when(ArchiveTeam(organization_id=ORG, team_id="sre")).then(
        TeamArchived(organization_id=ORG, team_id="sre")
    )


def test_a_team_with_active_children_cannot_be_archived() -> None:
    given(organization_decider, tree).when(
        ArchiveTeam(organization_id=ORG, team_id="ops")
    ).then_rejects("team.has_active_children")


def test_archiving_twice_or_an_unknown_team_is_rejected() -> None:
    archived = TeamArchived(organization_id=ORG, team_id="sre")
    given(organization_decider, tree, archived).when(
        ArchiveTeam(organization_id=ORG, team_id="sre")
    ).then_rejects("team.already_archived")
    given(organization_decider, tree).when(
        ArchiveTeam(organization_id=ORG, team_id="nope")
    ).then_rejects("team.not_found")


def test_the_folded_state_holds_the_tree() -> None:
    state = organization_decider.fold(tree)
    assert state.fiscal_year_start_month == 4
    assert state.ancestors("sre") == ["sre", "ops", "it"]
    assert state.teams["dev"].parent_team_id == "it"


@pytest.mark.parametrize(
    ("history", "team_id", "code"),
    [
        ([], "it", "organization.not_found"),
        (tree, "nope", "team.not_found"),
        ([*tree, TeamArchived(organization_id=ORG, team_id="sre")], "sre", "team.archived"),
    ],
)
def test_a_team_another_aggregate_names_must_be_active(
    history: list[OrganizationEvent], team_id: str, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        active_team(organization_decider.fold(history), team_id)
    assert (caught.value.code, caught.value.field) == (code, "team_id")
    assert active_team(organization_decider.fold(tree), "sre").name == "Sre"
