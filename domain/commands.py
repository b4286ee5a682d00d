"""The command base class."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Command(BaseModel):
    """Base of all commands: frozen, strict about unknown fields.

    Commands carry every id the caller generated; the domain never makes ids or reads the
    clock. Values are checked by the deciders, which raise coded ``DomainError`` s.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
