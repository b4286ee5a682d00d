"""What is asked, how often and by how many clients at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.graphql.ids import global_id

TENANT = "demo"
SCORECARD_ID = "sc-it"
PERIOD = "2026-10"
TREND = 12
CONCURRENCIES = (1, 16)
REPETITIONS = 3
TARGET_RATIO = 2.0  # graphql p50 / plain p50 at concurrency 1, at most
PLAIN_PATH = "/plain/scorecard"
GRAPHQL_PATH = "/graphql"

QUERY = """
query Scorecard($id: ID!, $period: String!) {
  scorecard(id: $id, period: $period) {
    id name period score status
    perspectives {
      perspectiveId name score status
      objectives {
        objectiveId title score status
        kpis {
          kpiId name unit target actual score status
          explanation { summary }
          trend(last: 12) { period actual target score status }
        }
      }
    }
  }
}
"""

# A literal trend length: the cost budget prices a variable ``last`` at 100 periods.
if f"trend(last: {TREND})" not in QUERY:
    raise AssertionError("QUERY asks for another trend length than TREND")
VARIABLES = {"id": global_id("Scorecard", SCORECARD_ID, SCORECARD_ID), "period": PERIOD}
PLAIN_PARAMS = {"id": SCORECARD_ID, "period": PERIOD, "trend": str(TREND)}


@dataclass(frozen=True, slots=True)
class Sizes:
    requests: dict[int, int]  # timed requests per repetition, side and concurrency
    warmup: int  # untimed requests per side before the timed ones
    profiled: int  # in-process GraphQL executions for the breakdown


FULL = Sizes(requests={1: 300, 16: 480}, warmup=40, profiled=100)
QUICK = Sizes(requests={1: 40, 16: 64}, warmup=10, profiled=30)

Log = Callable[[str], None]
