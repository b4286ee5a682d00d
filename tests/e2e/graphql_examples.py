"""Runs the GraphQL examples of a guide, in order, against a live server.

Queries and mutations go through the app; one with top-level errors fails the test (a
mutation's ``userErrors`` are an answer, not a failure). Variables an example declares are
filled from what earlier examples returned: ``$position`` is the last ``position`` a mutation
gave. A ``subscription`` example is opened over graphql-transport-ws; the next mutation must
push something to it, without errors.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

import websockets

from api.auth.roles import Role
from tests.e2e.conftest import Api
from tests.feed import settled

DECLARED = re.compile(r"\$(\w+)\s*:")


@dataclass
class GraphQLExamples:
    api: Api
    port: int
    tenant: str
    role: Role
    known: dict[str, Any] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    _open: list[Any] = field(default_factory=list)

    async def run(self, document: str) -> None:
        header = document.split("{", 1)[0]
        variables = {name: self.known[name] for name in DECLARED.findall(header)}
        if document.lstrip().startswith("subscription"):
            await self._subscribe(document, variables)
            return
        data = await self.api.query(document, variables, role=self.role, tenant=self.tenant)
        assert data and all(value is not None for value in data.values()), document
        self.results.append(data)
        for value in data.values():
            if isinstance(value, dict) and value.get("position"):
                self.known["position"] = value["position"]
            if isinstance(value, dict) and (value.get("pageInfo") or {}).get("endCursor"):
                self.known["after"] = value["pageInfo"]["endCursor"]
        if document.lstrip().startswith("mutation"):
            await self._pushed()

    async def _subscribe(self, document: str, variables: dict[str, Any]) -> None:
        runtime = self.api.runtime
        # Past everything written so far: the subscription sees only what comes next.
        await settled(runtime.store)
        await runtime.fanout.wait_until(await runtime.store.head())
        ws = await websockets.connect(
            f"ws://127.0.0.1:{self.port}/graphql",
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        )
        token = self.api.token(self.role, self.tenant)
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": document, "variables": variables},
                }
            )
        )
        self._open.append(ws)
        await runtime.fanout.wait_for_subscribers(self.tenant, len(self._open))

    async def _pushed(self) -> None:
        for ws in self._open:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            self.results.append(message["payload"]["data"])
            await ws.close()
        self._open.clear()

    async def close(self) -> None:
        left = len(self._open)
        for ws in self._open:
            await ws.close()
        self._open.clear()
        assert not left, "a subscription example got no mutation after it"
