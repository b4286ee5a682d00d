"""The one GraphQL schema, composed from the features."""

from __future__ import annotations

import strawberry

from api.graphql.limits import limit_extensions
from api.graphql.mutations.builder import build_mutation_type
from api.graphql.mutations.catalog import SPECS
from api.graphql.node import NodeQueries
from api.graphql.organization import OrganizationQueries
from api.graphql.reads import ReadQueries
from api.graphql.subscriptions import Subscription
from api.graphql.text import RefuseNulCharacters


@strawberry.type(description="Scorecards, their history and the audit trail.")
class Query(OrganizationQueries, ReadQueries, NodeQueries):
    pass


Mutation = build_mutation_type(SPECS)


def build_schema(
    *, max_depth: int = 12, max_aliases: int = 30, max_tokens: int = 5000, max_cost: int = 25000
) -> strawberry.Schema:
    """The schema with its limits (the settings' values in the app)."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            *limit_extensions(
                max_depth=max_depth,
                max_aliases=max_aliases,
                max_tokens=max_tokens,
                max_cost=max_cost,
            ),
            RefuseNulCharacters,
        ],
    )


def sdl() -> str:
    """The schema's SDL, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
