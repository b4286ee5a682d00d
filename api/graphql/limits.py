"""Limits on what one operation may ask for: depth, aliases, tokens and a cost budget.

The cost is estimated from the document before anything runs: every field costs 1, and the
selections under a list field are paid once per item the list may hold: its ``first`` or
``last`` (given, else its default), or the page size of the connection it belongs to (the
``first`` of ``auditTrail`` sizes its ``edges``), else :data:`LIST_ESTIMATE`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
)
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from api.outages import outage_of

LIST_ESTIMATE = 5
PAGE_ARGUMENTS = ("first", "last")


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def cost_rule(budget: int) -> type[ValidationRule]:
    """A validation rule refusing operations whose estimated cost exceeds ``budget``."""

    class CostBudget(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments: dict[str, FragmentDefinitionNode] = {
                d.name.value: d
                for d in context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            self.variables: dict[str, Any] = {}

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            schema = self.context.schema
            root = {
                "query": schema.query_type,
                "mutation": schema.mutation_type,
                "subscription": schema.subscription_type,
            }[node.operation.value]
            cost = self._cost(node.selection_set, root, set())
            if cost > budget:
                name = node.name.value if node.name else "the operation"
                self.report_error(
                    GraphQLError(
                        f"{name} would cost about {cost}, more than the budget of {budget}: "
                        "ask for fewer items (first, last) or fewer fields",
                        node,
                        extensions={"code": "COST_LIMIT", "cost": cost, "budget": budget},
                    )
                )

        def _page(self, node: FieldNode, definition: GraphQLField) -> int | None:
            """The items ``first`` or ``last`` asks of this field: the literal given, 100 for
            a variable, else the argument's default; none without such an argument."""
            for argument in node.arguments or ():
                if argument.name.value in PAGE_ARGUMENTS:
                    if isinstance(argument.value, IntValueNode):
                        return max(1, int(argument.value.value))
                    if isinstance(argument.value, VariableNode):
                        return 100
            for name in PAGE_ARGUMENTS:
                default = getattr(definition.args.get(name), "default_value", None)
                if isinstance(default, int):
                    return max(1, default)
            return None

        def _cost(
            self,
            selections: SelectionSetNode | None,
            parent: Any,
            seen: set[str],
            page: int | None = None,
        ) -> int:
            if selections is None or parent is None:
                return 0
            total = 0
            for selection in selections.selections:
                if isinstance(selection, FieldNode):
                    fields = getattr(parent, "fields", {})
                    definition = fields.get(selection.name.value)
                    if definition is None:
                        total += 1
                        continue
                    child_type = definition.type
                    while hasattr(child_type, "of_type"):
                        child_type = child_type.of_type
                    asked = self._page(selection, definition)
                    if _is_list(definition.type):
                        inner = self._cost(selection.selection_set, child_type, seen)
                        total += 1 + max(inner, 1) * (asked or page or LIST_ESTIMATE)
                    else:
                        # A connection passes its page size to the list beneath it.
                        total += 1 + self._cost(selection.selection_set, child_type, seen, asked)
                elif isinstance(selection, InlineFragmentNode):
                    target = parent
                    if selection.type_condition is not None:
                        target = self.context.schema.get_type(selection.type_condition.name.value)
                    total += self._cost(selection.selection_set, target, seen, page)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is None or name in seen:
                        continue
                    target = self.context.schema.get_type(fragment.type_condition.name.value)
                    total += self._cost(fragment.selection_set, target, seen | {name}, page)
            return total

    return CostBudget


def limit_extensions(
    *, max_depth: int, max_aliases: int, max_tokens: int, max_cost: int
) -> list[Callable[[], SchemaExtension]]:
    """Factories of the limiting extensions (a fresh instance per operation).

    The validation rules are built once, so the same rule classes run for every operation and
    a document's validation result can be cached (the depth and alias limiters would build
    new rule classes per instance, and no cached result would ever match).
    """
    rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
        cost_rule(max_cost),
    ]
    return [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: AddValidationRules(rules),
        ValidationCache,
        HideInternalErrors,
    ]


def is_unexpected(error: GraphQLError) -> bool:
    """An error no resolver meant to show: a bug or an outage, never a user's mistake."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


_LIMIT_MESSAGES = ("exceeds maximum operation depth", "aliases found. Allowed", "tokens.")


def _code_for(error: GraphQLError) -> str:
    if any(part in error.message for part in _LIMIT_MESSAGES):
        return "LIMIT_EXCEEDED"
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


def _as_outage(error: GraphQLError) -> GraphQLError:
    outage = None if error.original_error is None else outage_of(error.original_error)
    return error if outage is None else outage.graphql_error(error)


class HideInternalErrors(MaskErrors):
    """Every error leaves with an ``extensions.code``: a storage condition gets its own
    (DATABASE_UNAVAILABLE, DATABASE_READ_ONLY or DISK_FULL, see :mod:`api.outages`); other
    unexpected ones (which may name tables or paths) have their text replaced by a generic
    message with INTERNAL_SERVER_ERROR (the full error is logged with the request id); the
    depth, alias and token limits get LIMIT_EXCEEDED, other parse and validation errors
    GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED, as GraphQL servers commonly name
    them."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="internal server error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        hidden = super().anonymise_error(error)
        hidden.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return hidden

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        # The database being away, read-only or full is no secret and no bug: say which.
        errors = [_as_outage(error) for error in errors]
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": _code_for(error)}
        return processed
