"""deploy/: every command the Procfile and compose.yaml run is one the CLI has, with options it
takes, and compose.yaml wires each sparkcodes process to the shared PostgreSQL and Redis. (The
machine that runs the suite has no container engine: building and starting the images is not
tested here.)"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparkcodes.cli import app as cli_app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _expand(word: str) -> str:
    """${NAME:-default} as a shell without NAME set would read it."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", word)


def _procfile() -> dict[str, list[str]]:
    out = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            out[name] = [_expand(w) for w in shlex.split(command)]
    return out


def _compose_commands() -> dict[str, list[str]]:
    """service name -> its command (compose.yaml writes every command as a JSON array)."""
    out, service = {}, None
    for line in (DEPLOY / "compose.yaml").read_text().splitlines():
        if m := re.match(r"^  (\w[\w-]*):\s*$", line):
            service = m.group(1)
        if (m := re.match(r"^\s+command:\s*(\[.*\])\s*$", line)) and service:
            out[service] = json.loads(m.group(1))
    return out


COMMANDS = [(f"Procfile {name}", argv) for name, argv in _procfile().items()] + [
    (f"compose {name}", argv) for name, argv in _compose_commands().items()]


def test_the_deploy_files_name_the_processes_scaling_needs() -> None:
    assert set(_procfile()) == {"release", "web", "worker"}
    assert set(_compose_commands()) == {"migrate", "api", "worker"}


@pytest.mark.parametrize(("where", "argv"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_each_deploy_command_is_a_sparkcodes_command_with_options_it_takes(
        where: str, argv: list[str]) -> None:
    assert argv[0] == "sparkcodes", (where, argv)
    # --help is eager but comes after parsing: an option the command lacks still fails here.
    result = CliRunner().invoke(cli_app, [*argv[1:], "--help"])
    assert result.exit_code == 0, (where, result.output)


def test_compose_gives_every_sparkcodes_process_the_shared_database_redis_and_secret() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    for setting in ("SPARKCODES_DATABASE_URL: postgresql://", "SPARKCODES_REDIS_URL: redis://",
                    "SPARKCODES_SECRET_KEY: ${SPARKCODES_SECRET_KEY:?",
                    'SPARKCODES_EMBEDDED_WORKER: "false"', "SPARKCODES_ENV: prod"):
        assert setting in text, setting
    # API processes and workers both take the shared settings and start after the migration.
    assert text.count("<<: *sparkcodes") == 2
    assert "service_completed_successfully" in text
