"""The server the benchmark starts under uvicorn: the product app plus one plain JSON route.

    python -m uvicorn --factory benchmarks.api.server:create_benchmark_app --port N
    python -m benchmarks.api.server --port N  (the same app through ``uvicorn.run``)

``GET /plain/scorecard`` answers what the GraphQL ``scorecard`` field answers, without
GraphQL: it authenticates the bearer token exactly as the GraphQL context does (one token
lookup), runs the same library query on a connection of the same store and returns the whole
view as JSON. The route lives here, not in ``api/``: it is a baseline, not part of the product.
"""

from __future__ import annotations

import argparse

import orjson
import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response

from api.app import bearer, create_app
from api.garbage_collection import tune_for_serving
from api.runtime import Runtime
from api.settings import Settings
from domain.periods import Period
from projections.queries.scorecard import scorecard
from projections.snapshots import to_json


def create_benchmark_app() -> FastAPI:
    """``create_app(Settings())`` (settings from ``SCORELEDGER_*``) with ``/plain/scorecard``,
    in a process whose garbage collector is set as ``scoreledger serve`` sets it."""
    app = create_app(Settings())

    @app.get("/plain/scorecard", include_in_schema=False)
    async def plain_scorecard(request: Request, id: str, period: str, trend: int = 6) -> Response:
        runtime: Runtime = request.app.state.runtime
        token = bearer(request.headers.get("authorization"))
        principal = None if token is None else await runtime.tokens.authenticate(token)
        if principal is None:
            raise HTTPException(status_code=401, detail="a valid bearer token is required")
        async with runtime.store.engine.connect() as conn:
            view = await scorecard(
                conn, principal.tenant_id, id, Period.parse(period), trend_count=trend
            )
        if view is None:
            raise HTTPException(status_code=404, detail=f"no scorecard {id!r}")
        return Response(orjson.dumps(to_json(view)), media_type="application/json")

    tune_for_serving()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api.server")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_benchmark_app(),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
