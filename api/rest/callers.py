"""Who is calling a REST route: the bearer token's principal, checked for a capability."""

from __future__ import annotations

from fastapi import Request

from api.auth.roles import Capability, allows
from api.auth.tokens import Principal
from api.rest.problems import ProblemError
from api.runtime import Runtime

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="scoreledger"'}


async def authorized(request: Request, capability: Capability, action: str) -> Principal:
    """The caller's principal if its role grants ``capability``; a 401 or 403 problem
    otherwise (``action`` completes "a viewer token may not ...")."""
    from api.app import bearer

    token = bearer(request.headers.get("authorization"))
    if token is None:
        raise ProblemError(
            401, "unauthorized", "send Authorization: Bearer <token>", headers=CHALLENGE
        )
    runtime: Runtime = request.app.state.runtime
    principal = await runtime.tokens.authenticate(token)
    if principal is None:
        raise ProblemError(
            401, "unauthorized", "the token is unknown or revoked", headers=CHALLENGE
        )
    if not allows(principal.role, capability):
        raise ProblemError(403, "forbidden", f"a {principal.role.value} token may not {action}")
    return principal
