"""Bulk measurement ingestion, shared by the REST API and the CLI: items, their per-item
results, the CSV format, and running a batch through the ledger (or a dry run)."""

from api.ingest.items import (
    MAX_ITEMS,
    ItemResult,
    MeasurementItem,
    Outcome,
    Parsed,
    parse_item,
    parse_items,
)
from api.ingest.run import Ingestion, ItemIds

__all__ = [
    "MAX_ITEMS",
    "Ingestion",
    "ItemIds",
    "ItemResult",
    "MeasurementItem",
    "Outcome",
    "Parsed",
    "parse_item",
    "parse_items",
]
