"""Every GraphQL error carries extensions.code, including the parser's and the limits'."""

from __future__ import annotations

import pytest

from api.graphql.schema import build_schema


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (
            "{ organization { teams { children { children { children { name } } } } } }",
            "LIMIT_EXCEEDED",
        ),
        ("{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(5)) + " }", "LIMIT_EXCEEDED"),
        ("{ viewer { role } " + "viewer { role } " * 80 + "}", "LIMIT_EXCEEDED"),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ viewer ", "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_refused_documents_say_why_in_a_code(document: str, code: str) -> None:
    schema = build_schema(max_depth=4, max_aliases=3, max_tokens=200)
    result = await schema.execute(document)
    assert result.errors
    assert {(error.extensions or {}).get("code") for error in result.errors} == {code}
