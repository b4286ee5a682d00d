"""The GraphQL API's overhead over HTTP, against a plain JSON route and the library call.

    python -m benchmarks.api [--quick] [--verbose]

One fresh PostgreSQL database per run (``scoreledger_bench_api_<pid>``, dropped at the end,
also on error), migrated with Alembic and seeded with the demo organization
(``ledger.demo``, tenant ``demo``: the IT scorecard ``sc-it`` with 40 KPIs). One real
uvicorn process on 127.0.0.1 (``benchmarks.api.server``: the product app plus a plain route)
serves, for period 2026-10 with a 12-period trend:

* G: ``POST /graphql``, the whole scorecard: perspectives, objectives, KPIs with target,
  actual, score, status, the explanation's summary and ``trend(last: 12)`` (period, actual,
  target, score, status);
* P: ``GET /plain/scorecard``, the same token check and the same library query, the view
  returned as JSON (``projections.snapshots.to_json`` and orjson);

and in the benchmark process itself

* L: ``projections.queries.scorecard.scorecard`` on a connection of the store.

Measured with one keep-alive ``httpx.AsyncClient`` at concurrency 1 and 16: p50 and p95
latency and requests/s, each the median of 3 repetitions with the order of the sides
alternating. Then one GraphQL execution is taken apart in process (timings and a cProfile
attribution by package). The last line printed is ``graphql/plain p50 ratio: N.NN``
(concurrency 1).
"""
