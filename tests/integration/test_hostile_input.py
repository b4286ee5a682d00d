"""Hostile commands on both backends: each is refused with a coded DomainError and writes
nothing, or is accepted, and every query over what was accepted still answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.commands import Command
from domain.errors import DomainError
from domain.kpi_kinds import Aggregation, Direction
from domain.organization import CreateTeam, RenameTeam
from domain.periods import Frequency, Period
from domain.scorecard import commands as c
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from projections.asof import AsOf
from projections.queries.history import kpi_history
from projections.queries.organization import organization
from projections.queries.scorecard import scorecard
from projections.tables import READ_MODEL_TABLES
from tests.integration.projections.support import SC, Scenario, build_small_scorecard

KPIS = ("avail", "mttr", "cost", "skills", "k-sum", "k-weighted")
OBJECTIVES = ("o-cost", "o-service", "o-people")
HOSTILE_TEXTS = (
    "",
    "   ",
    "\t",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\x1b[2J",
    "line\nbreak",
    "é\u200d👩",
    "x" * 129,
    "x" * 201,
    "x" * 2001,
    "x" * 8192,
)
HOSTILE_PERIODS = (
    "2026-13",
    "2026-Q5",
    "2026-1",
    "2026-00",
    "0000",
    "0001-02",
    "1899-12",
    "2026-05\n",
    "２０２６-06",
    "9999-12",
    "9999-Q4",
    "1900-01",
)
VALID_PERIODS = ("2026-01", "2026-02", "2026-03", "2026-Q1", "2026")

texts = st.one_of(st.sampled_from(HOSTILE_TEXTS), st.text(max_size=12))
ids = st.one_of(st.sampled_from(KPIS + OBJECTIVES), texts)
numbers = st.one_of(
    st.sampled_from([True, False, 1e308, -1e308, 1e15, 1e16, 5e-324, 0.0, 1.0]),
    st.floats(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=3),
)
periods = st.one_of(st.sampled_from(VALID_PERIODS + HOSTILE_PERIODS), st.text(max_size=8))


def _maybe(valid: Any, hostile: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A valid value or a hostile one, so that commands with only some hostile fields
    (accepted or refused for one of them) are common."""
    return st.one_of(st.just(valid), st.just(valid), hostile)


