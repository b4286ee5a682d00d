"""The reference dashboard: static HTML, CSS and JavaScript modules served at ``/``.

The page talks to the server only through the public GraphQL API at ``/graphql`` (queries
over HTTP, subscriptions over graphql-transport-ws), with the token the user gives it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
ASSETS = "/dashboard"

# Everything the page loads comes from this origin; nothing inline, nothing framed.
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard's page at ``/`` and its files under ``/dashboard/``."""

    @app.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=HEADERS)

    app.mount(ASSETS, StaticFiles(directory=STATIC), name="dashboard")
