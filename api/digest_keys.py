"""The key that signs ledger digests: from the settings, or kept beside a SQLite database."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import structlog

from api.settings import Settings
from eventstore.digests import DigestSigner, new_private_key_pem

log = structlog.get_logger(__name__)


class DigestKeyError(ValueError):
    """The configured digest key cannot be used; the message names the setting."""


def sqlite_key_path(database_url: str) -> Path | None:
    """Where the generated key of a SQLite database lives: ``<database file>.digest-key.pem``."""
    _, _, path = database_url.partition(":///")
    if not path or path.startswith(":memory:"):
        return None
    return Path(path.split("?", 1)[0] + ".digest-key.pem")


def digest_signer(
    settings: Settings,
    *,
    create: bool = True,
    on_generate: Callable[[Path], None] | None = None,
) -> DigestSigner | None:
    """The signer the settings name; on SQLite without one, the key beside the database
    (generated with 0600 permissions when ``create`` and missing, which ``on_generate`` is
    told, else the log). None: no key."""
    if settings.digest_key is not None:
        return _from_pem(settings.digest_key.get_secret_value().encode(), "SCORELEDGER_DIGEST_KEY")
    if settings.digest_key_file is not None:
        try:
            pem = settings.digest_key_file.read_bytes()
        except OSError as error:
            raise DigestKeyError(f"SCORELEDGER_DIGEST_KEY_FILE: {error}") from None
        return _from_pem(pem, "SCORELEDGER_DIGEST_KEY_FILE")
    path = sqlite_key_path(settings.database_url) if settings.is_sqlite else None
    if path is None:
        return None
    if not path.exists():
        if not create:
            return None
        try:
            _write_private(path, new_private_key_pem())
            if on_generate is not None:
                on_generate(path)
            else:
                log.info("digest_key_generated", path=str(path))
        except FileExistsError:
            pass  # another process made it first
    return _from_pem(path.read_bytes(), str(path))


def _from_pem(pem: bytes, where: str) -> DigestSigner:
    try:
        return DigestSigner.from_pem(pem)
    except ValueError as error:
        raise DigestKeyError(f"{where}: {error}") from None


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only (never widening an existing file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
