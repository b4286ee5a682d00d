"""Which events a PostgreSQL feed reader may take: the horizon of in-flight appends.

Rows carry ``pg_current_xact_id()`` and the feed is ordered by (transaction id, position).
A reader may hand out a committed event only when no event with a lower transaction id can
still commit later: otherwise a follower whose checkpoint has passed it would skip it. The
snapshot's ``xmin`` is a safe bound but a server-wide one: any transaction holding an xid
in any database (a console left open in ``postgres``, a temp-table write, a batch job on
another table) held every reader back for as long as it lasted. Here only transactions
that can still commit events into our events table do.

The append lock
    Every append takes ``pg_advisory_xact_lock_shared(APPEND_LOCK)`` in the FROM clause of
    its events INSERT (no extra round trip). The lock is held until the transaction ends.
    Advisory locks live in the database they were taken in, so the lock is this database's
    (pg_locks names the database; readers match on it). Shared holders never wait for each
    other; nothing in the store takes the lock exclusively.

Lock before xid
    The function scan that takes the lock runs below the projection that computes the
    column default ``pg_current_xact_id()``, which is where the transaction first gets its
    xid (an append's first write is its events INSERT; the tail read before it is a plain
    SELECT). So an appending transaction holds the lock at every moment it holds an xid;
    and at its end PostgreSQL releases the ordinary locks, among them the lock on its own
    xid, before the advisory ones. Hence, at any instant: whoever holds the lock on its xid
    (i.e. is running) and will ever write events holds the append lock too.
    (A test blocks an append on the lock and checks that it has no xid yet.)
    Precondition: whatever appends must not have written before in the same transaction
    (nor append inside a savepoint that it rolls back and then append again); the store's
    own append paths never do.

The horizon (one statement; its snapshot S is taken before it reads pg_locks)
    ``pg_locks`` is not MVCC but its rows of the main lock table (advisory and xid locks
    are never fast-path locks) are read under all partition locks: one consistent instant
    t, later than S. From that one read (a materialised CTE, read once) we learn the set U
    of xids running at t *without* the append lock: each backend holds an ExclusiveLock on
    its own xid while running, and its advisory locks share its virtualtransaction. The
    horizon is the lowest xid in S's in-progress list that is not in U, or, when there is
    none, S's xmax; readers take visible rows below it. (Joining ``pg_stat_activity`` for
    ``backend_xid`` instead would read a second, unsynchronised structure, and it hides
    other roles' sessions.)

Why nothing is skipped
    Take a transaction W that commits events after the reader's snapshot S. Either W got
    its xid after S, so W's xid is at least S's xmax, above every row S can see; or W was
    in S's in-progress list. Then at t W either still held its xid lock, and so (lock
    before xid) the append lock: W is not in U; or it had ended: not in U either. Either
    way the horizon is at most W's xid and nothing at or above it is handed out. Xids in
    the in-progress list that are in U are running without the append lock at t and had an
    xid before S, so they never write events (lock before xid): ignoring them is what
    stops unrelated transactions from holding us back. Everything below the horizon that S
    cannot see belongs to those, or to transactions that aborted. A transaction that ended
    between S and t is counted conservatively for this one read; so is one whose xid was in
    S but whose xid lock was not inserted yet (PostgreSQL adds it right after assigning the
    xid). Such a read hands out less, never more; the next read (woken by the next NOTIFY
    or the poll) catches up. Tests that read right after writing wait with
    ``tests.feed.settled`` for this reason.

On a hot standby the primary's locks are not visible and snapshots list no in-progress
xids; there the horizon falls back to the snapshot's xmin, as before.
"""

from __future__ import annotations

APPEND_LOCK = (0x5C02, 1)
"""(class, key) of the two-part advisory lock every append holds; one-part keys (projection
runners) live in a separate lock space, and 0x5C01 keys are idempotency keys'."""

TAKE_APPEND_LOCK = f"pg_advisory_xact_lock_shared({APPEND_LOCK[0]}, {APPEND_LOCK[1]})"
"""Goes in the FROM clause of the events INSERT, ahead of the rows."""

_RUNNING_WITHOUT_APPEND_LOCK = f"""
    WITH locks AS MATERIALIZED (
        SELECT locktype, database, classid, objid, objsubid, virtualtransaction,
               transactionid, mode, granted
        FROM pg_locks
    )
    SELECT own.transactionid FROM locks AS own
    WHERE own.locktype = 'transactionid' AND own.mode = 'ExclusiveLock' AND own.granted
      AND own.transactionid IS NOT NULL
      AND NOT EXISTS (
          SELECT FROM locks AS appending
          WHERE appending.locktype = 'advisory' AND appending.objsubid = 2
            AND appending.classid = {APPEND_LOCK[0]} AND appending.objid = {APPEND_LOCK[1]}
            AND appending.virtualtransaction = own.virtualtransaction
            AND appending.database = (
                SELECT oid FROM pg_database WHERE datname = current_database()))
"""

HORIZON = f"""(
    SELECT CASE WHEN pg_is_in_recovery() THEN pg_snapshot_xmin(pg_current_snapshot())
                ELSE coalesce(min(xid), pg_snapshot_xmax(pg_current_snapshot())) END
    FROM pg_snapshot_xip(pg_current_snapshot()) AS xid
    WHERE xid::xid NOT IN ({_RUNNING_WITHOUT_APPEND_LOCK})
)"""
"""An xid8 scalar: feed readers take visible rows whose transaction id is below it. The
pg_locks read only runs when the snapshot has transactions in progress."""

FEED_LAG_SQL = f"""
WITH horizon AS MATERIALIZED (SELECT {HORIZON} AS xid),
behind AS (
    SELECT count(*) AS events, min(recorded_at) AS oldest,
           count(*) FILTER (WHERE transaction_id >= (SELECT xid FROM horizon)) AS held
    FROM events
    WHERE (transaction_id, global_position) > ($1::xid8, $2)
)
SELECT behind.events, behind.oldest, behind.held, holder.pid, holder.seconds
FROM behind LEFT JOIN LATERAL (
    SELECT lock.pid, extract(epoch FROM clock_timestamp() - activity.xact_start) AS seconds
    FROM pg_locks AS lock JOIN pg_stat_activity AS activity ON activity.pid = lock.pid
    WHERE behind.held > 0 AND lock.locktype = 'transactionid' AND lock.granted
      AND lock.mode = 'ExclusiveLock' AND lock.transactionid = (SELECT xid FROM horizon)::xid
    LIMIT 1
) AS holder ON true
"""
"""Committed events after a feed position ($1, $2), the oldest one's time, how many of them
the horizon still holds back, and the backend (pid, seconds its transaction has been open)
whose append defines the horizon when it does."""