def _command(cls: type[Command], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(fields).map(lambda given: (cls, given))


commands = st.one_of(
    _command(
        c.RecordMeasurement,
        scorecard_id=_maybe(SC, texts),
        measurement_id=_maybe("m", texts),
        kpi_id=_maybe("k-sum", ids),
        period=_maybe("2026-02", periods),
        value=_maybe(1e15, numbers),
        note=_maybe("", texts),
        source_system=_maybe("itsm", texts),
        reason=_maybe("fix", texts),
    ),
    _command(
        c.SetTarget,
        scorecard_id=st.just(SC),
        kpi_id=_maybe("k-weighted", ids),
        period=_maybe("2026-01", periods),
        value=_maybe(10.0, numbers),
        baseline=_maybe(None, numbers),
        reason=_maybe("plan", texts),
        effective_from=st.booleans(),
    ),
    _command(
        c.DefineKpi,
        scorecard_id=st.just(SC),
        kpi_id=_maybe("k-new", texts),
        objective_id=_maybe("o-people", ids),
        name=_maybe("New", texts),
        description=_maybe("", texts),
        unit=_maybe("%", texts),
        weight=_maybe(1.0, numbers),
        frequency=st.sampled_from(list(Frequency)),
        direction=st.sampled_from([Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER]),
    ),
    _command(
        c.AddObjective,
        scorecard_id=st.just(SC),
        objective_id=_maybe("o-new", texts),
        perspective_id=_maybe("int", texts),
        title=_maybe("New objective", texts),
        weight=_maybe(2.0, numbers),
    ),
    _command(
        c.ReweightObjective,
        scorecard_id=st.just(SC),
        objective_id=_maybe("o-service", ids),
        weight=numbers,
    ),
    _command(c.RenameScorecard, scorecard_id=_maybe(SC, texts), name=texts),
    _command(c.ClosePeriod, scorecard_id=st.just(SC), period=periods),
    _command(
        CreateTeam,
        organization_id=_maybe("org", texts),
        team_id=_maybe("t-new", texts),
        name=_maybe("Team", texts),
    ),
    _command(RenameTeam, organization_id=st.just("org"), team_id=st.just("ops"), name=texts),
)


async def _footprint(store: SqlEventStore, tenant: str) -> tuple[int, ...]:
    """How many events the tenant has, and how many rows each read model holds."""
    async with store.engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM events WHERE tenant_id = :t")
        counts = [int((await conn.execute(query, {"t": tenant})).scalar_one())]
        for table in READ_MODEL_TABLES:
            counts.append(
                int(
                    (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
                )
            )
    return tuple(counts)


async def _setup(url: str) -> Scenario:
    s = Scenario(open_store(url))
    await build_small_scorecard(s)
    for kpi_id, aggregation, weight in (
        ("k-sum", Aggregation.SUM, 1.0),
        ("k-weighted", Aggregation.LAST, 1e6),
    ):
        await s.run(
            c.DefineKpi(
                scorecard_id=SC,
                kpi_id=kpi_id,
                objective_id="o-people",
                name=kpi_id,
                aggregation=aggregation,
                weight=weight,
            )
        )
    await s.run(
        c.SetTarget(
            scorecard_id=SC,
            kpi_id="k-sum",
            period=Period.parse("2026-01"),
            value=1.0,
            reason="plan",
            effective_from=True,
        )
    )
    return s


async def _try(s: Scenario, cls: type[Command], given: dict[str, Any]) -> str:
    """Build and run one command: ``"accepted"`` or the code it was refused with; a
    refused command must leave the store exactly as it was."""
    before = await _footprint(s.store, s.tenant_id)
    try:
        command = cls(**given)
        await s.run(command)
    except DomainError as error:
        assert error.code and error.message
        assert await _footprint(s.store, s.tenant_id) == before, (cls.__name__, error.code)
        return error.code
    return "accepted"


async def _every_query_answers(s: Scenario, asked: set[str]) -> None:
    moment = AsOf.at(s.clock.now)
    async with s.store.engine.connect() as conn:
        assert await organization(conn, s.tenant_id) is not None
        for text in sorted(asked | set(VALID_PERIODS)):
            try:
                period = Period.parse(text)
            except DomainError:
                continue
            view = await scorecard(conn, s.tenant_id, SC, period)
            assert view is not None
            assert await scorecard(conn, s.tenant_id, SC, period, as_of=moment) is not None
        for kpi_id in KPIS:
            assert await kpi_history(conn, s.tenant_id, SC, kpi_id) is not None


@pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_hostile_commands_are_refused_cleanly_or_served(database_url: str) -> None:
    with asyncio.Runner() as runner:
        s = runner.run(_setup(database_url))
        outcomes: dict[str, int] = {}

        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(st.lists(commands, min_size=1, max_size=3))
        def hostile(batch: list[tuple[type[Command], dict[str, Any]]]) -> None:
            async def run() -> None:
                asked: set[str] = set()
                for cls, given in batch:
                    outcome = await _try(s, cls, given)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                    if isinstance(given.get("period"), str):
                        asked.add(given["period"])
                await _every_query_answers(s, asked)

            runner.run(run())

        try:
            hostile()
        finally:
            runner.run(s.store.close())
    # Both paths were taken: some hostile commands were refused, some accepted.
    assert outcomes.get("accepted", 0) > 0
    assert sum(n for code, n in outcomes.items() if code != "accepted") > 0


@pytest.mark.parametrize(
    ("case", "fields", "verdict"),
    [
        ("blank kpi id", {"kpi_id": " "}, "id.blank"),
        ("blank measurement id", {"measurement_id": ""}, "id.blank"),
        ("NUL in a note", {"note": "a\x00b"}, "text.invalid"),
        ("lone surrogate in a note", {"note": "\ud800"}, "text.invalid"),
        ("8 KB KPI id", {"kpi_id": "k" * 8192}, "id.too_long"),
        ("8 KB scorecard id", {"scorecard_id": "s" * 8192}, "id.too_long"),
        ("True as a value", {"value": True}, "input.invalid"),
        ("1e308 as a value", {"value": 1e308}, "number.out_of_range"),
        *((f"period {p!r}", {"period": p}, "period.invalid") for p in HOSTILE_PERIODS[:9]),
    ],
)
async def test_each_hostile_measurement_of_the_hardening_list_is_refused(
    database_url: str, case: str, fields: dict[str, Any], verdict: str
) -> None:
    s = Scenario(open_store(database_url))
    try:
        await build_small_scorecard(s)
        given: dict[str, Any] = {
            "scorecard_id": SC,
            "measurement_id": "m-x",
            "kpi_id": "avail",
            "period": "2026-02",
            "value": 99.0,
            **fields,
        }
        assert await _try(s, c.RecordMeasurement, given) == verdict, case
    finally:
        await s.store.close()


@pytest.mark.parametrize(
    ("case", "build", "verdict"),
    [
        (
            "blank objective id",
            lambda: c.AddObjective(
                scorecard_id=SC, objective_id="", perspective_id="int", title="T"
            ),
            "id.blank",
        ),
        (
            "blank organization id",
            lambda: CreateTeam(organization_id="  ", team_id="t", name="T"),
            "id.blank",
        ),
        (
            "NUL in a KPI name",
            lambda: c.DefineKpi(scorecard_id=SC, kpi_id="k9", objective_id="o-cost", name="a\x00"),
            "text.invalid",
        ),
        (
            "lone surrogate in a name",
            lambda: c.RenameScorecard(scorecard_id=SC, name="\udc00"),
            "text.invalid",
        ),
        (
            "1 MB name",
            lambda: c.RenameScorecard(scorecard_id=SC, name="n" * 1_000_000),
            "text.too_long",
        ),
        (
            "KPI weighted 1e308",
            lambda: c.DefineKpi(
                scorecard_id=SC, kpi_id="k9", objective_id="o-cost", name="K", weight=1e308
            ),
            "weight.invalid",
        ),
    ],
)
async def test_each_other_hostile_command_of_the_hardening_list_is_refused(
    database_url: str, case: str, build: Any, verdict: str
) -> None:
    s = Scenario(open_store(database_url))
    try:
        await build_small_scorecard(s)
        before = await _footprint(s.store, s.tenant_id)
        with pytest.raises(DomainError) as caught:
            await s.run(build())
        assert caught.value.code == verdict, case
        assert await _footprint(s.store, s.tenant_id) == before
    finally:
        await s.store.close()


async def test_the_largest_accepted_values_are_served(database_url: str) -> None:
    """Three monthly values at the magnitude limit summed for a quarter, and two KPIs at
    the weight limit: the quarter's scorecard answers with finite scores."""
    s = await _setup(database_url)
    try:
        for month in ("2026-01", "2026-02", "2026-03"):
            await s.run(
                c.RecordMeasurement(
                    scorecard_id=SC,
                    measurement_id=f"max-{month}",
                    kpi_id="k-sum",
                    period=Period.parse(month),
                    value=1e15,
                )
            )
        await s.run(c.ReweightObjective(scorecard_id=SC, objective_id="o-people", weight=1e6))
        async with s.store.engine.connect() as conn:
            view = await scorecard(conn, s.tenant_id, SC, Period.parse("2026-Q1"))
            early = await scorecard(conn, s.tenant_id, SC, Period.parse("0001-02"))
        assert view is not None and early is not None
        assert view.score is not None and 0 <= view.score <= 1.5
    finally:
        await s.store.close()
