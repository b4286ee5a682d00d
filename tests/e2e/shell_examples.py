"""Runs the README's shell examples for integrators exactly as written, against the app.

A block is read into commands (backslash continuations and multi-line quotes joined, `#`
comments dropped) and each is carried out: ``scoreledger ...`` through the CLI on the test's
database, ``cat > FILE <<'EOF'`` writes the file, ``export`` sets a variable, and ``curl``
becomes the same request sent to the app through the test's client (the host in the URL does
not matter there). Any other command fails the test, so nothing in a block goes unrun.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from typer.testing import CliRunner

from api.cli import app as cli

HEREDOC = re.compile(r"^cat > (\S+) <<'(\w+)'$")
TOKEN = re.compile(r"\bsl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\b")


def section_blocks(readme: str, heading: str) -> list[str]:
    """The ```bash blocks of the README section under ``heading``."""
    start = readme.index(f"\n## {heading}\n")
    end = readme.find("\n## ", start + 1)
    return re.findall(r"```bash\n(.*?)```", readme[start : end if end > 0 else None], re.S)


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
            elif command[0] == "curl":
                self.responses.append(await self.curl([self.expand(w) for w in command[1:]]))
            else:
                raise AssertionError(f"the README runs {command[0]!r}, which this test cannot")

    async def scoreledger(self, arguments: list[str]) -> None:
        env = {"SCORELEDGER_DATABASE_URL": self.database_url}
        result = await asyncio.to_thread(CliRunner().invoke, cli, arguments, env=env)
        assert result.exit_code == 0, result.output
        printed = TOKEN.search(result.output)
        if arguments[:2] == ["token", "create"] and printed:
            self.variables["TOKEN"] = printed.group(0)

    async def curl(self, arguments: list[str]) -> httpx.Response:
        method, url, headers, body = None, None, {}, None
        words = iter(arguments)
        for word in words:
            if word in ("-s", "--silent", "-S", "--show-error", "--fail", "-f"):
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
