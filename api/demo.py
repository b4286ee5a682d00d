"""Seeding the demo organization and issuing one token per role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.auth.roles import Role
from api.auth.tokens import IssuedToken
from api.runtime import Runtime
from eventstore import START
from ledger.demo import DemoOptions, DemoSummary, generate

DEMO_TENANT = "demo"


@dataclass(frozen=True)
class Seeded:
    summary: DemoSummary
    tokens: dict[Role, IssuedToken]


async def has_data(runtime: Runtime) -> bool:
    """Whether the database holds any event (of any organization)."""
    return await runtime.store.head() > START


async def seed_demo(runtime: Runtime, progress: Callable[[int, int], None] | None = None) -> Seeded:
    """Write the demo organization and issue a token for each role."""
    summary = await generate(runtime.ledger, DemoOptions(tenant_id=DEMO_TENANT), progress)
    tokens = {
        role: await runtime.tokens.create(DEMO_TENANT, role, f"demo {role.value}") for role in Role
    }
    return Seeded(summary, tokens)
