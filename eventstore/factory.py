"""Open the right backend for a database URL."""

from __future__ import annotations

from eventstore.postgres import PostgresEventStore
from eventstore.sql import SqlEventStore
from eventstore.sqlite import SqliteEventStore
from eventstore.upcasting import UpcasterRegistry


def open_store(url: str, *, upcasters: UpcasterRegistry | None = None) -> SqlEventStore:
    """A store for ``sqlite:///...`` or ``postgresql://...`` (driver suffixes accepted)."""
    if url.startswith("sqlite"):
        return SqliteEventStore.from_url(url, upcasters=upcasters)
    if url.startswith(("postgresql", "postgres:")):
        return PostgresEventStore.from_url(url, upcasters=upcasters)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
