"""Signed ledger digests: a tenant's Merkle root at a tree size, signed with Ed25519.

A digest names the tenant, the tree size (how many of the tenant's events, in feed order, it
covers), the root, when it was issued, the format version and the fingerprint of the signing
key. The signature is over the RFC 8785 bytes of those fields, so an auditor needs only the
public key to check one; the private key never leaves the server's settings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from eventstore.canonical import FORMAT_VERSION, jcs

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")


class InvalidDigest(ValueError):
    """A digest document is malformed; the message names the field and the problem."""


def key_fingerprint(public_key_hex: str) -> str:
    """SHA-256 of the raw 32-byte public key, as hex: the ``key_id`` digests carry."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()


@dataclass(frozen=True, slots=True)
class LedgerDigest:
    """A signed statement: tenant ``tenant_id``'s first ``tree_size`` events have ``root``."""

    tenant_id: str
    tree_size: int
    root: str
    issued_at: datetime
    key_id: str
    signature: str
    format_version: int = FORMAT_VERSION

    def signed_fields(self) -> dict[str, Any]:
        """Every field but the signature, as signed."""
        return {
            "format_version": self.format_version,
            "tenant": self.tenant_id,
            "tree_size": self.tree_size,
            "root": self.root,
            "issued_at": self.issued_at.isoformat(),
            "key_id": self.key_id,
        }

    def signed_bytes(self) -> bytes:
        """The RFC 8785 bytes the signature covers."""
        return jcs(self.signed_fields())

    def to_dict(self) -> dict[str, Any]:
        """The JSON document an auditor keeps."""
        return {**self.signed_fields(), "signature": self.signature}

    @classmethod
    def from_dict(cls, raw: Any) -> LedgerDigest:
        """Parse a kept digest document; InvalidDigest names the first bad field."""
        if not isinstance(raw, dict):
            raise InvalidDigest("digest: expected a JSON object")

        def field(name: str, kind: type, pattern: re.Pattern[str] | None = None) -> Any:
            value = raw.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise InvalidDigest(f"digest.{name}: expected {kind.__name__}, got {value!r}")
            if pattern is not None and not pattern.fullmatch(str(value)):
                raise InvalidDigest(f"digest.{name}: not lowercase hex of the right length")
            return value

        version = field("format_version", int)
        if version != FORMAT_VERSION:
            raise InvalidDigest(
                f"digest.format_version: {version} is not supported (this verifier reads "
                f"{FORMAT_VERSION})"
            )
        size = field("tree_size", int)
        if size < 0:
            raise InvalidDigest(f"digest.tree_size: must not be negative, got {size}")
        try:
            issued_at = datetime.fromisoformat(field("issued_at", str))
        except ValueError as error:
            raise InvalidDigest(f"digest.issued_at: {error}") from None
        if issued_at.tzinfo is None:
            raise InvalidDigest("digest.issued_at: needs a time zone")
        return cls(
            tenant_id=field("tenant", str),
            tree_size=size,
            root=field("root", str, _HEX64),
            issued_at=issued_at,
            key_id=field("key_id", str, _HEX64),
            signature=field("signature", str, _HEX128),
            format_version=version,
        )


def signature_problem(digest: LedgerDigest, public_key_hex: str) -> str | None:
    """Why ``digest`` does not verify with the public key (None when it does)."""
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    except ValueError:
        return "the public key is not a 32-byte Ed25519 key in hex"
    if digest.key_id != key_fingerprint(public_key_hex):
        return (
            f"the digest was signed by key {digest.key_id[:16]}…, not by the public key "
            f"{key_fingerprint(public_key_hex)[:16]}…"
        )
    try:
        public.verify(bytes.fromhex(digest.signature), digest.signed_bytes())
    except InvalidSignature:
        return "signature does not verify with the public key"
    return None


class DigestSigner:
    """Signs digests with one Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_key = raw.hex()
        """The raw public key as hex: what an auditor verifies with."""
        self.key_id = key_fingerprint(self.public_key)

    @classmethod
    def from_pem(cls, pem: str | bytes) -> DigestSigner:
        """A signer from a PKCS#8 PEM Ed25519 private key."""
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            raise ValueError(f"not an unencrypted PEM private key: {error}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the digest key must be an Ed25519 private key")
        return cls(key)

    def sign(
        self, tenant_id: str, tree_size: int, root: bytes, issued_at: datetime
    ) -> LedgerDigest:
        """A digest of ``root`` over the first ``tree_size`` events, signed now."""
        unsigned = LedgerDigest(tenant_id, tree_size, root.hex(), issued_at, self.key_id, "")
        signature = self._key.sign(unsigned.signed_bytes()).hex()
        return LedgerDigest(tenant_id, tree_size, root.hex(), issued_at, self.key_id, signature)


def new_private_key_pem() -> bytes:
    """A fresh Ed25519 private key as unencrypted PKCS#8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
