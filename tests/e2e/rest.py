"""Helpers for the REST tests: posting batches and CSV files, counting what was stored."""

from __future__ import annotations

import json
from typing import Any

import httpx
import sqlalchemy as sa

from api.auth.roles import Role
from eventstore.sql import SqlEventStore
from projections.tables import READ_MODEL_TABLES
from tests.e2e.conftest import TENANT, Api


def item(kpi: str, period: str, value: float | None, **fields: Any) -> dict[str, Any]:
    return {"scorecard": "ops", "kpi": kpi, "period": period, "value": value, **fields}


async def post_batch(
    api: Api,
    items: list[dict[str, Any]],
    *,
    key: str | None = None,
    role: Role = Role.INTEGRATOR,
    tenant: str = TENANT,
) -> httpx.Response:
    """POST /v1/measurements; the body is encoded by hand so that NaN can be sent."""
    headers = {"Authorization": f"Bearer {api.token(role, tenant)}"}
    headers["Content-Type"] = "application/json"
    if key is not None:
        headers["Idempotency-Key"] = key
    body = json.dumps({"items": items}, allow_nan=True)
    return await api.http.post("/v1/measurements", content=body, headers=headers)


async def post_csv(
    api: Api,
    data: bytes,
    *,
    dry_run: bool = False,
    key: str | None = None,
    role: Role = Role.INTEGRATOR,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token(role)}", "Content-Type": "text/csv"}
    if key is not None:
        headers["Idempotency-Key"] = key
    params = {"dry_run": "true"} if dry_run else {}
    return await api.http.post(
        "/v1/measurements/import", content=data, headers=headers, params=params
    )


def statuses(response: httpx.Response) -> list[str]:
    assert response.status_code == 207, response.text
    return [result["status"] for result in response.json()["results"]]


async def event_count(store: SqlEventStore, tenant: str = TENANT) -> int:
    async with store.engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM events WHERE tenant_id = :t")
        return int((await conn.execute(query, {"t": tenant})).scalar_one())


async def current_measurements(store: SqlEventStore) -> list[tuple[Any, ...]]:
    """(kpi, period, value, measurement id) of every current measurement of the tenant."""
    from projections.tables import measurements as m

    async with store.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(m.c.kpi_id, m.c.period, m.c.value, m.c.measurement_id).where(
                m.c.tenant_id == TENANT, m.c.sys_to_pos.is_(None)
            )
        )
        return sorted(tuple(row) for row in rows)


async def read_model_content(store: SqlEventStore) -> dict[str, list[Any]]:
    """Every read-model row but its row id and generation, sorted, table by table."""
    async with store.engine.connect() as conn:
        content = {}
        for table in READ_MODEL_TABLES:
            columns = [col for col in table.c if col.name not in ("row_id", "generation")]
            rows = (await conn.execute(sa.select(*columns))).all()
            content[table.name] = sorted((tuple(row) for row in rows), key=repr)
        return content
