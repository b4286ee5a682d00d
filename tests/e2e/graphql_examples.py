"""Runs the GraphQL examples of a guide, in order, against a live server.

Queries and mutations go through the app; one with top-level errors fails the test (a
mutation's ``userErrors`` are an answer, not a failure). Variables an example declares are
filled from what earlier examples returned: ``$position`` is the last ``position`` a mutation
gave. A ``subscription`` example is opened over graphql-transport-ws; the next mutation must
push something to it, without errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from api.auth.roles import Role
from tests.e2e.conftest import Api
from tests.e2e.subscribing import next_payload, subscribe
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
        ws = await subscribe(self.port, self.api.token(self.role, self.tenant), document, variables)
        self._open.append(ws)
        await runtime.fanout.wait_for_subscribers(self.tenant, len(self._open))

    async def _pushed(self) -> None:
        for ws in self._open:
            payload = await next_payload(ws)
            assert "errors" not in payload, payload
            self.results.append(payload["data"])
            await ws.close()
        self._open.clear()

    async def close(self) -> None:
        left = len(self._open)
        for ws in self._open:
            await ws.close()
        self._open.clear()
        assert not left, "a subscription example got no mutation after it"
