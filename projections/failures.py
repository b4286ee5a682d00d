"""The last error each async projection's runner met, kept for operators.

A runner whose batch fails records the error here (in a transaction of its own, since the
batch's rolled back) before it gives up; ``scoreledger projections status`` shows it. A row is
kept until the next failure replaces it, so the time tells whether it is still current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventstore import FeedPosition
from projections.tables import failures

MAX_MESSAGE = 2000
"""Longest message kept (a traceback's last line is what an operator needs first)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """What went wrong, when, and after which checkpoint the failing batch started."""

    message: str
    failed_at: datetime
    checkpoint: FeedPosition


def describe(error: BaseException) -> str:
    """The error's type and message, bounded in length."""
    text = f"{type(error).__name__}: {error}".strip()
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


async def record(
    engine: AsyncEngine, name: str, error: BaseException, checkpoint: FeedPosition
) -> None:
    """Keep ``error`` as projection ``name``'s last failure, replacing an older one."""
    async with engine.begin() as conn:
        await conn.execute(failures.delete().where(failures.c.name == name))
        await conn.execute(
            failures.insert(),
            {
                "name": name,
                "message": describe(error),
                "failed_at": datetime.now(UTC),
                "transaction_id": checkpoint.transaction_id,
                "position": checkpoint.position,
            },
        )


async def last_failures(conn: AsyncConnection) -> dict[str, Failure]:
    """The last failure of every projection that had one, by projection name."""
    rows = await conn.execute(sa.select(failures))
    return {
        row.name: Failure(
            row.message, row.failed_at, FeedPosition(row.transaction_id, row.position)
        )
        for row in rows
    }
