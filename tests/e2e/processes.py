"""Server and worker processes for tests: uvicorn on a socket the test owns (requests wait in
its backlog until the server accepts them), and ``scoreledger worker`` with JSON log lines
the test reads to know what it has done. No sleeping: a test waits for what it needs."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import orjson

from eventstore import FeedPosition
from eventstore.sql import SqlEventStore
from projections import async_projections, checkpoints
from tests.feed import settled

ROOT = Path(__file__).resolve().parents[2]
SCORELEDGER = ("-c", "from api.cli import main; main()")


def environment(database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCORELEDGER_")}
    env.update(
        SCORELEDGER_DATABASE_URL=database_url,
        SCORELEDGER_POLL_INTERVAL="0.05",
        SCORELEDGER_LOG_FORMAT="json",
    )
    env.update({f"SCORELEDGER_{name.upper()}": value for name, value in settings.items()})
    return env


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


async def start_api(database_url: str, listener: socket.socket, **settings: str) -> Process:
    """``uvicorn --factory api.app:create_app`` serving on ``listener``."""
    fd = listener.fileno()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
        "--fd", str(fd), "--log-level", "warning", "--ws", "websockets-sansio",
        cwd=ROOT, env=environment(database_url, **settings), pass_fds=(fd,),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    return Process(process)


async def start_worker(database_url: str) -> Process:
    """``scoreledger worker``, its log lines (JSON) on a pipe."""
    return await start_scoreledger(database_url, "worker")


async def start_scoreledger(database_url: str, *arguments: str, **settings: str) -> Process:
    """``scoreledger ARGUMENTS`` as a process of its own, its output on a pipe."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *SCORELEDGER, *arguments,
        cwd=ROOT, env=environment(database_url, **settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    return Process(process)


class Process:
    """A child process; ``logged`` reads its JSON log lines up to an event."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []
        self.other_output: list[str] = []

    @property
    def pid(self) -> int:
        return self.process.pid

    async def logged(self, event: str, count: int = 1, timeout: float = 60) -> list[dict[str, Any]]:
        """Read log lines until ``count`` of them are ``event``; fails if the process ends."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while len(found := [x for x in self.lines if x.get("event") == event]) < count:
                line = await self.process.stdout.readline()
                if not line:
                    raise AssertionError(
                        f"the process ended before logging {event!r}: {self.other_output}"
                    )
                try:
                    self.lines.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    self.other_output.append(line.decode(errors="replace"))
        return found

    async def printed(self, text: str, timeout: float = 60) -> None:
        """Read output lines until one contains ``text``; fails if the process ends first."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = (await self.process.stdout.readline()).decode(errors="replace")
                if not line:
                    raise AssertionError(f"the process ended before printing {text!r}")
                self.other_output.append(line)
                if text in line:
                    return

    async def stop(self, signum: signal.Signals = signal.SIGTERM) -> int:
        """Send ``signum`` and wait for the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signum)
        return await asyncio.wait_for(self.process.wait(), timeout=60)

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


async def until_projected(store: SqlEventStore, timeout: float = 60) -> None:
    """Wait until every async projection's checkpoint has reached every event committed."""
    await settled(store, timeout)
    head = await store.head()
    for projection in async_projections():
        await until_checkpoint(store, projection.name, head, timeout)


async def until_checkpoint(
    store: SqlEventStore, name: str, position: FeedPosition, timeout: float = 60
) -> None:
    """Wait until projection ``name``'s checkpoint is at or past ``position``."""
    waiter = store.waiter()
    async with asyncio.timeout(timeout):
        while True:
            async with store.engine.connect() as conn:
                if position <= await checkpoints.load(conn, name):
                    return
            # Woken by the store's notifications on PostgreSQL; a short poll on SQLite,
            # whose wake-ups do not cross processes.
            await waiter.wait(timeout=0.05)
