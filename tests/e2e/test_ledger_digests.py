"""Ledger digests over GraphQL: auditors issue and keep one, then verify against it."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator

import orjson
import pytest
from pydantic import SecretStr

from api.auth.roles import Role
from api.digest_keys import digest_signer
from api.positions import decode_position
from api.settings import Settings
from eventstore.digests import new_private_key_pem
from projections.queries.ledger import latest_digest
from tests.e2e.conftest import Api, build_small_scorecard, e2e_settings, serve
from tests.integration.eventstore.test_tampering import tamper

ISSUE = (
    "mutation { issueDigest { __typename ... on DigestIssued { digest { organizationId "
    "treeSize root keyId document } } ... on DigestUnavailable { code message } } }"
)
CHECK = (
    "query($digest: String) { integrity(digest: $digest) { ok digestTreeSize problems "
    "broken { streamId version reason } } }"
)


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    settings = e2e_settings(database_url).model_copy(
        update={"digest_key": SecretStr(new_private_key_pem().decode())}
    )
    async with serve(settings) as client:
        yield client


async def history(api: Api) -> int:
    """A small scorecard, taken in by the ledger; how many events acme has."""
    built = await build_small_scorecard(api)
    assert await api.runtime.wait_for_projections(decode_position(built["position"]), 60)
    return len([row async for row in api.runtime.store.export("acme")])


async def test_an_auditor_issues_a_digest_keeps_it_and_verifies_against_it(api: Api):
    events = await history(api)
    issued = (await api.query(ISSUE, role=Role.AUDITOR))["issueDigest"]
    assert issued["__typename"] == "DigestIssued"
    digest = issued["digest"]
    assert (digest["organizationId"], digest["treeSize"]) == ("acme", events)
    latest = await api.query("{ latestDigest { document } digestPublicKey { keyId } }")
    assert latest["latestDigest"]["document"] == digest["document"]
    assert latest["digestPublicKey"]["keyId"] == digest["keyId"]
    kept = await api.query(CHECK, {"digest": digest["document"]}, role=Role.AUDITOR)
    assert kept["integrity"] == {
        "ok": True,
        "digestTreeSize": events,
        "problems": [],
        "broken": [],
    }


async def test_a_kept_digest_names_the_event_deleted_after_it(api: Api):
    await history(api)
    document = (await api.query(ISSUE, role=Role.AUDITOR))["issueDigest"]["digest"]["document"]
    await tamper(
        api.runtime.store,
        "DELETE FROM events WHERE tenant_id = 'acme' AND global_position = "
        "(SELECT max(global_position) FROM events WHERE tenant_id = 'acme')",
    )
    report = (await api.query(CHECK, {"digest": document}, role=Role.AUDITOR))["integrity"]
    assert report["ok"] is False
    assert report["broken"][0]["reason"].startswith("missing: the ledger recorded it")
    assert any("1 events covered by the digest are missing" in p for p in report["problems"])


async def test_only_auditors_and_admins_issue_digests(api: Api):
    await history(api)
    for role in (Role.EDITOR, Role.VIEWER, Role.INTEGRATOR):
        body = await api.post(ISSUE, role=role)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    assert (await api.query(ISSUE))["issueDigest"]["__typename"] == "DigestIssued"


async def test_without_a_key_no_digest_is_issued_and_the_answer_says_which_setting(api: Api):
    api.runtime.signer = None
    answer = (await api.query(ISSUE, role=Role.AUDITOR))["issueDigest"]
    assert answer["__typename"] == "DigestUnavailable"
    assert answer["code"] == "digest.no_key"
    assert "SCORELEDGER_DIGEST_KEY" in answer["message"]
    assert (await api.query("{ digestPublicKey { keyId } }"))["digestPublicKey"] is None


async def test_a_malformed_digest_is_refused_naming_the_field(api: Api):
    body = await api.post(CHECK, {"digest": "{"}, role=Role.AUDITOR)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"].startswith("digest: not JSON")
    wrong = orjson.dumps({"format_version": 1, "tree_size": -1}).decode()
    body = await api.post(CHECK, {"digest": wrong}, role=Role.AUDITOR)
    assert body["errors"][0]["message"] == "digest: digest.tree_size: must not be negative, got -1"


async def test_the_server_issues_a_digest_on_its_own_once_the_ledger_grows(database_url: str):
    settings = e2e_settings(database_url).model_copy(
        update={"digest_key": SecretStr(new_private_key_pem().decode()), "digest_interval": 0.05}
    )
    async with serve(settings) as client:
        events = await history(client)
        async with asyncio.timeout(60):
            while (found := await latest_digest(client.runtime.store.engine, "acme")) is None or (
                found.tree_size < events
            ):
                await client.runtime.store.waiter().wait(timeout=0.05)
    assert found.tree_size == events


def test_on_sqlite_a_key_is_generated_beside_the_database_readable_by_its_owner_only(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}")
    signer = digest_signer(settings)
    key_file = tmp_path / "ledger.db.digest-key.pem"
    assert signer is not None
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = digest_signer(settings)
    assert again is not None and again.key_id == signer.key_id
    assert digest_signer(Settings(database_url="postgresql://db/x")) is None
