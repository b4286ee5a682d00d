"""A real uvicorn process serving :mod:`benchmarks.api.server` on 127.0.0.1, stopped always."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

HOST = "127.0.0.1"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Server:
    """A running uvicorn: where it listens and its process id."""

    base_url: str
    pid: int
    command: tuple[str, ...]

    def counters(self) -> tuple[float, int] | None:
        """CPU seconds (user + system) and minor page faults of the process so far, from
        ``/proc/<pid>/stat``; None where there is no such file."""
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return None
        # After the command name: state is field 3, minflt 10, utime 14, stime 15 (1-based).
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks, int(fields[7])


def free_port() -> int:
    """A port nobody listens on at the moment (the kernel's pick on the loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


LAUNCHERS = ("uvicorn", "uvicorn-run")


def uvicorn_command(launcher: str, port: int) -> list[str]:
    """``uvicorn``: uvicorn's own command line with the app factory; ``uvicorn-run``: the
    same app through ``uvicorn.run`` from ``python -m benchmarks.api.server``."""
    if launcher == "uvicorn-run":
        return [sys.executable, "-m", "benchmarks.api.server", "--port", str(port)]
    if launcher != "uvicorn":
        raise ValueError(f"unknown launcher {launcher!r}: use one of {LAUNCHERS}")
    factory = "benchmarks.api.server:create_benchmark_app"
    options = ["--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return [sys.executable, "-m", "uvicorn", "--factory", factory, *options]


@contextlib.asynccontextmanager
async def uvicorn_server(
    database_url: str, ready_path: str, launcher: str = "uvicorn"
) -> AsyncIterator[Server]:
    """Start uvicorn on a free loopback port with ``SCORELEDGER_DATABASE_URL`` set; yield it
    once ``ready_path`` answers; stop it (SIGTERM, then SIGKILL) however the body ends."""
    port = free_port()
    env = {
        **os.environ,
        "SCORELEDGER_DATABASE_URL": database_url,
        "SCORELEDGER_PROJECTIONS": "off",
        "SCORELEDGER_GRAPHIQL": "false",
    }
    with tempfile.TemporaryFile() as output:
        command = uvicorn_command(launcher, port)
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://{HOST}:{port}"
            await _wait_ready(process, base + ready_path, output)
            yield Server(base, process.pid, tuple(command))
        finally:
            await _stop(process)


async def _wait_ready(process: Process, url: str, output: IO[bytes]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    async with httpx.AsyncClient(timeout=2.0) as client:
        while loop.time() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}: {_tail(output)}")
            with contextlib.suppress(httpx.TransportError):
                response = await client.get(url)
                if response.status_code < 500:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"uvicorn did not answer {url} within {READY_TIMEOUT:.0f}s")


def _tail(output: IO[bytes]) -> str:
    output.seek(0)
    return output.read().decode(errors="replace")[-2000:]


async def _stop(process: Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
