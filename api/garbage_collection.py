"""The garbage collector's settings for a serving process.

A server keeps large, long-lived object graphs (every module, the schemas, the executor's
cache of aggregate states), and a bulk request allocates hundreds of thousands of objects.
With the interpreter's defaults (a young collection every 700 net allocations) many of them
survive into the old generation, and its full collections, each a walk over every tracked
object in the process, cost about a fifth of a batch of 1,000 measurements (see
``benchmarks/README.md``, "Ingestion over HTTP"). Objects here are freed by reference
counting all but always; the cyclic collector only needs to run less often.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Net allocations between two young collections (the interpreter's default is 700)."""


def tune_for_serving() -> None:
    """Collect once, freeze what exists (imported modules, the app: never garbage, never
    walked again by a collection) and collect the young generation less often.

    Call once in a process about to serve, after the app is built; tests never call it."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
