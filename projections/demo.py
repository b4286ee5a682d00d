"""Demo data: Northwind IT, its teams and a balanced scorecard with two years of history.

The data is deterministic: the same :class:`DemoOptions` always give the same commands with
the same ids, values and ``recorded_at`` times (``random.Random`` seeded from the options, one
derived generator per KPI so a KPI's series does not depend on how many KPIs there are).
Commands come in ``recorded_at`` order, the way they would have arrived:

- setup (organization, teams, scorecards, objectives, KPIs, first targets, initiatives,
  strategy-map links) on the first day of the first month from 08:00 UTC;
- a month's measurements on day 5 of the following month from 09:00 UTC (quarterly KPIs on
  day 10 after the quarter), corrections on day 12 from 10:00, the retraction on day 14;
- budget revisions (new effective-from targets) on the first day of each April (the fiscal
  year starts in April), a few of them adjusted again on day 10;
- every complete quarter before the last month closed on day 20 after it ends at 17:00; the
  next-to-last closed quarter is reopened 30 days after its close for an audit adjustment and
  closed again the same morning.

So "as known on date D" questions have meaningful answers.

Known KPIs (``DemoSummary.known``), with E the last month (``options.end``) and the default
thresholds (green >= 1.0, amber >= 0.9, cap 1.5). Their figures do not depend on the seed:

- ``kpi-001`` "Core service availability" (%, higher is better, average, monthly). Every
  month's value follows its position in the calendar quarter: 99.25, 99.5, 99.75. One
  effective-from target of 99.5 from the first month.
  ``availability``: period E. ``availability_quarter``: the last quarter ending at or before
  E (its months' values and targets averaged; with all three months 99.5 / 99.5 = 1.0).
- ``kpi-002`` "Priority 1 incidents" (count, lower is better, sum, monthly). Values by
  position in the quarter: 4, 2, 3. Effective-from target 3 from the first month, revised to
  2 from E ("budget revision"). ``p1_incidents``: period E, target 2, score 2 / actual.
- ``kpi-003`` "Customer satisfaction (CSAT)" (score 1-5, higher is better, average). 4.0
  every month except E-1, recorded as 3.5 and corrected to 4.25 on day 12 of E. Target 4.0
  from the first month. ``csat_corrected``: period E-1, 4.25 / 4.0 = 1.0625 green.
  ``csat_before_correction``: the same period as of day 8 of E at 00:00 UTC, 3.5 / 4.0 = 0.875
  red.
- ``kpi-004`` "Mean time to restore (MTTR)" (hours, lower is better, average). 5.0 every
  month except E-2, which is reported not available. Target 4.0 with baseline 6.0 from the
  first month. ``mttr``: period E-1, (5 - 6) / (4 - 6) = 0.5 red. ``mttr_not_available``:
  period E-2, no actual, target 4.0, no score, no_data.
- ``kpi-005`` "Change failure rate" (%, within range 0..15, average, no target). 12.0 every
  month, except E: 18.0, and E-1, recorded then retracted ("duplicate feed row").
  ``change_failure_rate``: period E, 1 - (18 - 15) / (15 - 0) = 0.8 red.
  ``change_failure_rate_retracted``: period E-1, no actual, no_data.

Generation goes through the same deciders and inline read models as ``Ledger.execute`` but
keeps each stream's state in memory between commands instead of re-reading and re-folding
the whole stream before every command, so the cost grows linearly with the number of
commands (the appends still check the expected stream version).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from domain.commands import Command
from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.organization import (
    CreateOrganization,
    CreateTeam,
    OrganizationCommand,
    organization_decider,
)
from domain.periods import Frequency, Granularity, Period
from domain.scorecard import scorecard_decider
from domain.scorecard.commands import (
    AddObjective,
    AlignObjective,
    CancelInitiative,
    ChangeTarget,
    ClosePeriod,
    CompleteInitiative,
    CreateInitiative,
    CreateScorecard,
    DefineKpi,
    EditInitiative,
    LinkObjectives,
    RecordMeasurement,
    ReopenPeriod,
    RetractMeasurement,
    SetTarget,
)
from domain.scorecard.values import InitiativeStatus
from domain.scoring import Status, Thresholds
from eventstore import NO_STREAM, ConcurrencyError, Metadata
from projections.application import Ledger, stream_of
from projections.codec import codec

UTC = dt.UTC
ORGANIZATION_ID = "northwind-it"
MAIN_SCORECARD_ID = "sc-it"
FISCAL_YEAR_START_MONTH = 4
DEFAULT_END = Period.parse("2026-10")
MIN_KPIS = 5
MIN_MONTHS = 3

ADMIN = "it-admin@northwind.example"
CONTROLLER = "l.moreau@northwind.example"
PMO = "pmo@northwind.example"
FEED = "svc-metrics-feed"


@dataclass(frozen=True)
class DemoOptions:
    """What to generate: the tenant, the seed, the size and the last month reported."""

    tenant_id: str = "demo"
    seed: int = 7
    kpis: int = 40
    months: int = 24
    end: Period = DEFAULT_END
    teams: bool = True


@dataclass(frozen=True)
class KnownKpi:
    """Figures of one KPI for one period that can be worked out by hand (module docstring).

    ``as_of`` is the system time to ask at (None: as known now).
    """

    kpi_id: str
    name: str
    period: Period
    actual: float | None
    target: float | None
    baseline: float | None
    score: float | None
    status: Status
    as_of: dt.datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate` wrote."""

    tenant_id: str
    organization_id: str
    scorecard_id: str
    scorecard_ids: tuple[str, ...]
    team_ids: tuple[str, ...]
    objective_ids: tuple[str, ...]
    kpi_ids: tuple[str, ...]
    initiative_ids: tuple[str, ...]
    first_period: Period
    last_period: Period
    closed_periods: tuple[Period, ...]
    reopened_periods: tuple[Period, ...]
    commands: int
    events: int
    first_recorded_at: dt.datetime
    last_recorded_at: dt.datetime
    known: dict[str, KnownKpi] = field(default_factory=dict)


