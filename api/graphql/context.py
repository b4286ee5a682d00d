"""The typed per-request context: the runtime, the caller and the request's loaders."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.fastapi import BaseContext

from api.auth.roles import Capability, allows
from api.auth.tokens import Principal
from api.graphql.errors import forbidden, unauthenticated
from api.graphql.loaders import Loaders
from api.runtime import Runtime


class Context(BaseContext):
    """Built per request (and per subscription connection); never shared."""

    def __init__(
        self, runtime: Runtime, principal: Principal | None, request_id: str | None = None
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.request_id = request_id
        self.principal = principal
        self.loaders = Loaders(runtime, principal.tenant_id if principal else "")

    def authenticate(self, principal: Principal) -> None:
        """Set the caller once a subscription's ``connection_init`` carried a token."""
        self.principal = principal
        self.loaders = Loaders(self.runtime, principal.tenant_id)

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise unauthenticated()
        return self.principal

    @property
    def tenant_id(self) -> str:
        return self.caller.tenant_id

    def require(self, capability: Capability, what: str) -> Principal:
        """The caller, if their role grants ``capability``; else a FORBIDDEN error."""
        caller = self.caller
        if not allows(caller.role, capability):
            raise forbidden(f"the {caller.role.value} role may not {what}")
        return caller


Info = strawberry.Info[Context, Any]
