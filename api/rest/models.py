"""The REST API's request and response bodies (for validation and the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.ingest.items import MAX_ITEMS, ItemResult, MeasurementItem, Outcome


class MeasurementBatch(BaseModel):
    """Up to 1,000 measurements; each is decided on its own and gets its own result."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "scorecard": "sc-it",
                            "kpi": "kpi-003",
                            "period": "2026-12",
                            "value": 4.3,
                            "source": "survey-tool",
                            "external_ref": "survey-2026-12",
                        },
                        {
                            "scorecard": "sc-it",
                            "kpi": "kpi-004",
                            "period": "2026-12",
                            "not_available": True,
                            "source": "itsm",
                        },
                    ]
                }
            ]
        }
    )

    items: list[MeasurementItem] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description="The measurements, at most 1,000 (more is refused with 413).",
    )


class Counts(BaseModel):
    """How many items ended how."""

    created: int
    superseded: int
    unchanged: int
    error: int


class ItemResultBody(BaseModel):
    """What became of one item (the same position as in the request)."""

    index: int = Field(description="The item's position in the request, from 0.")
    status: Outcome = Field(
        description="`created`, `superseded` (a correction), `unchanged` (an identical "
        "repeat, nothing written) or `error` (nothing written for this item)."
    )
    measurement_id: str | None = Field(
        description="The id of the value now current for the item (null for an error)."
    )
    supersedes: str | None = Field(description="For `superseded`: the id of the value replaced.")
    code: str | None = Field(
        description="For `error`: a stable code such as `kpi.not_found`, `period.closed`, "
        "`measurement.reason_required`, `input.invalid`."
    )
    field: str | None = Field(description="For `error`: the item's field at fault, if one is.")
    message: str | None = Field(description="For `error`: what is wrong, for people.")


class BatchResponse(BaseModel):
    """One result per item, in the order of the items."""

    results: list[ItemResultBody]
    counts: Counts


class RowResultBody(ItemResultBody):
    """What became (or, in a dry run, would become) of one CSV row."""

    row: int = Field(description="The row's line in the file; the header is row 1.")


class ImportResponse(BaseModel):
    """One result per data row, in file order."""

    dry_run: bool = Field(description="True when nothing was written.")
    results: list[RowResultBody]
    counts: Counts


def result_body(result: ItemResult) -> dict[str, object]:
    return {
        "index": result.index,
        "status": result.outcome.value,
        "measurement_id": result.measurement_id if result.outcome is not Outcome.ERROR else None,
        "supersedes": result.supersedes,
        "code": result.code,
        "field": result.field,
        "message": result.message,
    }


def counts(results: list[ItemResult]) -> dict[str, int]:
    found = {outcome.value: 0 for outcome in Outcome}
    for result in results:
        found[result.outcome.value] += 1
    return found


def import_body(rows: list[int], results: list[ItemResult], dry_run: bool) -> dict[str, object]:
    """The body of a CSV import's answer (``ImportResponse``): a result per data row with its
    row number (``rows`` by item index), and the counts. The CLI prints the same with --json."""
    return {
        "dry_run": dry_run,
        "results": [{**result_body(result), "row": rows[result.index]} for result in results],
        "counts": counts(results),
    }
