"""The ledger's signed digests over GraphQL: issue one, read the latest, the public key."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import orjson
import strawberry

from api.auth.roles import Capability
from api.graphql.context import Info
from api.graphql.errors import bad_input
from eventstore.digests import InvalidDigest, LedgerDigest
from projections.queries.ledger import issue_digest, latest_digest

NO_KEY = (
    "no digest key is configured: set SCORELEDGER_DIGEST_KEY (an Ed25519 private key in PEM) "
    "or SCORELEDGER_DIGEST_KEY_FILE on the server"
)


@strawberry.type(
    name="LedgerDigest",
    description="A signed statement of the organization's ledger: the Merkle root over its "
    "first treeSize events in feed order. Keep `document`; verify later against it.",
)
class LedgerDigestType:
    organization_id: str = strawberry.field(description="The organization it covers.")
    tree_size: int = strawberry.field(description="How many events (in feed order) it covers.")
    root: str = strawberry.field(description="The RFC 6962 Merkle root, hex.")
    issued_at: dt.datetime = strawberry.field(description="When it was signed.")
    format_version: int = strawberry.field(description="Version of the ledger's formats.")
    key_id: str = strawberry.field(description="SHA-256 of the signing public key, hex.")
    signature: str = strawberry.field(description="Ed25519 signature, hex.")
    document: str = strawberry.field(
        description="The digest as the JSON document `scoreledger verify --digest` reads."
    )

    @classmethod
    def of(cls, digest: LedgerDigest) -> LedgerDigestType:
        return cls(
            organization_id=digest.tenant_id,
            tree_size=digest.tree_size,
            root=digest.root,
            issued_at=digest.issued_at,
            format_version=digest.format_version,
            key_id=digest.key_id,
            signature=digest.signature,
            document=orjson.dumps(digest.to_dict()).decode(),
        )


@strawberry.type(description="The public key that verifies this server's digests.")
class DigestKey:
    algorithm: str = strawberry.field(description="Always Ed25519.")
    public_key: str = strawberry.field(description="The raw 32-byte public key, hex.")
    key_id: str = strawberry.field(description="SHA-256 of the public key, hex.")


@strawberry.type(description="A digest was signed and kept.")
class DigestIssued:
    digest: LedgerDigestType = strawberry.field(description="The new digest.")


@strawberry.type(description="No digest could be issued.")
class DigestUnavailable:
    code: str = strawberry.field(description="Stable machine-readable code: digest.no_key.")
    message: str = strawberry.field(description="What is missing, for people.")


IssueDigestResult = Annotated[
    DigestIssued | DigestUnavailable,
    strawberry.union("IssueDigestResult", description="The outcome of issueDigest."),
]


def parse_digest(document: str, argument: str) -> LedgerDigest:
    """A digest document given as an argument, or a BAD_USER_INPUT error naming it."""
    try:
        return LedgerDigest.from_dict(orjson.loads(document))
    except orjson.JSONDecodeError as error:
        raise bad_input(argument, f"not JSON: {error}") from None
    except InvalidDigest as error:
        raise bad_input(argument, str(error)) from None


@strawberry.type
class LedgerQueries:
    @strawberry.field(description="The organization's latest signed ledger digest, if any.")
    async def latest_digest(self, info: Info) -> LedgerDigestType | None:
        context = info.context
        context.require(Capability.READ_HISTORY, "read ledger digests")
        found = await latest_digest(context.runtime.store.engine, context.tenant_id)
        return None if found is None else LedgerDigestType.of(found)

    @strawberry.field(description="The key digests are signed with (none when not configured).")
    async def digest_public_key(self, info: Info) -> DigestKey | None:
        info.context.require(Capability.READ_HISTORY, "read the digest key")
        signer = info.context.runtime.signer
        if signer is None:
            return None
        return DigestKey(algorithm="Ed25519", public_key=signer.public_key, key_id=signer.key_id)


@strawberry.type
class LedgerMutations:
    @strawberry.mutation(
        description="Sign a digest of the organization's ledger as it stands (auditors and "
        "admins). It covers the events the ledger has taken in so far; keep its document."
    )
    async def issue_digest(self, info: Info) -> IssueDigestResult:
        context = info.context
        context.require(Capability.ISSUE_DIGESTS, "issue ledger digests")
        signer = context.runtime.signer
        if signer is None:
            return DigestUnavailable(code="digest.no_key", message=NO_KEY)
        digest = await issue_digest(context.runtime.store, context.tenant_id, signer)
        return DigestIssued(digest=LedgerDigestType.of(digest))
