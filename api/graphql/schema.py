"""The one GraphQL schema, composed from the features."""

from __future__ import annotations

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from api.graphql.ledger import LedgerMutations, LedgerQueries
from api.graphql.limits import is_unexpected, limit_extensions
from api.graphql.mutations.builder import build_mutation_type
from api.graphql.mutations.catalog import SPECS
from api.graphql.node import NodeQueries
from api.graphql.organization import OrganizationQueries
from api.graphql.reads import ReadQueries
from api.graphql.subscriptions import Subscription
from api.graphql.text import RefuseNulCharacters
from api.outages import outage_of


@strawberry.type(description="Scorecards, their history and the audit trail.")
class Query(OrganizationQueries, ReadQueries, LedgerQueries, NodeQueries):
    pass


CommandMutations = build_mutation_type(SPECS)


@strawberry.type(description="Every domain command, and issuing ledger digests.")
class Mutation(CommandMutations, LedgerMutations):  # type: ignore[valid-type,misc]
    pass


log = structlog.get_logger(__name__)


class Schema(strawberry.Schema):
    """Logs only the errors nobody meant: a refused role or a bad argument is the caller's
    business (it is in the response), not an incident with a traceback; the database being
    away, read-only or full is an incident, logged once per error without one."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        outages = {
            id(e): outage
            for e in errors
            if e.original_error is not None and (outage := outage_of(e.original_error))
        }
        unexpected = [e for e in errors if is_unexpected(e) and id(e) not in outages]
        super().process_errors(unexpected, execution_context)
        for error in errors:
            if id(error) in outages:
                log.warning(
                    "graphql_database_outage",
                    code=outages[id(error)].code,
                    error=next(iter(str(error.original_error).splitlines()), ""),
                )
            elif error not in unexpected:
                log.info(
                    "graphql_error",
                    message=error.message,
                    code=(error.extensions or {}).get("code"),
                )


def build_schema(
    *, max_depth: int = 12, max_aliases: int = 30, max_tokens: int = 5000, max_cost: int = 25000
) -> strawberry.Schema:
    """The schema with its limits (the settings' values in the app)."""
    return Schema(
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
