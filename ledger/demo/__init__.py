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

from ledger.demo.known import KnownKpi
from ledger.demo.plan import DemoOptions
from ledger.demo.sequence import commands
from ledger.demo.writer import DemoSummary, generate

__all__ = [
    "DemoOptions",
    "DemoSummary",
    "KnownKpi",
    "commands",
    "generate",
]
