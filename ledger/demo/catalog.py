"""The demo organization's catalog: ids, actors, objectives, KPIs, teams, initiatives
and the reasons given for revisions and corrections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.periods import Frequency, Period
from domain.scorecard.values import InitiativeStatus
from domain.scoring import Thresholds

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
class Template:
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


def _pct(name: str, objective: int, direction: Direction, base: float, **more: Any) -> Template:
    aggregation = more.pop("aggregation", AVG)
    more.setdefault("ceiling", 100.0)
    return Template(name, "%", objective, direction, aggregation, base, **more)


# fmt: off
CATALOG: tuple[Template, ...] = (
    # the known KPIs (their values in the first round are fixed, see the package docstring)
    _pct("Core service availability", 4, H, 99.5, noise=0.2, decimals=2, target=99.5,
         source="datadog"),
    Template("Priority 1 incidents", "incidents", 7, L, SUM, 3, noise=1.2, decimals=0,
              target=3, source="servicenow"),
    Template("Customer satisfaction (CSAT)", "score 1-5", 3, H, AVG, 4.0, noise=0.15,
              decimals=2, target=4.0, floor=1.0, ceiling=5.0, source="qualtrics"),
    Template("Mean time to restore (MTTR)", "hours", 7, L, AVG, 5.0, noise=0.6, target=4.0,
              baseline=6.0, source="servicenow"),
    _pct("Change failure rate", 6, R, 12.0, noise=3.0, low=0.0, high=15.0, source="github"),
    # the rest of the catalog
    Template("Cost per resolved ticket", "EUR", 0, L, AVG, 24.0, drift=-0.15, noise=1.2,
              decimals=2, target=21.0, baseline=26.0, stretch=19.0, source="sap"),
    _pct("IT opex vs budget", 1, R, 99.0, noise=2.0, low=95.0, high=102.0, ceiling=None,
         source="sap"),
    Template("Cloud spend per active user", "EUR", 2, L, AVG, 41.0, drift=-0.2, noise=1.5,
              decimals=2, target=37.0, source="aws"),
    _pct("On-time project delivery", 5, H, 72.0, drift=0.6, noise=5.0, decimals=0,
         target=85.0, source="jira"),
    _pct("Phishing simulation click rate", 8, L, 9.0, drift=-0.15, noise=1.0, target=6.0,
         kind=KpiKind.LEADING, source="knowbe4"),
    Template("Certified cloud engineers", "engineers", 9, H, LAST, 8, drift=0.4, noise=0.5,
              decimals=0, target=14, kind=KpiKind.LEADING, source="workday"),
    _pct("Voluntary staff turnover", 10, L, 3.2, noise=0.4, target=2.5, frequency=Q,
         source="workday"),
    _pct("Share of automated changes", 11, H, 35.0, drift=1.2, noise=3.0, decimals=0,
         target=60.0, kind=KpiKind.LEADING, source="github"),
    _pct("First contact resolution", 3, H, 68.0, drift=0.3, noise=2.5, target=75.0),
    Template("Deployments to production", "deployments", 6, H, SUM, 40, drift=1.0, noise=6.0,
              decimals=0, target=55, kind=KpiKind.LEADING, source="github"),
    Template("Lead time for changes", "days", 6, L, AVG, 6.5, drift=-0.08, noise=0.6,
              target=4.0, source="github"),
    Template("Mean time to acknowledge", "minutes", 7, L, AVG, 18.0, noise=3.0, decimals=0,
              target=15.0),
    Template("Critical vulnerabilities open > 30 days", "vulnerabilities", 8, L, LAST, 12,
              drift=-0.3, noise=2.0, decimals=0, target=5, source="tenable"),
    _pct("Patch compliance", 8, H, 91.0, drift=0.2, noise=1.5, target=97.0, source="intune",
         thresholds=Thresholds(green=0.99, amber=0.97)),
    Template("Training hours per engineer", "hours", 9, H, SUM, 10.0, noise=2.0, target=12.0,
              frequency=Q, kind=KpiKind.LEADING, source="workday"),
    Template("Employee engagement index", "points", 10, H, AVG, 71.0, noise=2.0, decimals=0,
              target=75.0, frequency=Q, ceiling=100.0, source="qualtrics"),
    Template("Automated runbooks", "runbooks", 11, H, LAST, 40, drift=2.0, noise=1.0,
              decimals=0, target=80, kind=KpiKind.LEADING, source="github"),
    _pct("Software licence utilization", 1, R, 86.0, noise=4.0, low=80.0, high=95.0,
         source="flexera"),
    Template("Service desk tickets", "tickets", 0, L, SUM, 1450, noise=90.0, decimals=0,
              target=1400),
    _pct("Reserved-instance coverage", 2, H, 55.0, drift=0.8, noise=2.0, decimals=0,
         target=75.0, source="aws"),
    Template("Net promoter score", "points", 3, H, AVG, 21.0, noise=4.0, decimals=0,
              target=30.0, frequency=Q, floor=-100.0, ceiling=100.0,
              source="qualtrics"),
    _pct("Project budget variance", 5, R, 3.0, noise=3.0, low=-5.0, high=5.0, floor=-100.0,
         source="sap"),
    Template("Open ticket backlog", "tickets", 7, L, LAST, 420, noise=40.0, decimals=0,
              target=350),
    Template("Security incidents", "incidents", 8, L, SUM, 3, noise=1.0, decimals=0,
              target=3, source="sentinel"),
    Template("Cloud certifications earned", "certifications", 9, H, SUM, 3, noise=0.8,
              decimals=0, target=2, kind=KpiKind.LEADING, source="workday"),
    Template("Key-role vacancies", "vacancies", 10, L, MAX, 4, noise=0.8, decimals=0,
              target=4, source="workday"),
    _pct("Self-service password resets", 11, H, 48.0, drift=1.0, noise=3.0, decimals=0,
         target=70.0),
    Template("Unplanned downtime", "hours", 4, L, SUM, 6.0, drift=-0.05, noise=1.5, target=5.0,
              source="datadog"),
    Template("Emergency changes", "changes", 6, L, SUM, 9, drift=-0.05, noise=1.5, decimals=0,
              target=8),
    Template("Hardware cost per employee", "EUR", 1, L, AVG, 310.0, noise=15.0, decimals=0,
              target=280.0, baseline=340.0, frequency=Q, source="sap"),
    Template("SLA breaches", "breaches", 3, L, SUM, 14, drift=-0.1, noise=3.0, decimals=0,
              target=12),
    _pct("Batch jobs completed on time", 4, H, 97.0, noise=1.0, target=99.0,
         aggregation=MIN, source="controlm"),
    _pct("Backup success rate", 4, H, 99.1, noise=0.4, decimals=2, target=99.5,
         aggregation=MIN, thresholds=Thresholds(green=1.0, amber=0.995),
         source="veeam"),
    _pct("Invoices processed without touch", 11, H, 62.0, drift=0.7, noise=2.0, decimals=0,
         target=80.0, source="sap"),
    Template("Average ticket handling time", "minutes", 0, L, AVG, 32.0, drift=-0.15,
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
TEAM_OBJECTIVES: dict[str, tuple[tuple[str, int, int, Template], ...]] = {
    "infra": (
        ("Keep core platforms available", 1, 4,
         _pct("Server uptime", 0, H, 99.8, noise=0.1, decimals=2, target=99.9,
              source="datadog")),
        ("Cut hosting cost", 0, 2,
         Template("Hosting cost per VM", "EUR", 0, L, AVG, 62.0, drift=-0.3, noise=2.0,
                   target=55.0, source="aws")),
    ),
    "servicedesk": (
        ("Answer users faster", 1, 3,
         Template("Average speed of answer", "seconds", 0, L, AVG, 45.0, noise=6.0,
                   decimals=0, target=40.0)),
        ("Lower cost per contact", 0, 0,
         Template("Cost per contact", "EUR", 0, L, AVG, 11.5, drift=-0.05, noise=0.6,
                   decimals=2, target=10.0, source="sap")),
    ),
    "apps": (
        ("Ship changes safely", 2, 6,
         _pct("Release rollback rate", 0, L, 4.0, noise=1.0, target=3.0, source="github")),
        ("Deliver the roadmap on time", 1, 5,
         Template("Roadmap items delivered", "items", 0, H, SUM, 7, noise=2.0, decimals=0,
                   target=8, source="jira")),
    ),
    "security": (
        ("Close vulnerabilities quickly", 2, 8,
         Template("Mean time to patch critical vulnerabilities", "days", 0, L, AVG, 12.0,
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
