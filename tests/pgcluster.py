"""A PostgreSQL cluster of a test's own, on a free port, that the test may crash and restart.

The shared server on 5432 serves every other test, so outage tests never stop it: they
``initdb`` a small cluster in a temporary directory and drive it with ``pg_ctl``. PostgreSQL
refuses to run as root, so when the tests run as root (as in CI) the binaries run as the
``postgres`` OS user, on a directory that user owns.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from api.migrations import upgrade
from tests.databases import postgres_required

BIN = Path(os.environ.get("SCORELEDGER_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"
TIMEOUT = 60
"""Seconds ``pg_ctl`` may take to start or stop the cluster."""


def unavailable_reason() -> str | None:
    """None when a private cluster can be run here; otherwise why not."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (BIN / tool).is_file():
            return f"no {tool} in {BIN} (set SCORELEDGER_TEST_POSTGRES_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            return f"running as root and there is no {OS_USER!r} OS user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return f"running as root and there is no runuser to run PostgreSQL as {OS_USER!r}"
    return None


def require_cluster() -> None:
    """Skip (or, with SCORELEDGER_REQUIRE_POSTGRES=1, fail) when no cluster can be run."""
    reason = unavailable_reason()
    if reason is None:
        return
    if postgres_required():
        pytest.fail(f"SCORELEDGER_REQUIRE_POSTGRES=1 but a private cluster cannot run: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrivateCluster:
    """``initdb`` on creation; :meth:`start`, :meth:`stop` and :meth:`remove`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="scoreledger-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            entry = pwd.getpwnam(OS_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "--no-instructions", "-E", "UTF8",
        )  # fmt: skip

    @property
    def url(self) -> str:
        """The cluster's ``postgres`` database (which always exists)."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(BIN / tool), *args]
        if self._as_root:
            command = ["runuser", "-u", OS_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT + 30)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}\n{log[-4000:]}")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", str(TIMEOUT),
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster: ``immediate`` is a crash (no shutdown checkpoint, every backend
        killed), ``fast`` ends every session and shuts down cleanly."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", str(TIMEOUT))

    def remove(self) -> None:
        """Stop the cluster if it runs, and delete its directory."""
        if self.running:
            with contextlib.suppress(RuntimeError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class MigratedCluster:
    """A private cluster holding a migrated template database; each test takes a copy."""

    TEMPLATE = "scoreledger_template"

    def __init__(self, cluster: PrivateCluster) -> None:
        self.cluster = cluster
        self._copies = 0

    async def fresh(self) -> str:
        """A new database copied from the migrated template; its URL."""
        self._copies += 1
        name = f"scoreledger_{self._copies}"
        await _admin(self.cluster.url, f'CREATE DATABASE "{name}" TEMPLATE "{self.TEMPLATE}"')
        return self.cluster.database_url(name)


@contextlib.contextmanager
def migrated_cluster() -> Iterator[MigratedCluster]:
    """A started private cluster with a migrated template database; removed afterwards.
    Skips (or fails, in CI) when no cluster can run here."""
    require_cluster()
    cluster = PrivateCluster()
    try:
        cluster.start()
        asyncio.run(_admin(cluster.url, f'CREATE DATABASE "{MigratedCluster.TEMPLATE}"'))
        upgrade(cluster.database_url(MigratedCluster.TEMPLATE))
        yield MigratedCluster(cluster)
    finally:
        cluster.remove()


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
