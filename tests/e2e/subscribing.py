"""A GraphQL subscription over graphql-transport-ws on a real server, as a client makes one."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets


async def subscribe(port: int, token: str, query: str, variables: dict[str, Any]) -> Any:
    """Connect to 127.0.0.1:``port``, sign in with ``token`` and start one subscription."""
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    await ws.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
    )
    return ws


async def next_payload(ws: Any, timeout: float = 30) -> dict[str, Any]:
    """The payload of the next message, which must be a ``next``."""
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))
    assert message["type"] == "next", message
    payload: dict[str, Any] = message["payload"]
    return payload
