"""The auditor's commands: digest, verify, export-audit and verify-export."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from typer.testing import CliRunner, Result

from api.cli import app as cli
from eventstore.digests import new_private_key_pem
from eventstore.factory import open_store
from tests.feed import settled
from tests.integration.eventstore.test_tampering import TENANT, history, tamper


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    async def seed() -> None:
        store = open_store(database_url)
        try:
            await history(store)
            await settled(store)  # PostgreSQL: other transactions on the server may hold it back
        finally:
            await store.close()

    asyncio.run(seed())
    return {
        "SCORELEDGER_DATABASE_URL": database_url,
        "SCORELEDGER_DIGEST_KEY": new_private_key_pem().decode(),
    }


def run(env: dict[str, str], *arguments: str) -> Result:
    """The command's result; a wide terminal, so findings print on one line each."""
    return CliRunner().invoke(cli, list(arguments), env={"COLUMNS": "250", **env})


def tamper_with(url: str, statement: str) -> None:
    async def go() -> None:
        store = open_store(url)
        try:
            await tamper(store, statement)
        finally:
            await store.close()

    asyncio.run(go())


def test_a_kept_digest_verifies_and_then_names_the_last_event_deleted_after_it(env, tmp_path):
    kept = tmp_path / "digest.json"
    issued = run(env, "digest", "--org", TENANT, str(kept))
    assert issued.exit_code == 0, issued.output
    document = orjson.loads(kept.read_bytes())
    assert (document["tenant"], document["tree_size"]) == (TENANT, 7)
    clean = run(env, "verify", "--digest", str(kept))
    assert clean.exit_code == 0, clean.output
    assert "7 events" in clean.output and "ok" in clean.output

    tamper_with(env["SCORELEDGER_DATABASE_URL"], "DELETE FROM events WHERE stream_id = 'b'")
    broken = run(env, "verify", "--digest", str(kept))
    assert broken.exit_code == 1, broken.output
    assert "missing: the ledger recorded it at feed index 1" in broken.output
    assert "2 events covered by the digest are missing" in broken.output


def test_verify_names_the_first_broken_event_of_every_organization(env):
    tamper_with(
        env["SCORELEDGER_DATABASE_URL"],
        "UPDATE events SET event_type = 'Forged' WHERE stream_id = 'c' AND version = 2",
    )
    result = run(env, "verify")
    assert result.exit_code == 1, result.output
    assert "stored hash does not match the recomputed hash" in result.output
    assert "other" in result.output  # every organization is in the summary


def test_digest_prints_a_signed_document_without_a_file(env):
    result = CliRunner().invoke(cli, ["digest", "--org", TENANT], env=env)
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert len(document["signature"]) == 128


def test_a_malformed_digest_file_is_refused_naming_the_field(env, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format_version": 1, "tree_size": "seven"}')
    result = run(env, "verify", "--digest", str(bad))
    assert result.exit_code == 2
    assert "digest.tree_size: expected int" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_export_verifies_offline_and_names_an_edited_or_missing_line(env, tmp_path):
    exported, kept = tmp_path / "acme.jsonl", tmp_path / "digest.json"
    assert run(env, "digest", "--org", TENANT, str(kept)).exit_code == 0
    written = run(env, "export-audit", "--org", TENANT, str(exported))
    assert written.exit_code == 0, written.output
    offline: dict[str, str] = {}  # no database, no key: only the file and the digest
    good = run(offline, "verify-export", str(exported), "--digest", str(kept))
    assert good.exit_code == 0, good.output

    lines = exported.read_bytes().splitlines()
    edited = orjson.loads(lines[2])
    edited["data"] = {"n": 99}
    (tmp_path / "edited.jsonl").write_bytes(
        b"\n".join([*lines[:2], orjson.dumps(edited), *lines[3:]])
    )
    result = run(offline, "verify-export", str(tmp_path / "edited.jsonl"), "--digest", str(kept))
    assert result.exit_code == 1
    assert "stored hash does not match" in result.output
    assert "event at feed index 2 (stream a, version 2) differs from the digest" in result.output

    (tmp_path / "cut.jsonl").write_bytes(b"\n".join([*lines[:4], *lines[5:]]))
    result = run(offline, "verify-export", str(tmp_path / "cut.jsonl"), "--digest", str(kept))
    assert result.exit_code == 1
    assert "the event at feed index 4 is missing from the export" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_window_of_the_export_verifies_against_the_digest_through_its_leaves(env, tmp_path):
    exported, kept = tmp_path / "window.jsonl", tmp_path / "digest.json"
    assert run(env, "digest", "--org", TENANT, str(kept)).exit_code == 0
    window = ("--from", "2026-01-01T00:03:00+00:00", "--to", "2026-01-01T00:06:00+00:00")
    assert run(env, "export-audit", "--org", TENANT, *window, str(exported)).exit_code == 0
    lines = [orjson.loads(line) for line in exported.read_bytes().splitlines()]
    assert [line.get("index") for line in lines[:-1]] == [2, 3, 4]
    result = run({}, "verify-export", str(exported), "--digest", str(kept))
    assert result.exit_code == 0, result.output

    other_key = {**env, "SCORELEDGER_DIGEST_KEY": new_private_key_pem().decode()}
    foreign = tmp_path / "foreign.json"
    assert run(other_key, "digest", "--org", TENANT, str(foreign)).exit_code == 0
    result = run({}, "verify-export", str(exported), "--digest", str(foreign))
    assert result.exit_code == 1
    assert "the digest was signed by key" in result.output


def test_verify_export_names_a_file_that_is_not_an_export(tmp_path):
    junk = tmp_path / "junk.jsonl"
    junk.write_text("{}\nnot json\n")
    result = run({}, "verify-export", str(junk))
    assert result.exit_code == 2
    assert "line 2: not JSON" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_export_taken_after_a_deletion_names_the_deleted_events(env, tmp_path):
    kept, exported = tmp_path / "digest.json", tmp_path / "after.jsonl"
    assert run(env, "digest", "--org", TENANT, str(kept)).exit_code == 0
    tamper_with(env["SCORELEDGER_DATABASE_URL"], "DELETE FROM events WHERE stream_id = 'c'")
    assert run(env, "export-audit", "--org", TENANT, str(exported)).exit_code == 0
    result = run({}, "verify-export", str(exported), "--digest", str(kept))
    assert result.exit_code == 1
    assert "missing: the ledger recorded it at feed index 3" in result.output
    assert "feed index 6 (stream c, version 2)" in result.output
    assert "2 events covered by the digest are missing" in result.output
    assert "differs" not in result.output  # the events after the gap are not blamed


def test_verify_export_names_an_event_line_missing_a_field(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        '{"kind": "event", "stream_id": "a", "version": "1"}\n'
        '{"kind": "manifest", "format_version": 1, "tenant": "acme"}\n'
    )
    result = run({}, "verify-export", str(broken))
    assert result.exit_code == 2
    assert "line 1: version: expected int, got '1'" in result.output