# catalog ------------------------------------------------------------------------------

H = Direction.HIGHER_IS_BETTER
L = Direction.LOWER_IS_BETTER
R = Direction.WITHIN_RANGE
SUM = Aggregation.SUM
AVG = Aggregation.AVERAGE
LAST = Aggregation.LAST
MIN = Aggregation.MIN
MAX = Aggregation.MAX
M = Frequency.MONTH
Q = Frequency.QUARTER

PERSPECTIVE_KEYS = ("financial", "customer", "process", "learning")

# (title, perspective index, owner)
OBJECTIVES: tuple[tuple[str, int, str], ...] = (
    ("Reduce cost per ticket", 0, "f.schmidt@northwind.example"),
    ("Keep IT spend within budget", 0, "l.moreau@northwind.example"),
    ("Get more value from cloud spend", 0, "r.tanaka@northwind.example"),
    ("Raise customer satisfaction", 1, "a.okafor@northwind.example"),
    ("Improve service availability", 1, "j.silva@northwind.example"),
    ("Deliver projects on time", 1, "m.jensen@northwind.example"),
    ("Shorten lead time for changes", 2, "p.novak@northwind.example"),
    ("Resolve incidents faster", 2, "a.okafor@northwind.example"),
    ("Strengthen security posture", 2, "k.haddad@northwind.example"),
    ("Grow cloud skills", 3, "r.tanaka@northwind.example"),
    ("Retain key talent", 3, "s.lindqvist@northwind.example"),
    ("Automate routine work", 3, "p.novak@northwind.example"),
)

# source objective index drives target objective index
LINKS: tuple[tuple[int, int], ...] = ((9, 6), (11, 7), (7, 3), (4, 3), (11, 0))


@dataclass(frozen=True)
class _Template:
    """A KPI of the catalog and how its random series behaves."""

    name: str
    unit: str
    objective: int
    direction: Direction
    aggregation: Aggregation
    base: float
    drift: float = 0.0
    noise: float = 0.0
    decimals: int = 1
    target: float | None = None
    baseline: float | None = None
    stretch: float | None = None
    low: float | None = None  # range bounds for within_range KPIs
    high: float | None = None
    frequency: Frequency = M
    kind: KpiKind = KpiKind.LAGGING
    source: str = "servicenow"
    floor: float = 0.0
    ceiling: float | None = None
    thresholds: Thresholds | None = None


def _pct(name: str, objective: int, direction: Direction, base: float, **more: Any) -> _Template:
    aggregation = more.pop("aggregation", AVG)
    more.setdefault("ceiling", 100.0)
    return _Template(name, "%", objective, direction, aggregation, base, **more)


