"""docker-compose.yml and the Dockerfile: valid for docker-compose, and every kb command they run exists.

No Docker engine runs here: ``docker-compose config`` (Debian's docker-compose, installed by .ci/run) parses,
interpolates and validates the file; the commands it names are then parsed by kb's own click CLI, so a
renamed subcommand or option fails here rather than in production.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from kb import cli
from tests.conftest import ROOT, needs_debian


def _compose_binary() -> str:
    return needs_debian("docker-compose", "docker-compose")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as docker-compose resolves it (anchors merged, variables filled in)."""
    result = subprocess.run([_compose_binary(), "--project-directory", str(ROOT),
                             "-f", str(ROOT / "docker-compose.yml"), "config"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env={**os.environ, "KB_VIRTUOSO_PASSWORD": "secret"}, check=False)
    assert result.returncode == 0, result.stderr
    resolved: dict[str, Any] = yaml.safe_load(result.stdout)
    return resolved


def test_compose_refuses_to_start_without_a_virtuoso_password() -> None:
    # No default password: a deployment that forgot to set one must not come up with a guessable one.
    env = {key: value for key, value in os.environ.items() if key != "KB_VIRTUOSO_PASSWORD"}
    result = subprocess.run([needs_debian("docker-compose", "docker-compose"), "--project-directory", str(ROOT),
                             "-f", str(ROOT / "docker-compose.yml"), "config"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT, env=env, check=False)
    assert result.returncode != 0
    assert "set KB_VIRTUOSO_PASSWORD" in result.stderr
    assert "change-me" not in (ROOT / "docker-compose.yml").read_text("utf-8")


def kb_command_errors(argv: list[str]) -> str | None:
    """Parse a ``kb ...`` command line with kb's CLI without running it; return the usage error, or None."""
    assert argv[0] == "kb"
    group = click.Context(cli.main, info_name="kb")
    command = cli.main.get_command(group, argv[1]) if len(argv) > 1 else None
    if command is None:
        return f"no such command: kb {' '.join(argv[1:2])}"
    try:
        command.make_context(argv[1], list(argv[2:]), parent=group)
    except click.UsageError as exc:
        return exc.format_message()
    return None


def test_compose_file_is_valid_and_has_every_part(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"virtuoso", "loader", "api", "proxy"}
    assert "virtuoso-data" in compose["volumes"]
    assert compose["services"]["loader"]["environment"]["KB_PUBLISH_PASSWORD"] == "secret"


def test_every_kb_command_in_compose_exists(compose: dict[str, Any]) -> None:
    commands = {name: service["command"] for name, service in compose["services"].items()
                if service.get("image") == "kb:latest"}
    assert set(commands) == {"loader", "api"}
    for name, command in commands.items():
        argv = command if isinstance(command, list) else shlex.split(command)
        assert kb_command_errors(argv) is None, f"{name}: {argv}: {kb_command_errors(argv)}"


def test_kb_command_check_catches_a_wrong_option() -> None:
    assert kb_command_errors(["kb", "publish", "--endpoint", "http://x", "--no-such-option"]) is not None
    assert kb_command_errors(["kb", "no-such-command"]) is not None


def test_dockerfile_command_exists() -> None:
    lines = (ROOT / "Dockerfile").read_text("utf-8").splitlines()
    cmd = next(line for line in lines if line.startswith("CMD "))
    assert kb_command_errors(json.loads(cmd[len("CMD "):])) is None


def test_api_is_stateless_replicated_and_health_checked(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = services["api"]
    assert api["deploy"]["replicas"] >= 2
    assert "volumes" not in api  # nothing on disk: every replica is the same
    assert any(part.startswith("sparql+http://virtuoso:") for part in api["command"])
    for name in ("virtuoso", "api", "proxy"):
        assert services[name]["healthcheck"]["test"], name
    assert services["api"]["depends_on"]["loader"]["condition"] == "service_completed_successfully"
    assert services["loader"]["depends_on"]["virtuoso"]["condition"] == "service_healthy"


def test_only_the_proxy_is_published_and_on_loopback(compose: dict[str, Any]) -> None:
    published = {name: service["ports"] for name, service in compose["services"].items() if "ports" in service}
    assert list(published) == ["proxy"]
    assert all(str(port.get("host_ip", "") if isinstance(port, dict) else port).startswith("127.0.0.1")
               for port in published["proxy"])


def test_mounted_files_exist(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith("/"):
                assert Path(source).exists(), source
