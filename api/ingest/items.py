"""One measurement to ingest, as an integrator sends it, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.errors import DomainError
from domain.periods import Period

MAX_ITEMS = 1000
"""Most items in one JSON batch."""

NUL = "\x00"


def _no_nul(value: str) -> str:
    if NUL in value:
        raise ValueError("text may not contain NUL characters (U+0000)")
    return value


Id = Annotated[str, Field(min_length=1, max_length=200)]


class MeasurementItem(BaseModel):
    """A KPI's value for a period, or the note that it is not available.

    ``scorecard`` and ``kpi`` are the plain domain ids, as GraphQL mutations take them and
    as the GraphQL types show them in ``scorecardId`` and ``kpiId`` (``sc-it`` and ``kpi-003``
    in the demo), not the opaque global ``id`` of ``node(id:)``.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "scorecard": "sc-it",
                    "kpi": "kpi-003",
                    "period": "2026-12",
                    "value": 4.3,
                    "source": "survey-tool",
                    "external_ref": "survey-2026-12",
                    "note": "December pulse survey",
                }
            ]
        },
    )

    scorecard: Id = Field(
        description="The scorecard's plain id (GraphQL `scorecardId`), e.g. `sc-it`.",
        examples=["sc-it"],
    )
    kpi: Id = Field(
        description="The KPI's plain id within the scorecard (GraphQL `kpiId`), e.g. `kpi-003`.",
        examples=["kpi-003"],
    )
    period: str = Field(
        description="The period the value is for, in the KPI's frequency: `2026-03` (month), "
        "`2026-Q1` (quarter) or `2026` (year).",
        examples=["2026-12"],
        max_length=20,
    )
    value: float | None = Field(
        default=None,
        description="The value; leave it out (or null) when `not_available` is true.",
        examples=[4.3],
    )
    not_available: bool = Field(
        default=False,
        description="True when the source reports that no value exists for the period.",
    )
    source: str = Field(
        default="",
        max_length=200,
        description="The system the value comes from (monitoring, ITSM, finance, ...).",
        examples=["survey-tool"],
    )
    external_ref: str = Field(
        default="",
        max_length=200,
        description="The value's reference in the source system.",
        examples=["survey-2026-12"],
    )
    note: str = Field(default="", max_length=2000, description="Free text kept with the value.")
    reason: str | None = Field(
        default=None,
        max_length=1000,
        description="Why the value changes: required when the KPI already has a different "
        "value for the period (a correction), optional otherwise.",
        examples=[None],
    )

    _nul = field_validator("scorecard", "kpi", "period", "source", "external_ref", "note")(_no_nul)

    @field_validator("reason")
    @classmethod
    def _reason_without_nul(cls, value: str | None) -> str | None:
        return None if value is None else _no_nul(value)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        try:
            return str(Period.parse(value.strip()))
        except DomainError:
            raise ValueError("period must look like 2026-03, 2026-Q1 or 2026") from None


class Outcome(StrEnum):
    """What became of one item."""

    CREATED = "created"
    """The KPI's first value for the period was recorded."""
    SUPERSEDED = "superseded"
    """A correction: the value replaced the current one (``supersedes``), which is kept."""
    UNCHANGED = "unchanged"
    """An identical repeat of the current value: nothing was written."""
    ERROR = "error"
    """Refused (``code``, ``field``, ``message``); nothing was written for the item."""


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The result of one item; ``measurement_id`` is the value now current for it."""

    index: int
    outcome: Outcome
    measurement_id: str | None = None
    supersedes: str | None = None
    code: str | None = None
    field: str | None = None
    message: str | None = None

    @classmethod
    def error(cls, index: int, code: str, field: str | None, message: str) -> ItemResult:
        return cls(index, Outcome.ERROR, code=code, field=field, message=message)

    @classmethod
    def refused(cls, index: int, error: DomainError) -> ItemResult:
        return cls.error(index, error.code, _item_field(error.field), error.message)


_COMMAND_TO_ITEM = {
    "scorecard_id": "scorecard",
    "kpi_id": "kpi",
    "source_system": "source",
    "external_reference": "external_ref",
    "measurement_id": None,
}


def _item_field(command_field: str | None) -> str | None:
    """The item field a domain error's command field stands for."""
    if command_field is None:
        return None
    return _COMMAND_TO_ITEM.get(command_field, command_field)


Parsed = MeasurementItem | ItemResult
"""A raw item parsed: the item, or the error result that refuses it."""


_ITEMS = pydantic.TypeAdapter(list[MeasurementItem])


def parse_items(raw_items: list[Any]) -> list[Parsed]:
    """Validate a batch: in one pass when every item is well-formed (the usual case), item by
    item (:func:`parse_item`, an error result for each malformed one) otherwise."""
    try:
        return list(_ITEMS.validate_python(raw_items))
    except pydantic.ValidationError:
        return [parse_item(index, raw) for index, raw in enumerate(raw_items)]


def parse_item(index: int, raw: Any) -> Parsed:
    """Validate one raw item; a malformed one becomes an ``input.invalid`` error result
    naming the first field at fault."""
    try:
        return MeasurementItem.model_validate(raw)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        return ItemResult.error(index, "input.invalid", field, message)
