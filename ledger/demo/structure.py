"""The setup on the first day: organization, teams, scorecards, objectives, KPIs, first
targets, strategy-map links and initiatives.
"""

from __future__ import annotations

import datetime as dt

from domain.organization import CreateOrganization, CreateTeam
from domain.scorecard.commands import (
    AddObjective,
    AlignObjective,
    CreateInitiative,
    CreateScorecard,
    DefineKpi,
    LinkObjectives,
    SetTarget,
)
from ledger.demo.catalog import (
    ADMIN,
    CATALOG,
    CONTROLLER,
    FISCAL_YEAR_START_MONTH,
    INITIATIVES,
    LINKS,
    MAIN_SCORECARD_ID,
    MIN_KPIS,
    OBJECTIVES,
    ORGANIZATION_ID,
    PERSPECTIVE_KEYS,
    PMO,
    SITES,
    TEAM_OBJECTIVES,
    TEAMS,
)
from ledger.demo.plan import Kpi, Plan
from ledger.demo.times import date_in, month_start


def setup(plan: Plan) -> list[Kpi]:
    """Organization, teams, scorecards, objectives, KPIs, links and initiatives."""
    options, first = plan.options, plan.first
    clock = iter(range(10**6))

    def at() -> dt.datetime:
        return month_start(first, 8, next(clock))

    plan.add(
        at(),
        CreateOrganization(
            organization_id=ORGANIZATION_ID,
            name="Northwind IT",
            fiscal_year_start_month=FISCAL_YEAR_START_MONTH,
        ),
        ADMIN,
    )
    teams = TEAMS if options.teams else TEAMS[:1]
    for team_id, name, parent, _ in teams:
        plan.add(
            at(),
            CreateTeam(
                organization_id=ORGANIZATION_ID, team_id=team_id, name=name, parent_team_id=parent
            ),
            ADMIN,
        )
        plan.team_ids.append(team_id)

    def scorecard(scorecard_id: str, team_id: str, name: str, description: str) -> None:
        ids = tuple(f"{scorecard_id}-{key}" for key in PERSPECTIVE_KEYS)
        plan.add(
            at(),
            CreateScorecard(
                scorecard_id=scorecard_id,
                team_id=team_id,
                name=name,
                description=description,
                perspective_ids=ids,
            ),
            ADMIN,
        )
        plan.scorecard_ids.append(scorecard_id)

    main = MAIN_SCORECARD_ID
    scorecard(main, "team-it", "IT Department Scorecard", "Northwind IT's balanced scorecard")
    for number, (title, perspective, owner) in enumerate(OBJECTIVES, start=1):
        objective_id = f"obj-{number:02d}"
        plan.add(
            at(),
            AddObjective(
                scorecard_id=main,
                objective_id=objective_id,
                perspective_id=f"{main}-{PERSPECTIVE_KEYS[perspective]}",
                title=title,
                owner=owner,
            ),
            ADMIN,
        )
        plan.objective_ids.append(objective_id)
    for source, target in LINKS:
        plan.add(
            at(),
            LinkObjectives(
                scorecard_id=main,
                source_objective_id=plan.objective_ids[source],
                target_objective_id=plan.objective_ids[target],
            ),
            ADMIN,
        )

    kpis: list[Kpi] = []
    for n in range(1, options.kpis + 1):
        round_, index = divmod(n - 1, len(CATALOG))
        template = CATALOG[index]
        name = template.name
        if round_:
            site = SITES[round_ - 1] if round_ <= len(SITES) else f"site {round_ + 1}"
            name = f"{name} ({site})"
        kpi_id = f"kpi-{n:03d}"
        objective_id = plan.objective_ids[template.objective]
        known = n if n <= MIN_KPIS else 0
        kpis.append(Kpi(kpi_id, main, objective_id, template, name, len(kpis), known))
        plan.kpi_ids.append(kpi_id)

    if options.teams:
        for team_id, team_name, _, key in TEAMS:
            if key is None:
                continue
            scorecard_id = f"sc-{key}"
            scorecard(scorecard_id, team_id, f"{team_name} Scorecard", f"{team_name} goals")
            for number, (title, perspective, parent_index, template) in enumerate(
                TEAM_OBJECTIVES[key], start=1
            ):
                objective_id = f"{key}-obj-{number:02d}"
                plan.add(
                    at(),
                    AddObjective(
                        scorecard_id=scorecard_id,
                        objective_id=objective_id,
                        perspective_id=f"{scorecard_id}-{PERSPECTIVE_KEYS[perspective]}",
                        title=title,
                    ),
                    ADMIN,
                )
                plan.add(
                    at(),
                    AlignObjective(
                        scorecard_id=scorecard_id,
                        objective_id=objective_id,
                        parent_scorecard_id=main,
                        parent_objective_id=plan.objective_ids[parent_index],
                    ),
                    ADMIN,
                )
                kpi_id = f"{key}-kpi-{number:02d}"
                kpis.append(
                    Kpi(kpi_id, scorecard_id, objective_id, template, template.name, len(kpis))
                )

    for kpi in kpis:
        t = kpi.template
        owner = OBJECTIVES[t.objective][2] if kpi.scorecard_id == main else ADMIN
        plan.add(
            at(),
            DefineKpi(
                scorecard_id=kpi.scorecard_id,
                kpi_id=kpi.kpi_id,
                objective_id=kpi.objective_id,
                name=kpi.name,
                unit=t.unit,
                direction=t.direction,
                range_low=t.low,
                range_high=t.high,
                frequency=t.frequency,
                aggregation=t.aggregation,
                kind=t.kind,
                owner=owner,
                thresholds=t.thresholds,
            ),
            ADMIN,
        )
        if t.target is not None:
            plan.add(
                at(),
                SetTarget(
                    scorecard_id=kpi.scorecard_id,
                    kpi_id=kpi.kpi_id,
                    period=first.enclosing(t.frequency),
                    value=t.target,
                    baseline=t.baseline,
                    stretch=t.stretch,
                    reason="initial target",
                    effective_from=True,
                ),
                CONTROLLER,
            )

    for number, (title, objectives, owner, start, length, status, progress) in enumerate(
        INITIATIVES, start=1
    ):
        initiative_id = f"ini-{number:02d}"
        start_month = first.shift(start)
        plan.add(
            at(),
            CreateInitiative(
                scorecard_id=main,
                initiative_id=initiative_id,
                title=title,
                objective_ids=tuple(plan.objective_ids[i] for i in objectives),
                owner=owner,
                start_date=date_in(start_month),
                due_date=date_in(start_month.shift(length)) - dt.timedelta(days=1),
                status=status,
                progress=progress,
            ),
            PMO,
        )
        plan.initiative_ids.append(initiative_id)
    return kpis
