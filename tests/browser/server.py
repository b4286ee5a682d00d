"""A real uvicorn server in a thread of its own, for tests that drive it from a browser."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import uvicorn

from api.app import create_app
from api.runtime import Runtime
from api.settings import Settings

T = TypeVar("T")


class ThreadedServer:
    """The whole app on a free port of 127.0.0.1, its event loop in a background thread."""

    def __init__(self, database_url: str) -> None:
        self.app = create_app(Settings(database_url=database_url, poll_interval=0.05))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.sock.listen(64)  # requests wait in the backlog until startup has finished
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="on", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name=f"server-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve(sockets=[self.sock]))

    def start(self) -> None:
        self.thread.start()
        # Answered only once the lifespan (migrations, runners, fan-out) has started.
        httpx.get(f"{self.url}/", timeout=60).raise_for_status()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        """Run ``coroutine`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()