# fmt: off
CATALOG: tuple[_Template, ...] = (
    # the known KPIs (their values in the first round are fixed, see the module docstring)
    _pct("Core service availability", 4, H, 99.5, noise=0.2, decimals=2, target=99.5,
         source="datadog"),
    _Template("Priority 1 incidents", "incidents", 7, L, SUM, 3, noise=1.2, decimals=0,
              target=3, source="servicenow"),
    _Template("Customer satisfaction (CSAT)", "score 1-5", 3, H, AVG, 4.0, noise=0.15,
              decimals=2, target=4.0, floor=1.0, ceiling=5.0, source="qualtrics"),
    _Template("Mean time to restore (MTTR)", "hours", 7, L, AVG, 5.0, noise=0.6, target=4.0,
              baseline=6.0, source="servicenow"),
    _pct("Change failure rate", 6, R, 12.0, noise=3.0, low=0.0, high=15.0, source="github"),
    # the rest of the catalog
    _Template("Cost per resolved ticket", "EUR", 0, L, AVG, 24.0, drift=-0.15, noise=1.2,
              decimals=2, target=21.0, baseline=26.0, stretch=19.0, source="sap"),
    _pct("IT opex vs budget", 1, R, 99.0, noise=2.0, low=95.0, high=102.0, ceiling=None,
         source="sap"),
    _Template("Cloud spend per active user", "EUR", 2, L, AVG, 41.0, drift=-0.2, noise=1.5,
              decimals=2, target=37.0, source="aws"),
    _pct("On-time project delivery", 5, H, 72.0, drift=0.6, noise=5.0, decimals=0,
         target=85.0, source="jira"),
    _pct("Phishing simulation click rate", 8, L, 9.0, drift=-0.15, noise=1.0, target=6.0,
         kind=KpiKind.LEADING, source="knowbe4"),
    _Template("Certified cloud engineers", "engineers", 9, H, LAST, 8, drift=0.4, noise=0.5,
              decimals=0, target=14, kind=KpiKind.LEADING, source="workday"),
    _pct("Voluntary staff turnover", 10, L, 3.2, noise=0.4, target=2.5, frequency=Q,
         source="workday"),
    _pct("Share of automated changes", 11, H, 35.0, drift=1.2, noise=3.0, decimals=0,
         target=60.0, kind=KpiKind.LEADING, source="github"),
    _pct("First contact resolution", 3, H, 68.0, drift=0.3, noise=2.5, target=75.0),
    _Template("Deployments to production", "deployments", 6, H, SUM, 40, drift=1.0, noise=6.0,
              decimals=0, target=55, kind=KpiKind.LEADING, source="github"),
    _Template("Lead time for changes", "days", 6, L, AVG, 6.5, drift=-0.08, noise=0.6,
              target=4.0, source="github"),
    _Template("Mean time to acknowledge", "minutes", 7, L, AVG, 18.0, noise=3.0, decimals=0,
              target=15.0),
    _Template("Critical vulnerabilities open > 30 days", "vulnerabilities", 8, L, LAST, 12,
              drift=-0.3, noise=2.0, decimals=0, target=5, source="tenable"),
    _pct("Patch compliance", 8, H, 91.0, drift=0.2, noise=1.5, target=97.0, source="intune",
         thresholds=Thresholds(green=0.99, amber=0.97)),
    _Template("Training hours per engineer", "hours", 9, H, SUM, 10.0, noise=2.0, target=12.0,
              frequency=Q, kind=KpiKind.LEADING, source="workday"),
    _Template("Employee engagement index", "points", 10, H, AVG, 71.0, noise=2.0, decimals=0,
              target=75.0, frequency=Q, ceiling=100.0, source="qualtrics"),
    _Template("Automated runbooks", "runbooks", 11, H, LAST, 40, drift=2.0, noise=1.0,
              decimals=0, target=80, kind=KpiKind.LEADING, source="github"),
    _pct("Software licence utilization", 1, R, 86.0, noise=4.0, low=80.0, high=95.0,
         source="flexera"),
    _Template("Service desk tickets", "tickets", 0, L, SUM, 1450, noise=90.0, decimals=0,
              target=1400),
    _pct("Reserved-instance coverage", 2, H, 55.0, drift=0.8, noise=2.0, decimals=0,
         target=75.0, source="aws"),
    _Template("Net promoter score", "points", 3, H, AVG, 21.0, noise=4.0, decimals=0,
              target=30.0, frequency=Q, floor=-100.0, ceiling=100.0,
              source="qualtrics"),
    _pct("Project budget variance", 5, R, 3.0, noise=3.0, low=-5.0, high=5.0, floor=-100.0,
         source="sap"),
    _Template("Open ticket backlog", "tickets", 7, L, LAST, 420, noise=40.0, decimals=0,
              target=350),
    _Template("Security incidents", "incidents", 8, L, SUM, 3, noise=1.0, decimals=0,
              target=3, source="sentinel"),
    _Template("Cloud certifications earned", "certifications", 9, H, SUM, 3, noise=0.8,
              decimals=0, target=2, kind=KpiKind.LEADING, source="workday"),
    _Template("Key-role vacancies", "vacancies", 10, L, MAX, 4, noise=0.8, decimals=0,
              target=4, source="workday"),
    _pct("Self-service password resets", 11, H, 48.0, drift=1.0, noise=3.0, decimals=0,
         target=70.0),
    _Template("Unplanned downtime", "hours", 4, L, SUM, 6.0, drift=-0.05, noise=1.5, target=5.0,
              source="datadog"),
    _Template("Emergency changes", "changes", 6, L, SUM, 9, drift=-0.05, noise=1.5, decimals=0,
              target=8),
    _Template("Hardware cost per employee", "EUR", 1, L, AVG, 310.0, noise=15.0, decimals=0,
              target=280.0, baseline=340.0, frequency=Q, source="sap"),
    _Template("SLA breaches", "breaches", 3, L, SUM, 14, drift=-0.1, noise=3.0, decimals=0,
              target=12),
    _pct("Batch jobs completed on time", 4, H, 97.0, noise=1.0, target=99.0,
         aggregation=MIN, source="controlm"),
    _pct("Backup success rate", 4, H, 99.1, noise=0.4, decimals=2, target=99.5,
         aggregation=MIN, thresholds=Thresholds(green=1.0, amber=0.995),
         source="veeam"),
    _pct("Invoices processed without touch", 11, H, 62.0, drift=0.7, noise=2.0, decimals=0,
         target=80.0, source="sap"),
    _Template("Average ticket handling time", "minutes", 0, L, AVG, 32.0, drift=-0.15,
              noise=2.0, decimals=0, target=29.0),
)
# fmt: on

SITES = ("Berlin", "Chicago", "Singapore", "Sao Paulo", "Johannesburg", "Sydney", "Toronto")

# (team id, name, parent team id, short key for the team scorecard or None)
TEAMS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("team-it", "IT Department", None, None),
    ("team-infra", "Infrastructure & Operations", "team-it", "infra"),
    ("team-network", "Network Services", "team-infra", None),
    ("team-servicedesk", "Service Desk", "team-it", "servicedesk"),
    ("team-apps", "Applications", "team-it", "apps"),
    ("team-security", "Information Security", "team-it", "security"),
)

