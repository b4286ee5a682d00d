"""Each limit on one operation refuses it with an error that says which limit and why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.graphql.scorecards import MAX_TREND
from api.settings import Settings
from projections.queries.audit import MAX_PAGE
from tests.e2e.conftest import Api, build_small_scorecard, e2e_settings, scorecard_gid, serve
from tests.e2e.sweep import error_codes


@pytest.fixture
async def tight(database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    """The app with the one small limit the test names (``indirect`` parameter), so a short
    document crosses it and no other."""
    limit: dict[str, int] = request.param
    settings = Settings(**{**e2e_settings(database_url).model_dump(), **limit})
    async with serve(settings) as client:
        yield client


def limit(**value: int) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("tight", [value], indirect=True, ids=list(value))


def refused(body: dict[str, Any]) -> str:
    """The one error of a refused operation; nothing of it ran."""
    assert body.get("data") is None, body
    assert len(body["errors"]) == 1, body
    message: str = body["errors"][0]["message"]
    return message


@limit(max_depth=3)
async def test_a_selection_deeper_than_the_limit_is_refused(tight: Api) -> None:
    # Depth counts from 0 at the operation's own fields.
    assert "errors" not in await tight.post("{ organization { teams { children { teamId } } } }")
    body = await tight.post("{ organization { teams { children { children { teamId } } } } }")
    assert "exceeds maximum operation depth of 3" in refused(body)


@limit(max_aliases=3)
async def test_more_aliases_than_the_limit_are_refused(tight: Api) -> None:
    assert "errors" not in await tight.post("{ a: viewer { role } b: viewer { role } }")
    body = await tight.post(
        "{ a: viewer { role } b: viewer { role } c: viewer { role } d: viewer { role } }"
    )
    assert "4 aliases found. Allowed: 3" in refused(body)


@limit(max_tokens=100)
async def test_a_document_of_more_tokens_than_the_limit_is_refused(tight: Api) -> None:
    assert "errors" not in await tight.post("{ viewer { " + "role " * 90 + "} }")
    body = await tight.post("{ viewer { " + "role " * 100 + "} }")
    assert "more than 100 tokens" in refused(body)


@limit(max_cost=100)
async def test_an_operation_over_the_cost_budget_is_refused_with_its_estimate(tight: Api) -> None:
    assert "errors" not in await tight.post("{ organization { teams { teamId name } } }")
    body = await tight.post(
        "query Everything { organization { teams { teamId name "
        "children { teamId name scorecards { name } } } } }"
    )
    message = refused(body)
    assert error_codes(body) == ["COST_LIMIT"]
    extensions = body["errors"][0]["extensions"]
    assert extensions["budget"] == 100
    assert extensions["cost"] > 100
    assert message.startswith(f"Everything would cost about {extensions['cost']}")


async def test_a_whole_scorecard_with_the_longest_trends_is_over_the_default_budget(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    query = (
        'query($id: ID!) { scorecard(id: $id, period: "2026-03") { perspectives { objectives '
        "{ kpis { trend(last: LAST) { period actual target score status "
        "explanation { summary formula rule } } } } } } }"
    )
    gid = {"id": scorecard_gid("ops")}
    assert "errors" not in await api.post(query.replace("LAST", "6"), gid)
    body = await api.post(query.replace("LAST", str(MAX_TREND)), gid)
    refused(body)
    assert error_codes(body) == ["COST_LIMIT"]
    assert body["errors"][0]["extensions"]["budget"] == 25000


async def test_an_audit_page_larger_than_the_maximum_is_refused_naming_first(api: Api) -> None:
    await build_small_scorecard(api)
    page = "query($n: Int!) { auditTrail(first: $n) { edges { cursor } } }"
    assert "errors" not in await api.post(page, {"n": MAX_PAGE})
    for first in (MAX_PAGE + 1, 0, -1):
        body = await api.post(page, {"n": first})
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["argument"] == "first"
        assert body["errors"][0]["message"].startswith("first: ")
    literal = await api.post("{ auditTrail(first: 101) { edges { cursor } } }")
    assert error_codes(literal) == ["BAD_USER_INPUT"]
    assert "between 1 and 100" in literal["errors"][0]["message"]


async def test_a_trend_longer_than_the_maximum_is_refused_naming_last(api: Api) -> None:
    await build_small_scorecard(api)
    query = (
        "query($id: ID!, $n: Int!) { scorecard(id: $id) "
        "{ perspectives { objectives { kpis { trend(last: $n) { period } } } } } }"
    )
    gid = scorecard_gid("ops")
    assert "errors" not in await api.post(query, {"id": gid, "n": MAX_TREND})
    body = await api.post(query, {"id": gid, "n": MAX_TREND + 1})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == "last"
    assert f"at most {MAX_TREND}" in body["errors"][0]["message"]
    assert body["data"] == {"scorecard": None}


@limit(max_cost=100)
async def test_an_audit_page_is_costed_by_its_page_size(tight: Api) -> None:
    page = "{ auditTrail(first: N) { edges { cursor node { eventType actor } } } }"
    assert "errors" not in await tight.post(page.replace("N", "10"))
    body = await tight.post(page.replace("N", "50"))
    assert error_codes(body) == ["COST_LIMIT"]
    assert body["errors"][0]["extensions"]["cost"] > 50 * 4
    # Left out, first is its default of 50.
    default = await tight.post(page.replace("(first: N)", ""))
    assert error_codes(default) == ["COST_LIMIT"]
