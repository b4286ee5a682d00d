"""Mounting the REST surface on the app: its routes, the problem handlers, and the schemas
its hand-read request bodies refer to in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.rest.measurements import router
from api.rest.models import MeasurementBatch
from api.rest.problems import Problem, install_problem_handlers


def install_rest(app: FastAPI) -> None:
    """Add ``/v1`` and answer every non-GraphQL error with a problem."""
    app.include_router(router)
    install_problem_handlers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            template = "#/components/schemas/{model}"
            for model in (MeasurementBatch, Problem):
                schema = model.model_json_schema(ref_template=template, by_alias=True)
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