# per team scorecard: (objective title, perspective index, parent objective index, KPI)
# fmt: off
TEAM_OBJECTIVES: dict[str, tuple[tuple[str, int, int, _Template], ...]] = {
    "infra": (
        ("Keep core platforms available", 1, 4,
         _pct("Server uptime", 0, H, 99.8, noise=0.1, decimals=2, target=99.9,
              source="datadog")),
        ("Cut hosting cost", 0, 2,
         _Template("Hosting cost per VM", "EUR", 0, L, AVG, 62.0, drift=-0.3, noise=2.0,
                   target=55.0, source="aws")),
    ),
    "servicedesk": (
        ("Answer users faster", 1, 3,
         _Template("Average speed of answer", "seconds", 0, L, AVG, 45.0, noise=6.0,
                   decimals=0, target=40.0)),
        ("Lower cost per contact", 0, 0,
         _Template("Cost per contact", "EUR", 0, L, AVG, 11.5, drift=-0.05, noise=0.6,
                   decimals=2, target=10.0, source="sap")),
    ),
    "apps": (
        ("Ship changes safely", 2, 6,
         _pct("Release rollback rate", 0, L, 4.0, noise=1.0, target=3.0, source="github")),
        ("Deliver the roadmap on time", 1, 5,
         _Template("Roadmap items delivered", "items", 0, H, SUM, 7, noise=2.0, decimals=0,
                   target=8, source="jira")),
    ),
    "security": (
        ("Close vulnerabilities quickly", 2, 8,
         _Template("Mean time to patch critical vulnerabilities", "days", 0, L, AVG, 12.0,
                   drift=-0.1, noise=2.0, target=10.0, source="tenable")),
        ("Raise security awareness", 3, 8,
         _pct("Security training completion", 0, H, 88.0, noise=3.0, decimals=0,
              target=95.0, source="knowbe4")),
    ),
}
# fmt: on

# (title, objective indexes, owner, start month index, length in months, status, progress)
# fmt: off
INITIATIVES: tuple[tuple[str, tuple[int, ...], str, int, int, InitiativeStatus, int], ...] = (
    ("Move the ticketing system to the cloud", (0, 2), "r.tanaka@northwind.example", 0, 14,
     InitiativeStatus.IN_PROGRESS, 10),
    ("Self-service portal for password resets", (11, 0), "a.okafor@northwind.example", 0, 8,
     InitiativeStatus.IN_PROGRESS, 20),
    ("Site reliability engineering rollout", (4, 7), "j.silva@northwind.example", 1, 18,
     InitiativeStatus.IN_PROGRESS, 5),
    ("Cloud certification programme", (9,), "s.lindqvist@northwind.example", 2, 12,
     InitiativeStatus.PLANNED, 0),
    ("CI/CD pipeline modernisation", (6,), "p.novak@northwind.example", 3, 10,
     InitiativeStatus.PLANNED, 0),
    ("Zero-trust network access", (8,), "k.haddad@northwind.example", 4, 16,
     InitiativeStatus.PLANNED, 0),
    ("On-premises data centre consolidation", (1,), "j.silva@northwind.example", 0, 24,
     InitiativeStatus.IN_PROGRESS, 15),
)
# fmt: on

REVISION_REASONS = (
    "budget revision for FY{fy}",
    "annual planning FY{fy}: stretch after last year's results",
    "target reset after the service catalogue review for FY{fy}",
)
ADJUSTMENT_REASON = "agreed with the service owner after the planning review"
CORRECTION_REASONS = (
    "late tickets from the regional queue were missing",
    "source query double-counted reopened records",
    "manual adjustment after month-end reconciliation",
    "feed ran before the upstream export finished",
)
NOT_AVAILABLE_NOTE = "source system outage; no figure for the month"


# time ---------------------------------------------------------------------------------


def _at(period: Period, months_after: int, day: int, hour: int, second: int = 0) -> dt.datetime:
    """``day`` of the month ``months_after`` after the last month of ``period``, UTC."""
    month = Period.from_month_ordinal(period.last_month_ordinal + months_after)
    start = dt.datetime(month.year_number, month.index, day, hour, tzinfo=UTC)
    return start + dt.timedelta(seconds=second)


def _month_start(month: Period, hour: int, second: int = 0) -> dt.datetime:
    return _at(month, 0, 1, hour, second)


def _date(month: Period, day: int = 1) -> dt.date:
    return dt.date(month.year_number, month.index, day)


# known figures ------------------------------------------------------------------------

AVAILABILITY = (99.25, 99.5, 99.75)
P1_INCIDENTS = (4.0, 2.0, 3.0)
CSAT, CSAT_RECORDED, CSAT_CORRECTED = 4.0, 3.5, 4.25
MTTR = 5.0
CHANGE_FAILURE, CHANGE_FAILURE_END = 12.0, 18.0
CAP = 1.5


def _quarter_position(month: Period) -> int:
    return (month.index - 1) % 3


def _status(score: float | None) -> Status:
    if score is None:
        return Status.NO_DATA
    if score >= 1.0:
        return Status.GREEN
    if score >= 0.9:
        return Status.AMBER
    return Status.RED


