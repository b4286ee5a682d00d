"""Typed GraphQL errors: each carries ``extensions.code``."""

from __future__ import annotations

from graphql import GraphQLError


def coded(code: str, message: str, **extensions: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def forbidden(message: str) -> GraphQLError:
    return coded("FORBIDDEN", message)


def unauthenticated() -> GraphQLError:
    return coded("UNAUTHENTICATED", "a bearer token is required")


def bad_input(argument: str, message: str) -> GraphQLError:
    return coded("BAD_USER_INPUT", f"{argument}: {message}", argument=argument)


def not_consistent(timeout: float) -> GraphQLError:
    return coded(
        "CONSISTENCY_TIMEOUT",
        f"the read models did not reach consistentWith within {timeout:g} s; retry",
    )
