"""The CSV import format: parsing a file into items, row by row.

The header is required and names the columns (any order, no others):
``scorecard,kpi,period,value,source,external_ref,note,reason``; ``scorecard``, ``kpi``,
``period`` and ``value`` must be there. The file is UTF-8, with or without a byte-order mark.
``value`` is a number, or ``NA`` when the source reports no value for the period. Row numbers
count the header as row 1, so the first value is on row 2 (as spreadsheets number them).

Used by ``POST /v1/measurements/import`` and meant for the ``scoreledger import`` command.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from api.ingest.items import ItemResult, Parsed, parse_item

COLUMNS = ("scorecard", "kpi", "period", "value", "source", "external_ref", "note", "reason")
REQUIRED = ("scorecard", "kpi", "period", "value")
MAX_BYTES = 10 * 1024 * 1024
"""Largest CSV file accepted."""
NOT_AVAILABLE = {"na", "n/a"}


class CsvFormatError(ValueError):
    """The file as a whole cannot be read: not UTF-8, no header, unknown columns."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class CsvRows:
    """The rows of a file as items (or the error refusing each) and their row numbers."""

    items: list[Parsed]
    rows: list[int]


def parse_csv(data: bytes) -> CsvRows:
    """Parse a whole CSV file; a bad row becomes an error result, a bad file raises."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFormatError(f"the file is not UTF-8 (byte {error.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise CsvFormatError(f"row 1: {error}") from None
    if not header or not any(cell.strip() for cell in header):
        raise CsvFormatError("the file needs a header row: " + ",".join(COLUMNS))
    names = [cell.strip().lower() for cell in header]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise CsvFormatError(f"unknown column(s) {', '.join(unknown)}; use " + ",".join(COLUMNS))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CsvFormatError(f"column(s) {', '.join(repeated)} appear more than once")
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise CsvFormatError(f"the header lacks the column(s) {', '.join(missing)}")
    items: list[Parsed] = []
    rows: list[int] = []
    while True:
        row_number = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise CsvFormatError(f"row {row_number}: {error}") from None
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows
        index = len(items)
        rows.append(row_number)
        if len(cells) != len(names):
            items.append(
                ItemResult.error(
                    index,
                    "input.invalid",
                    None,
                    f"row {row_number} has {len(cells)} cells, the header {len(names)}",
                )
            )
            continue
        items.append(parse_item(index, _raw_item(dict(zip(names, cells, strict=True)))))
    return CsvRows(items, rows)


def _raw_item(cells: dict[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = {
        name: cells[name].strip() for name in ("scorecard", "kpi", "period") if name in cells
    }
    for name in ("source", "external_ref", "note"):
        if name in cells:
            raw[name] = cells[name].strip()
    reason = cells.get("reason", "").strip()
    if reason:
        raw["reason"] = reason
    value = cells.get("value", "").strip()
    if value.lower() in NOT_AVAILABLE:
        raw["not_available"] = True
    elif value:
        raw["value"] = value
    return raw