def _known(first: Period, end: Period) -> dict[str, KnownKpi]:
    """The hand-checkable figures described in the module docstring."""
    names = [template.name for template in CATALOG[:MIN_KPIS]]
    known: dict[str, KnownKpi] = {}

    def add(key: str, number: int, period: Period, **figures: Any) -> None:
        score = figures.get("score")
        if score is not None:
            score = min(max(score, 0.0), CAP)
        known[key] = KnownKpi(
            kpi_id=f"kpi-{number:03d}",
            name=names[number - 1],
            period=period,
            actual=figures.get("actual"),
            target=figures.get("target"),
            baseline=figures.get("baseline"),
            score=score,
            status=_status(score),
            as_of=figures.get("as_of"),
            note=figures["note"],
        )

    # fmt: off
    value = AVAILABILITY[_quarter_position(end)]
    add("availability", 1, end, actual=value, target=99.5, score=value / 99.5,
        note="higher is better: actual / target")
    quarter = end.quarter_of
    if quarter.last_month_ordinal > end.last_month_ordinal:
        quarter = quarter.shift(-1)
    months = [m for m in quarter.months() if m >= first]
    average = sum(AVAILABILITY[_quarter_position(m)] for m in months) / len(months)
    if len(months) == 3:
        add("availability_quarter", 1, quarter, actual=average, target=99.5,
            score=average / 99.5, note="average of the months / average of the targets")
    else:  # the quarter starts before the window: its first months have no target
        add("availability_quarter", 1, quarter, actual=average,
            note="no target for the months before the window")

    value = P1_INCIDENTS[_quarter_position(end)]
    add("p1_incidents", 2, end, actual=value, target=2.0, score=2.0 / value,
        note="target revised from 3 to 2 from this month; lower is better: target / actual")

    before = end.shift(-1)
    add("csat_corrected", 3, before, actual=CSAT_CORRECTED, target=CSAT,
        score=CSAT_CORRECTED / CSAT, note="3.5 corrected to 4.25")
    add("csat_before_correction", 3, before, actual=CSAT_RECORDED, target=CSAT,
        score=CSAT_RECORDED / CSAT, as_of=_at(end, 0, 8, 0), note="as first recorded")

    add("mttr", 4, before, actual=MTTR, target=4.0, baseline=6.0,
        score=(MTTR - 6.0) / (4.0 - 6.0), note="with a baseline: (A - B) / (T - B)")
    add("mttr_not_available", 4, end.shift(-2), target=4.0, baseline=6.0,
        note="reported not available: no actual, no score")

    distance = CHANGE_FAILURE_END - 15.0
    add("change_failure_rate", 5, end, actual=CHANGE_FAILURE_END,
        score=1.0 - distance / (15.0 - 0.0), note="within 0..15: 1 - distance / width")
    add("change_failure_rate_retracted", 5, before,
        note="the only measurement was retracted")
    # fmt: on
    return known


# planning -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kpi:
    """A KPI to generate: where it lives and how its figures are produced."""

    kpi_id: str
    scorecard_id: str
    objective_id: str
    template: _Template
    name: str
    order: int  # position in the daily feed (seconds after the hour)
    known: int = 0  # 1..5 for the known KPIs, 0 for random ones


@dataclass
class _Plan:
    """The commands with their times, and what the summary needs to know up front."""

    options: DemoOptions
    first: Period
    items: list[tuple[dt.datetime, int, Command, Metadata]] = field(default_factory=list)
    scorecard_ids: list[str] = field(default_factory=list)
    team_ids: list[str] = field(default_factory=list)
    objective_ids: list[str] = field(default_factory=list)
    kpi_ids: list[str] = field(default_factory=list)
    initiative_ids: list[str] = field(default_factory=list)
    closed: list[Period] = field(default_factory=list)
    reopened: list[Period] = field(default_factory=list)

    def add(
        self,
        at: dt.datetime,
        command: Command,
        actor: str,
        reason: str | None = None,
        source_system: str | None = None,
    ) -> None:
        metadata = Metadata(actor=actor, recorded_at=at, reason=reason, source_system=source_system)
        self.items.append((at, len(self.items), command, metadata))


def _check(options: DemoOptions) -> None:
    if options.kpis < MIN_KPIS:
        raise ValueError(f"the demo needs at least {MIN_KPIS} KPIs, got {options.kpis}")
    if options.months < MIN_MONTHS:
        raise ValueError(f"the demo needs at least {MIN_MONTHS} months, got {options.months}")
    if options.end.granularity is not Granularity.MONTH:
        raise ValueError(f"end must be a month, got {options.end}")
    if not options.tenant_id:
        raise ValueError("tenant_id must not be empty")


def _round(value: float, decimals: int) -> float:
    return float(round(value, decimals))


def _clamp(template: _Template, value: float) -> float:
    value = max(value, template.floor)
    if template.ceiling is not None:
        value = min(value, template.ceiling)
    return value


def _periods(kpi: _Kpi, first: Period, end: Period) -> list[Period]:
    """The KPI's periods with at least one month in the demo window and none after ``end``."""
    if kpi.template.frequency is Granularity.MONTH:
        count = end.first_month_ordinal - first.first_month_ordinal + 1
        return [first.shift(i) for i in range(count)]
    quarter = first.quarter_of
    found: list[Period] = []
    while quarter.last_month_ordinal <= end.last_month_ordinal:
        found.append(quarter)
        quarter = quarter.shift(1)
    return found


