"""The command base class."""

from __future__ import annotations

import functools
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)

from domain.checks import check_command, domain_error_from, period_fields


class Command(BaseModel):
    """Base of all commands: frozen, strict about unknown fields.

    Commands carry every id the caller generated; the domain never makes ids or reads the
    clock. Building a command checks its types and the limits of :mod:`domain.checks`, and
    refuses bad input with a coded ``DomainError`` naming the field (never pydantic's
    ``ValidationError``); the deciders then check the rules that depend on state.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _checked(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        try:
            command = handler(data)
        except ValidationError as error:
            raise domain_error_from(error, _period_fields(cls)) from None
        check_command(command)
        return command


@functools.cache
def _period_fields(cls: type[BaseModel]) -> frozenset[str]:
    return period_fields(cls)
