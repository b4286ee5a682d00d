"""``scoreledger worker``: the async projections in a process of their own."""

from __future__ import annotations

import asyncio
import signal

import structlog

from api.commands.common import fail, load_settings
from api.logs import configure_logging
from api.migrations import MigrationsBehind

log = structlog.get_logger(__name__)


def worker() -> None:
    """Run the async projections in this process until SIGTERM or SIGINT.

    For deployments whose API processes run with SCORELEDGER_PROJECTIONS=off; several
    workers may run, one runner per projection is active at a time.
    """
    from api.worker import run_worker

    settings = load_settings()
    configure_logging(settings.log_format)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):

            def stopping(signum: signal.Signals = signum) -> None:
                log.info("worker_stopping", signal=signum.name)
                stop.set()

            loop.add_signal_handler(signum, stopping)
        await run_worker(settings, stop)

    try:
        asyncio.run(run())
    except MigrationsBehind as error:
        fail(str(error))
