"""Runs the README's shell examples for integrators exactly as written, against the app.

A block is read into commands (backslash continuations and multi-line quotes joined, `#`
comments dropped) and each is carried out: ``scoreledger ...`` through the CLI on the test's
database, ``cat > FILE <<'EOF'`` writes the file, ``export`` sets a variable, and ``curl``
becomes the same request sent to the app through the test's client (the host in the URL does
not matter there). The long-running ``scoreledger worker`` and ``scoreledger serve`` start as
processes of their own on the test's database, are seen ready (serve on a free port of
127.0.0.1 in place of the --host and --port written) and stopped with SIGTERM, which they must
survive gracefully. ``pg_dump``, ``pg_restore`` and ``sqlite3`` run as written, in the test's
directory. Any other command fails the test, so nothing in a block goes unrun.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from typer.testing import CliRunner

from api.cli import app as cli
from tests.e2e.processes import start_scoreledger

PROGRAMS = ("pg_dump", "pg_restore", "sqlite3")
HEREDOC = re.compile(r"^cat > (\S+) <<'(\w+)'$")
TOKEN = re.compile(r"\bsl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\b")
# A file a command writes (its name as a block gives it): kept in the test's directory.
OUTPUT_FILE = re.compile(r"[\w-]+\.(json|jsonl|csv|dump|db)")


def section_blocks(readme: str, heading: str, language: str = "bash") -> list[str]:
    """The ```bash (or ``language``) blocks of the Markdown section under ``heading``."""
    start = readme.index(f"\n## {heading}\n")
    end = readme.find("\n## ", start + 1)
    return fenced(readme[start : end if end > 0 else None], language)


def fenced(text: str, language: str) -> list[str]:
    """The ```language blocks of Markdown ``text``, in order."""
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


@dataclass
class Heredoc:
    path: str
    text: str


def commands(block: str) -> list[list[str] | Heredoc]:
    found: list[list[str] | Heredoc] = []
    lines = iter(block.splitlines())
    buffer = ""
    for line in lines:
        heredoc = HEREDOC.match(line.strip())
        if not buffer and heredoc:
            body = []
            for inner in lines:
                if inner == heredoc.group(2):
                    break
                body.append(inner + "\n")
            found.append(Heredoc(heredoc.group(1), "".join(body)))
            continue
        buffer += line + "\n"
        if line.endswith("\\"):
            buffer = buffer[:-2] + " "
            continue
        try:
            words = shlex.split(buffer, comments=True)
        except ValueError:  # a quote still open: the command goes on
            continue
        buffer = ""
        if words:
            found.append(words)
    assert not buffer.strip(), f"unfinished command: {buffer}"
    return found


@dataclass
class Shell:
    """Carries out commands against the app's client and database, in ``directory``."""

    http: httpx.AsyncClient
    database_url: str
    directory: Path
    variables: dict[str, str] = field(default_factory=dict)
    responses: list[httpx.Response] = field(default_factory=list)

    def expand(self, word: str) -> str:
        return re.sub(r"\$(\w+)", lambda m: self.variables[m.group(1)], word)

    async def run(self, block: str) -> None:
        for command in commands(block):
            if isinstance(command, Heredoc):
                (self.directory / command.path).write_text(command.text)
            elif command[0] == "scoreledger":
                await self.scoreledger(command[1:])
            elif command[0] == "export":
                name, _, value = command[1].partition("=")
                if name not in self.variables:  # a placeholder stands for printed output
                    self.variables[name] = self.expand(value)
            elif command[0] in PROGRAMS:
                await self.program([self.expand(word) for word in command])
            elif command[0] == "curl":
                self.responses.append(await self.curl([self.expand(w) for w in command[1:]]))
            else:
                raise AssertionError(f"the README runs {command[0]!r}, which this test cannot")

    async def program(self, words: list[str]) -> None:
        process = await asyncio.create_subprocess_exec(
            *words, cwd=self.directory, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await process.communicate()
        assert process.returncode == 0, f"{words}: {output.decode(errors='replace')}"

    def settings(self) -> dict[str, str]:
        """The SCORELEDGER_* variables a block exported (but the database: the test's)."""
        return {
            name.removeprefix("SCORELEDGER_").lower(): value
            for name, value in self.variables.items()
            if name.startswith("SCORELEDGER_") and name != "SCORELEDGER_DATABASE_URL"
        }

    async def long_running(self, arguments: list[str]) -> None:
        if arguments[0] == "worker":
            worker = await start_scoreledger(self.database_url, *arguments, **self.settings())
            try:
                await worker.logged("worker_started")
                assert await worker.stop() == 0
                await worker.logged("worker_stopped")
            finally:
                await worker.kill()
            return
        options = dict(zip(arguments[1::2], arguments[2::2], strict=True))
        assert set(options) <= {"--host", "--port"}, arguments
        with socket.socket() as probe:  # a free port; --host and --port as written may be taken
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = await start_scoreledger(
            self.database_url, "serve", "--host", "127.0.0.1", "--port", str(port),
            **self.settings(),
        )  # fmt: skip
        try:
            await server.printed("Uvicorn running on")
            async with httpx.AsyncClient() as client:
                ready = await client.get(f"http://127.0.0.1:{port}/readyz")
            assert ready.status_code == 200, ready.text
            assert await server.stop() in (0, -signal.SIGTERM)
        finally:
            await server.kill()

    async def scoreledger(self, arguments: list[str]) -> None:
        if arguments[0] in ("worker", "serve"):
            await self.long_running(arguments)
            return
        env = {"SCORELEDGER_DATABASE_URL": self.database_url}
        # Files the block wrote are where its commands run: the test's directory.
        arguments = [
            str(self.directory / word)
            if (self.directory / word).is_file() or OUTPUT_FILE.fullmatch(word)
            else word
            for word in arguments
        ]
        result = await asyncio.to_thread(CliRunner().invoke, cli, arguments, env=env)
        assert result.exit_code == 0, result.output
        printed = TOKEN.search(result.output)
        if arguments[:2] == ["token", "create"] and printed:
            self.variables["TOKEN"] = printed.group(0)

    async def curl(self, arguments: list[str]) -> httpx.Response:
        method, url, headers, body = None, None, {}, None
        words = iter(arguments)
        for word in words:
            if word in ("-s", "--silent", "-S", "--show-error", "--fail", "-f", "-i", "--include"):
                continue
            if word in ("-X", "--request"):
                method = next(words)
            elif word in ("-H", "--header"):
                name, _, value = next(words).partition(":")
                headers[name.strip()] = value.strip()
            elif word in ("-d", "--data", "--data-binary", "--data-raw"):
                data = next(words)
                if data.startswith("@") and word != "--data-raw":
                    raw = (self.directory / data[1:]).read_bytes()
                    # curl's -d strips newlines from a file; --data-binary keeps them
                    body = raw if word == "--data-binary" else raw.replace(b"\n", b"")
                else:
                    body = data.encode()
            elif word.startswith("-"):
                raise AssertionError(f"curl option {word} is not supported by this test")
            else:
                url = word
        assert url is not None, arguments
        method = method or ("POST" if body is not None else "GET")
        if body is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        response = await self.http.request(method, url, headers=headers, content=body)
        assert response.status_code < 400, f"{method} {url}: {response.text}"
        if "Next-Cursor" in response.headers:  # what a reader of the feed's last line copies
            self.variables["CURSOR"] = response.headers["Next-Cursor"]
        return response


__all__ = ["Shell", "section_blocks"]
