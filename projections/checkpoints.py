"""Projection checkpoints, written in the same transaction as the projection's effects."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import START, FeedPosition
from projections.tables import checkpoints


class CheckpointMoved(Exception):
    """Another runner advanced the checkpoint first; this batch must not commit."""


async def load(conn: AsyncConnection, name: str) -> FeedPosition:
    """The feed position after which projection ``name`` has not applied anything."""
    row = (await conn.execute(sa.select(checkpoints).where(checkpoints.c.name == name))).first()
    return START if row is None else FeedPosition(row.transaction_id, row.position)


async def exists(conn: AsyncConnection, name: str) -> bool:
    """Whether projection ``name`` keeps a checkpoint (is applied by a runner)."""
    query = sa.select(checkpoints.c.name).where(checkpoints.c.name == name)
    return (await conn.execute(query)).first() is not None


async def advance(
    conn: AsyncConnection, name: str, expected: FeedPosition, new: FeedPosition
) -> None:
    """Move the checkpoint from ``expected`` to ``new``, or raise CheckpointMoved."""
    now = datetime.now(UTC)
    if expected == START:
        existing = await load(conn, name)
        if existing != START:
            raise CheckpointMoved(name)
        try:
            # A savepoint, so a lost race leaves the caller's transaction usable for rollback.
            async with conn.begin_nested():
                await conn.execute(
                    checkpoints.insert(),
                    {
                        "name": name,
                        "transaction_id": new.transaction_id,
                        "position": new.position,
                        "updated_at": now,
                    },
                )
        except IntegrityError:
            raise CheckpointMoved(name) from None
        return
    result = await conn.execute(
        checkpoints.update()
        .where(
            checkpoints.c.name == name,
            checkpoints.c.transaction_id == expected.transaction_id,
            checkpoints.c.position == expected.position,
        )
        .values(transaction_id=new.transaction_id, position=new.position, updated_at=now)
    )
    if result.rowcount != 1:
        raise CheckpointMoved(name)


async def store(conn: AsyncConnection, name: str, position: FeedPosition) -> None:
    """Set the checkpoint unconditionally (a rebuild's switch-over)."""
    await conn.execute(checkpoints.delete().where(checkpoints.c.name == name))
    await conn.execute(
        checkpoints.insert(),
        {
            "name": name,
            "transaction_id": position.transaction_id,
            "position": position.position,
            "updated_at": datetime.now(UTC),
        },
    )
