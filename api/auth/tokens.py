"""Issuing and checking bearer tokens. Only a SHA-256 hash of each secret is stored.

A token reads ``sl_<token id>_<secret>``: the id finds the row, the secret is compared with
its stored hash in constant time. Secrets are 32 random bytes, so a plain hash suffices (no
password stretching is needed for secrets nobody chose).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth.roles import Role
from api.tables import api_tokens

PREFIX = "sl"
_TOKEN = re.compile(r"^sl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's id (the actor in event metadata), its tenant and role."""

    token_id: str
    tenant_id: str
    role: Role
    name: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly created token; ``secret`` is shown once and never stored."""

    principal: Principal
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_tenant_id(tenant_id: str) -> str:
    """The tenant id if it is well-formed (letters, digits, ``.``, ``_``, ``-``; ≤ 100)."""
    if not _TENANT.match(tenant_id):
        raise ValueError(
            f"organization id {tenant_id!r} must be 1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return tenant_id


class TokenRegistry:
    """Tokens in the ``api_tokens`` table of the store's database."""

    def __init__(self, engine: AsyncEngine, write_engine: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.write_engine = write_engine or engine

    async def create(self, tenant_id: str, role: Role, name: str = "") -> IssuedToken:
        """Issue a token for ``tenant_id`` with ``role``."""
        check_tenant_id(tenant_id)
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        name = name or f"{role.value} token"
        async with self.write_engine.begin() as conn:
            await conn.execute(
                api_tokens.insert().values(
                    token_id=token_id,
                    tenant_id=tenant_id,
                    name=name,
                    role=role.value,
                    secret_hash=_hash(secret),
                    created_at=datetime.now(UTC),
                )
            )
        principal = Principal(f"token:{token_id}", tenant_id, role, name)
        return IssuedToken(principal, f"{PREFIX}_{token_id}_{secret}")

    async def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked token; None for anything else."""
        match = _TOKEN.match(token.strip())
        if match is None:
            return None
        token_id, secret = match.groups()
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        api_tokens.c.tenant_id,
                        api_tokens.c.role,
                        api_tokens.c.name,
                        api_tokens.c.secret_hash,
                        api_tokens.c.revoked_at,
                    ).where(api_tokens.c.token_id == token_id)
                )
            ).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_hash, _hash(secret)):
            return None
        return Principal(f"token:{token_id}", row.tenant_id, Role(row.role), row.name)

    async def revoke(self, token_id: str) -> bool:
        """Revoke a token by its id; False when there is no such live token."""
        async with self.write_engine.begin() as conn:
            result = await conn.execute(
                api_tokens.update()
                .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return bool(result.rowcount)

    async def any_tokens(self) -> bool:
        async with self.engine.connect() as conn:
            found = (await conn.execute(sa.select(api_tokens.c.token_id).limit(1))).first()
        return found is not None
