"""Text arguments may not contain NUL characters.

PostgreSQL text cannot store U+0000, so an operation carrying one, in a literal or in a
variable, is refused as bad input before anything runs (on either backend, so both answer
alike) rather than failing in the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ArgumentNode, DocumentNode, ExecutionResult, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from api.graphql.errors import bad_input

NUL = "\x00"


def _carries_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_carries_nul(k) or _carries_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_carries_nul(v) for v in value)
    return False


class _Literals(Visitor):
    """Finds the first string literal with a NUL and the argument it belongs to."""

    def __init__(self) -> None:
        super().__init__()
        self.argument: str | None = None
        self.found: str | None = None

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.argument = node.name.value

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if self.found is None and NUL in node.value:
            self.found = self.argument or "query"


def argument_with_nul(
    document: DocumentNode | None, variables: dict[str, Any] | None
) -> str | None:
    """The first variable or argument whose text contains a NUL character, if any."""
    for name, value in (variables or {}).items():
        if _carries_nul(value):
            return name
    if document is None:
        return None
    literals = _Literals()
    visit(document, literals)
    return literals.found


class RefuseNulCharacters(SchemaExtension):
    """Answers an operation with a NUL character anywhere in its text arguments with one
    BAD_USER_INPUT error, without executing it."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        argument = argument_with_nul(context.graphql_document, context.variables)
        if argument is not None:
            error = bad_input(argument, "text may not contain NUL characters (U+0000)")
            context.result = ExecutionResult(data=None, errors=[error])
        yield