def _known_value(kpi: _Kpi, period: Period, end: Period) -> float | None:
    if kpi.known == 1:
        return AVAILABILITY[_quarter_position(period)]
    if kpi.known == 2:
        return P1_INCIDENTS[_quarter_position(period)]
    if kpi.known == 3:
        return CSAT_RECORDED if period == end.shift(-1) else CSAT
    if kpi.known == 4:
        return None if period == end.shift(-2) else MTTR
    return CHANGE_FAILURE_END if period == end else CHANGE_FAILURE


def _series(kpi: _Kpi, periods: list[Period], seed: int, end: Period) -> list[float | None]:
    if kpi.known:
        return [_known_value(kpi, period, end) for period in periods]
    template = kpi.template
    rng = random.Random(f"{seed}/{kpi.kpi_id}")
    level = template.base * rng.uniform(0.95, 1.05) if template.base else template.base
    values: list[float | None] = []
    for step in range(len(periods)):
        raw = level + template.drift * step + rng.gauss(0.0, template.noise)
        values.append(_round(_clamp(template, raw), template.decimals))
    return values


def _harder(template: _Template, value: float, by: float) -> float:
    factor = 1 + by if template.direction is Direction.HIGHER_IS_BETTER else 1 - by
    return _round(_clamp(template, value * factor), max(template.decimals, 1))


def _setup(plan: _Plan) -> list[_Kpi]:
    """Organization, teams, scorecards, objectives, KPIs, links and initiatives."""
    options, first = plan.options, plan.first
    clock = iter(range(10**6))

    def at() -> dt.datetime:
        return _month_start(first, 8, next(clock))

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

    kpis: list[_Kpi] = []
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
        kpis.append(_Kpi(kpi_id, main, objective_id, template, name, len(kpis), known))
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
                    _Kpi(kpi_id, scorecard_id, objective_id, template, template.name, len(kpis))
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
                start_date=_date(start_month),
                due_date=_date(start_month.shift(length)) - dt.timedelta(days=1),
                status=status,
                progress=progress,
            ),
            PMO,
        )
        plan.initiative_ids.append(initiative_id)
    return kpis


