"""Schemathesis generates operations from the schema; none may fail on the server.

Every query and mutation gets a few generated documents (arguments and selections drawn
from the schema), sent as an admin of an organization that has a scorecard. A refusal is
fine (a validation error, BAD_USER_INPUT, userErrors); a 5xx, an INTERNAL_SERVER_ERROR or
an error whose text reads like a Python exception is not.

Hypothesis runs in a worker thread and hands each request to the test's event loop, where
the app and its database live, so the run shares the ``api`` fixture of the other e2e tests
and covers both backends.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import schemathesis
from graphql import introspection_from_schema
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case

from api.auth.roles import Role
from api.graphql.schema import build_schema
from tests.e2e.conftest import Api, build_small_scorecard

EXAMPLES_PER_OPERATION = 6
CODES = {"BAD_USER_INPUT", "FORBIDDEN", "COST_LIMIT", "CONSISTENCY_TIMEOUT"}
"""The codes a resolver gives a caller's mistake."""
PYTHONIC = re.compile(
    r"Traceback|\b\w+(Error|Exception)\b|object has no attribute|NoneType|"
    r"unexpected keyword|positional argument|not subscriptable|sqlalchemy|asyncpg|sqlite3"
)
"""Text that only an unhandled exception would put in an error message."""


def problems(response: httpx.Response) -> list[str]:
    """What is wrong with one response, if anything."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}: {response.text[:500]}"]
    if response.status_code != 200:
        return [f"HTTP {response.status_code} for an authenticated request: {response.text}"]
    body: dict[str, Any] = response.json()
    found = []
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        message = str(error.get("message"))
        if PYTHONIC.search(message):
            found.append(f"an exception's text: {error}")
        elif code is None and "path" in error:
            found.append(f"a resolver error without a code: {error}")
        elif code is not None and code not in CODES:
            found.append(f"code {code}: {error}")
    return found


async def test_generated_operations_never_fail_on_the_server(api: Api) -> None:
    await build_small_scorecard(api)
    introspection = dict(introspection_from_schema(build_schema()._schema))
    schema = schemathesis.graphql.from_dict(introspection)
    loop = asyncio.get_running_loop()
    headers = {"Authorization": f"Bearer {api.token()}"}
    failures: list[str] = []

    def send(case: Case[Any]) -> httpx.Response:
        request = api.http.post("/graphql", json={"query": case.body}, headers=headers)
        return asyncio.run_coroutine_threadsafe(request, loop).result(timeout=60)

    def explore() -> int:
        sent = 0
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result
            operation = result.ok()

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def one(case: Case[Any]) -> None:
                nonlocal sent
                sent += 1
                for problem in problems(send(case)):
                    failures.append(f"{case.operation.label}: {problem}\n{case.body!s}")

            one()
        return sent

    sent = await asyncio.to_thread(explore)
    assert sent >= len(list(schema.get_all_operations()))
    assert not failures, "\n\n".join(failures[:10])


async def test_text_with_a_nul_character_is_refused_as_bad_input(api: Api) -> None:
    # Found by the run above: PostgreSQL text cannot hold U+0000.
    await build_small_scorecard(api)
    literal = await api.post('mutation { createTeam(input: {name: "a\\u0000b"}) { position } }')
    variable = await api.post(
        "query($f: AuditFilterInput) { auditTrail(filter: $f) { edges { cursor } } }",
        {"f": {"actor": "x\x00"}},
    )
    for body, argument in ((literal, "input"), (variable, "f")):
        assert body["data"] is None, body
        assert [e["extensions"] for e in body["errors"]] == [
            {"code": "BAD_USER_INPUT", "argument": argument}
        ]
    teams = await api.query("{ organization { teams { name } } }")
    assert [t["name"] for t in teams["organization"]["teams"]] == ["IT"]


REST_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
"""Every response: no 5xx, a documented status and content type, a body of its schema."""
REST_EXAMPLES_PER_OPERATION = 40


async def test_generated_rest_requests_get_answers_the_openapi_document_describes(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    document = (await api.http.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    loop = asyncio.get_running_loop()
    headers = {"Authorization": f"Bearer {api.token(Role.INTEGRATOR)}"}
    failures: list[str] = []
    answered: set[tuple[str, int]] = set()

    def send(case: Case[Any]) -> httpx.Response:
        kwargs = case.as_transport_kwargs(base_url="http://test", headers=headers)
        kwargs.pop("cookies", None)  # none are used; httpx wants them on the client
        if isinstance(kwargs.get("data"), str | bytes):
            kwargs["content"] = kwargs.pop("data")
        request = api.http.request(**kwargs)
        return asyncio.run_coroutine_threadsafe(request, loop).result(timeout=60)

    def explore() -> list[str]:
        labels = []
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result
            operation = result.ok()
            if not operation.path.startswith("/v1/"):
                continue
            labels.append(operation.label)

            @settings(
                max_examples=REST_EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def one(case: Case[Any]) -> None:
                response = send(case)
                answered.add((case.operation.label, response.status_code))
                try:
                    case.validate_response(response, checks=REST_CHECKS)
                except Exception as error:  # each failed check, collected for the report
                    failures.append(f"{case.operation.label}: {error}")

            one()
        return labels

    explored = await asyncio.to_thread(explore)
    assert {"POST /v1/measurements", "POST /v1/measurements/import"} <= set(explored)
    assert not failures, "\n\n".join(failures[:5])
    # Generated batches got through to the ledger, not only refusals:
    assert ("POST /v1/measurements", 207) in answered
