"""Settings: one object, read from ``SCORELEDGER_*`` environment variables when built."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProjectionsMode(StrEnum):
    """Where the async projections run: in the API process, or in separate workers."""

    ON = "on"
    OFF = "off"


class LogFormat(StrEnum):
    """How the server writes its log lines."""

    CONSOLE = "console"
    JSON = "json"


class Settings(BaseSettings):
    """Everything the server needs to start; built explicitly, never at import time."""

    model_config = SettingsConfigDict(env_prefix="SCORELEDGER_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///scoreledger.db",
        description="sqlite:///FILE (embedded default) or postgresql://user@host/db",
    )
    projections: ProjectionsMode = Field(
        default=ProjectionsMode.ON,
        description="'off' when separate worker processes run the async projections",
    )
    graphiql: bool | None = Field(
        default=None,
        description="Serve the GraphiQL IDE at /graphql (default: on for SQLite, off otherwise)",
    )
    consistency_timeout: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How long a query with consistentWith waits for the async projections",
    )
    max_depth: int = Field(default=12, ge=2, description="Deepest GraphQL selection accepted")
    max_aliases: int = Field(default=30, ge=1, description="Most aliases in one operation")
    max_tokens: int = Field(default=5000, ge=100, description="Most tokens in one document")
    max_cost: int = Field(default=25000, ge=100, description="Cost budget of one operation")
    poll_interval: float = Field(
        default=1.0, gt=0, description="Feed poll fallback when no notification arrives"
    )
    idempotency_key_hours: int = Field(
        default=24,
        ge=24,
        le=24 * 366,
        description="Hours an Idempotency-Key of the REST API is kept after its first use "
        "(per organization; at least 24): a retry within them is answered with the first "
        "response, a key used again after them is a new key",
    )
    log_format: LogFormat = Field(
        default=LogFormat.CONSOLE,
        description="'json' for one JSON object a log line (with the request id), "
        "'console' for key=value lines",
    )
    digest_key: SecretStr | None = Field(
        default=None,
        description="The Ed25519 private key (unencrypted PKCS#8 PEM) that signs ledger "
        "digests; never commit it. Unset on SQLite: one is generated beside the database file",
    )
    digest_key_file: Path | None = Field(
        default=None, description="A file holding the digest key, instead of DIGEST_KEY"
    )
    digest_interval: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds between the digests the server issues for each organization "
        "whose ledger grew (0: only on request)",
    )
    test_fault_pause: str | None = Field(
        default=None,
        description="Test fault-injection point only, never for production: "
        "'<before_append|after_append>:<file>' makes a REST measurement batch announce that "
        "point in <file> and hang there (see api.rest.faults)",
    )

    @field_validator("database_url")
    @classmethod
    def _supported_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres:")):
            raise ValueError("use sqlite:///FILE or postgresql://user@host/db")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_sqlite if self.graphiql is None else self.graphiql