def _initiative_updates(plan: _Plan) -> None:
    """Quarterly progress, one initiative done, one cancelled, one started."""
    first, end, main = plan.first, plan.options.end, MAIN_SCORECARD_ID
    months = plan.options.months
    for step in range(3, months, 3):
        at = _at(first.shift(step), 0, 25, 12)
        for number, start, pace in ((1, 10, 8), (3, 5, 6), (4, -5, 10)):
            if number == 4 and step < 6:
                continue  # planned until it starts in month 4
            progress = min(start + pace * (step // 3), 95)
            plan.add(
                at + dt.timedelta(seconds=number),
                EditInitiative(
                    scorecard_id=main, initiative_id=f"ini-{number:02d}", progress=progress
                ),
                PMO,
            )
    done = first.shift(min(7, months - 1))
    plan.add(
        _at(done, 0, 26, 12),
        CompleteInitiative(scorecard_id=main, initiative_id="ini-02"),
        PMO,
    )
    cancelled = first.shift(min(5, months - 1))
    reason = "superseded by the move of the ticketing system to the cloud"
    plan.add(
        _at(cancelled, 0, 26, 13),
        CancelInitiative(scorecard_id=main, initiative_id="ini-07", reason=reason),
        PMO,
        reason,
    )
    started = first.shift(min(4, months - 1))
    if started <= end:
        plan.add(
            _at(started, 0, 26, 14),
            EditInitiative(
                scorecard_id=main,
                initiative_id="ini-04",
                status=InitiativeStatus.IN_PROGRESS,
                progress=5,
            ),
            PMO,
        )


def _measurements(plan: _Plan, kpis: list[_Kpi]) -> dict[tuple[str, Period], float | None]:
    """Values, not-available months, corrections, the retraction and target revisions."""
    options, first, end = plan.options, plan.first, plan.options.end
    rng = random.Random(options.seed)
    current: dict[tuple[str, Period], float | None] = {}
    randoms = [k for k in kpis if not k.known and k.scorecard_id == MAIN_SCORECARD_ID]
    monthly = [k for k in randoms if k.template.frequency is Granularity.MONTH]
    window = [first.shift(i) for i in range(options.months)]
    not_available: set[tuple[str, Period]] = set()
    if monthly:
        not_available = {(rng.choice(monthly).kpi_id, rng.choice(window)) for _ in range(2)}
    for kpi in kpis:
        t = kpi.template
        periods = _periods(kpi, first, end)
        values = _series(kpi, periods, options.seed, end)
        day = 5 if t.frequency is Granularity.MONTH else 10
        for period, value in zip(periods, values, strict=True):
            key = (kpi.kpi_id, period)
            missing = value is None or key in not_available
            plan.add(
                _at(period, 1, day, 9, kpi.order),
                RecordMeasurement(
                    scorecard_id=kpi.scorecard_id,
                    measurement_id=f"m-{kpi.kpi_id}-{period}",
                    kpi_id=kpi.kpi_id,
                    period=period,
                    value=None if missing else value,
                    not_available=missing,
                    source_system=t.source,
                    external_reference=f"{t.source}:{kpi.kpi_id}:{period}",
                    note=NOT_AVAILABLE_NOTE if missing else "",
                ),
                FEED,
                source_system=t.source,
            )
            current[key] = None if missing else value
            if kpi.known or missing or kpi.scorecard_id != MAIN_SCORECARD_ID:
                continue
            if rng.random() < 0.03:
                assert value is not None
                step = max(t.noise, 10.0**-t.decimals)
                corrected = _round(_clamp(t, value + step * rng.choice((-1, 1))), t.decimals)
                if corrected == value:
                    corrected = _round(value + step, t.decimals)
                reason = rng.choice(CORRECTION_REASONS)
                owner = OBJECTIVES[t.objective][2]
                plan.add(
                    _at(period, 1, 12, 10, kpi.order),
                    RecordMeasurement(
                        scorecard_id=kpi.scorecard_id,
                        measurement_id=f"m-{kpi.kpi_id}-{period}-c1",
                        kpi_id=kpi.kpi_id,
                        period=period,
                        value=corrected,
                        source_system=t.source,
                        external_reference=f"{t.source}:{kpi.kpi_id}:{period}",
                        reason=reason,
                    ),
                    owner,
                    reason,
                    t.source,
                )
                current[key] = corrected
        _targets(plan, kpi, rng)
    _known_events(plan, kpis)
    return current


def _targets(plan: _Plan, kpi: _Kpi, rng: random.Random) -> None:
    """Budget revisions each April (from the second one in the window) with reasons."""
    t, first, end = kpi.template, plan.first, plan.options.end
    if t.target is None or kpi.known:
        return
    value = t.target
    month = first.shift(1)
    while month <= end:
        if month.index == FISCAL_YEAR_START_MONTH and rng.random() < 0.5:
            period = month.enclosing(t.frequency)
            fiscal_year = month.year_number + 1
            reason = rng.choice(REVISION_REASONS).format(fy=fiscal_year)
            value = _harder(t, value, rng.choice((0.01, 0.02, 0.03)))
            plan.add(
                _month_start(month, 8, kpi.order),
                SetTarget(
                    scorecard_id=kpi.scorecard_id,
                    kpi_id=kpi.kpi_id,
                    period=period,
                    value=value,
                    baseline=t.baseline,
                    stretch=t.stretch,
                    reason=reason,
                    effective_from=True,
                ),
                CONTROLLER,
                reason,
            )
            if rng.random() < 0.2:
                adjusted = _round((value + t.target) / 2, max(t.decimals, 1) + 1)
                if adjusted != value:
                    value = adjusted
                    plan.add(
                        _at(month, 0, 10, 8, kpi.order),
                        ChangeTarget(
                            scorecard_id=kpi.scorecard_id,
                            kpi_id=kpi.kpi_id,
                            period=period,
                            value=value,
                            baseline=t.baseline,
                            stretch=t.stretch,
                            reason=ADJUSTMENT_REASON,
                            effective_from=True,
                        ),
                        CONTROLLER,
                        ADJUSTMENT_REASON,
                    )
        month = month.shift(1)


def _known_events(plan: _Plan, kpis: list[_Kpi]) -> None:
    """The revision, correction and retraction of the known KPIs."""
    end, main = plan.options.end, MAIN_SCORECARD_ID
    by_number = {k.known: k for k in kpis if k.known}
    p1 = by_number[2]
    reason = f"budget revision for FY{end.year_number + (end.index >= FISCAL_YEAR_START_MONTH)}"
    reason += ": fewer P1 incidents expected after the network refresh"
    plan.add(
        _month_start(end, 8, p1.order),
        SetTarget(
            scorecard_id=main,
            kpi_id=p1.kpi_id,
            period=end,
            value=2.0,
            reason=reason,
            effective_from=True,
        ),
        CONTROLLER,
        reason,
    )
    csat, before = by_number[3], end.shift(-1)
    reason = "survey responses from the partner portal were missing"
    plan.add(
        _at(before, 1, 12, 10, csat.order),
        RecordMeasurement(
            scorecard_id=main,
            measurement_id=f"m-{csat.kpi_id}-{before}-c1",
            kpi_id=csat.kpi_id,
            period=before,
            value=CSAT_CORRECTED,
            source_system=csat.template.source,
            external_reference=f"{csat.template.source}:{csat.kpi_id}:{before}",
            reason=reason,
        ),
        OBJECTIVES[csat.template.objective][2],
        reason,
        csat.template.source,
    )
    cfr = by_number[5]
    reason = "duplicate feed row: the month was loaded twice under another job"
    plan.add(
        _at(before, 1, 14, 11),
        RetractMeasurement(scorecard_id=main, kpi_id=cfr.kpi_id, period=before, reason=reason),
        OBJECTIVES[cfr.template.objective][2],
        reason,
    )


def _closes(plan: _Plan, kpis: list[_Kpi], current: dict[tuple[str, Period], float | None]) -> None:
    """Close each complete quarter before the last month; reopen one for an adjustment."""
    first, end, main = plan.first, plan.options.end, MAIN_SCORECARD_ID
    quarter = first.quarter_of
    while quarter.last_month_ordinal < end.last_month_ordinal:
        plan.add(
            _at(quarter, 1, 20, 17), ClosePeriod(scorecard_id=main, period=quarter), CONTROLLER
        )
        plan.closed.append(quarter)
        quarter = quarter.shift(1)
    if len(plan.closed) < 2:
        return
    reopened = plan.closed[-2]
    month = Period.from_month_ordinal(reopened.last_month_ordinal)
    candidates = [
        k
        for k in kpis
        if not k.known
        and k.scorecard_id == main
        and k.template.frequency is Granularity.MONTH
        and current.get((k.kpi_id, month)) is not None
    ]
    if not candidates:
        return
    kpi = random.Random(f"{plan.options.seed}/reopen").choice(candidates)
    t = kpi.template
    value = current[(kpi.kpi_id, month)]
    assert value is not None
    corrected = _round(value + max(t.noise, 10.0**-t.decimals), t.decimals)
    at = _at(reopened, 1, 20, 9) + dt.timedelta(days=30)
    reason = "audit adjustment: late vendor credit note booked to the quarter"
    plan.add(
        at, ReopenPeriod(scorecard_id=main, period=reopened, reason=reason), CONTROLLER, reason
    )
    plan.add(
        at + dt.timedelta(minutes=30),
        RecordMeasurement(
            scorecard_id=main,
            measurement_id=f"m-{kpi.kpi_id}-{month}-audit",
            kpi_id=kpi.kpi_id,
            period=month,
            value=corrected,
            source_system=t.source,
            external_reference=f"{t.source}:{kpi.kpi_id}:{month}:audit",
            reason=reason,
        ),
        CONTROLLER,
        reason,
        t.source,
    )
    current[(kpi.kpi_id, month)] = corrected
    plan.add(
        at + dt.timedelta(hours=1), ClosePeriod(scorecard_id=main, period=reopened), CONTROLLER
    )
    plan.reopened.append(reopened)


def _plan(options: DemoOptions) -> _Plan:
    _check(options)
    plan = _Plan(options, options.end.shift(1 - options.months))
    kpis = _setup(plan)
    _initiative_updates(plan)
    current = _measurements(plan, kpis)
    _closes(plan, kpis, current)
    plan.items.sort(key=lambda item: (item[0], item[1]))
    return plan


def commands(options: DemoOptions = DemoOptions()) -> Iterator[tuple[Command, Metadata]]:
    """The demo's commands with their metadata, in ``recorded_at`` order (deterministic)."""
    for _, _, command, metadata in _plan(options).items:
        yield command, metadata


# writing ------------------------------------------------------------------------------


class _Writer:
    """Decides and appends commands, keeping each stream's state in memory."""

    def __init__(self, ledger: Ledger, tenant_id: str) -> None:
        self.ledger = ledger
        self.tenant_id = tenant_id
        self.streams: dict[str, tuple[Any, int]] = {}

    async def execute(self, command: Command, metadata: Metadata) -> int:
        """Run ``command``; the number of events it appended."""
        decider: Any = (
            organization_decider if isinstance(command, OrganizationCommand) else scorecard_decider
        )
        stream = stream_of(command)
        for attempt in range(2):
            if stream not in self.streams or attempt:
                self.streams[stream] = await self.ledger.executor.load(
                    self.tenant_id, stream, decider, codec
                )
            state, version = self.streams[stream]
            new_events = decider.decide(command, state)
            if not new_events:
                return 0
            try:
                appended = await self.ledger.store.append(
                    self.tenant_id,
                    stream,
                    version if version else NO_STREAM,
                    [codec.encode(event) for event in new_events],
                    metadata,
                    inline=self.ledger.inline,
                )
            except ConcurrencyError:
                if attempt:
                    raise
                continue
            for event in new_events:
                state = decider.evolve(state, event)
            self.streams[stream] = (state, appended.version)
            return len(new_events)
        raise AssertionError("unreachable")  # pragma: no cover


async def generate(
    ledger: Ledger,
    options: DemoOptions = DemoOptions(),
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write the demo into ``options.tenant_id`` (which must not hold an organization yet).

    ``progress(done, total)`` is called after each command.
    """
    plan = _plan(options)
    writer = _Writer(ledger, options.tenant_id)
    total = len(plan.items)
    events = 0
    for done, (_, _, command, metadata) in enumerate(plan.items, start=1):
        events += await writer.execute(command, metadata)
        if progress is not None:
            progress(done, total)
    return DemoSummary(
        tenant_id=options.tenant_id,
        organization_id=ORGANIZATION_ID,
        scorecard_id=MAIN_SCORECARD_ID,
        scorecard_ids=tuple(plan.scorecard_ids),
        team_ids=tuple(plan.team_ids),
        objective_ids=tuple(plan.objective_ids),
        kpi_ids=tuple(plan.kpi_ids),
        initiative_ids=tuple(plan.initiative_ids),
        first_period=plan.first,
        last_period=options.end,
        closed_periods=tuple(plan.closed),
        reopened_periods=tuple(plan.reopened),
        commands=total,
        events=events,
        first_recorded_at=plan.items[0][0],
        last_recorded_at=plan.items[-1][0],
        known=_known(plan.first, options.end),
    )


__all__ = [
    "DemoOptions",
    "DemoSummary",
    "KnownKpi",
    "commands",
    "generate",
]
