"""Read-model rebuild rate and scorecard query latency, against the raw driver.

    python -m benchmarks.projections [--quick] [--explain] [--inline-load] [--verbose]

One fresh PostgreSQL database per run (``scoreledger_bench_proj_<pid>``, dropped at the end,
also on error). The store holds the demo organization (``ledger.demo``: the IT
department's 40-KPI scorecard ``sc-it``, two years of measurements, corrections, closed
quarters) plus small demo organizations in other tenants, then a generated history:

* half of the extra events land on the queried scorecard itself: corrections of its current
  period, of the periods in the query's trend window and of older periods (a closed quarter
  is reopened for a block of corrections and closed again, as the domain requires), and
  measurements of months before the demo;
* the other half goes the same way to the other scorecards of the tenant and of the other
  tenants.

The history is built as domain events (every correction supersedes the current measurement of
its KPI and period, tracked here) and appended in batches of 500 events per append. By
default the read-model rows for those batches are written in bulk next to the append (COPY and
one UPDATE per batch, the very rows the projection's handlers produce); the run checks this
on the small store by comparing every read-model row with what a rebuild of the projection
writes. ``--inline-load`` appends the history with ``inline=ledger.inline`` instead (the
projection writes the rows itself; about 1,000 corrections/s, so far slower).

Measured (each figure the median of 3 repetitions, ours and raw interleaved):

* R: rebuild rate of ``ReadModelProjection`` (``projections.rebuild.rebuild``) in events/s,
  against a raw asyncpg read of the same events in feed order (keyset pages of 1,000, data and
  metadata decoded with orjson);
* S: latency of ``projections.queries.scorecard.scorecard`` for the demo scorecard's current
  month with the small and the large store (p50 and p95 of 200 calls after a warm-up),
  against a hand-written asyncpg fetch of the same rows (same statements' filters, the columns
  the query uses); history ratio = large p95 / small p95;
* A: as-of latency at the large store (a period a year back as known a year back, by time and
  by position; the current month through the system-time filter as of now).

The last line printed is ``history ratio: N.NN``.
"""
